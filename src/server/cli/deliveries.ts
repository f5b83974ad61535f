import type { DeliveryRow, DeliveryState } from '../store/types.js';
import { int, oneOf, query, str, type Command } from './command.js';
import { iso, table } from './table.js';

export const STATES: readonly DeliveryState[] = ['pending', 'failed', 'succeeded', 'aborted'];

export const deliveries: Command = {
  usage: 'ferry deliveries [--state pending|failed|succeeded|aborted] [--destination D] [--user U] [--message-id M] [--limit N]',
  summary: 'deliveries by state, destination, user or messageId',
  options: { state: { type: 'string' }, destination: { type: 'string' }, user: { type: 'string' }, 'message-id': { type: 'string' }, limit: { type: 'string' } },
  async run({ client, values, json, print }) {
    const q = query({ state: oneOf(values, 'state', STATES), destination: str(values, 'destination'), user: str(values, 'user'), messageId: str(values, 'message-id'), limit: int(values, 'limit') });
    const answer = await client.get<{ deliveries: DeliveryRow[] }>(`/admin/deliveries${q}`);
    if (json) return print(JSON.stringify(answer, null, 2) + '\n');
    const last = (d: DeliveryRow) => d.reason ?? ([d.lastStatus ? `HTTP ${d.lastStatus}` : '', d.lastError ?? ''].join(' ').trim() || null);
    print(table(['ID', 'DESTINATION', 'STATE', 'ATTEMPTS', 'USER', 'MESSAGE ID', 'UPDATED', 'LAST'],
      answer.deliveries.map((d) => [d.id, d.destination, d.state, d.attempts, d.userKey, d.messageId, iso(d.updatedAt), last(d)])));
  },
};
