import type { DeliveryLogRow, DeliveryRow, EventRow } from '../store/types.js';
import { seg } from './admin-client.js';
import type { Command } from './command.js';
import { iso, millis, oneLine, table } from './table.js';

export const story: Command = {
  usage: 'ferry story MESSAGE_ID',
  summary: 'one event\'s whole story: the event, its deliveries, every attempt',
  options: {},
  positionals: [1, 1],
  async run({ client, positionals, json, print }) {
    const answer = await client.get<{ events: EventRow[]; deliveries: DeliveryRow[]; attempts: DeliveryLogRow[] }>(`/admin/events/${seg(positionals[0]!)}`);
    if (json) return print(JSON.stringify(answer, null, 2) + '\n');
    for (const e of answer.events) print(oneLine(`${e.messageId}: ${e.type} ${String(e.event.event ?? e.event.name ?? '')} from source ${e.source}, user ${e.userKey}, received ${iso(e.receivedAt)}`) + '\n');
    print('\n' + table(['DELIVERY', 'DESTINATION', 'STATE', 'ATTEMPTS', 'REASON'], answer.deliveries.map((d) => [d.id, d.destination, d.state, d.attempts, d.reason])));
    if (answer.attempts.length) {
      print('\n' + table(['DELIVERY', 'DESTINATION', 'ATTEMPT', 'AT', 'OUTCOME', 'STATUS', 'TOOK', 'ERROR / RESPONSE'],
        answer.attempts.map((a) => [a.deliveryId, a.destination, a.attempt, iso(a.at), a.outcome, a.status, millis(a.durationMs), (a.error ?? a.response ?? '').slice(0, 120)])));
    }
  },
};
