import type { EventRow } from '../store/types.js';
import { int, oneOf, query, str, when, type Command } from './command.js';
import { iso, table } from './table.js';

export const events: Command = {
  usage: 'ferry events [--user U] [--source S] [--type T] [--message-id M] [--since T] [--until T] [--limit N] [--order asc|desc]',
  summary: 'stored events (newest first by default)',
  options: { user: { type: 'string' }, source: { type: 'string' }, type: { type: 'string' }, 'message-id': { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, limit: { type: 'string' }, order: { type: 'string' } },
  async run({ client, values, json, print }) {
    const q = query({
      user: str(values, 'user'), source: str(values, 'source'), type: str(values, 'type'), messageId: str(values, 'message-id'),
      since: when(values, 'since'), until: when(values, 'until'), limit: int(values, 'limit'), order: oneOf(values, 'order', ['asc', 'desc'] as const) ?? 'desc',
    });
    const answer = await client.get<{ events: EventRow[] }>(`/admin/events${q}`);
    if (json) return print(JSON.stringify(answer, null, 2) + '\n');
    const name = (e: EventRow) => (e.event.event ?? e.event.name ?? null) as string | null;
    print(table(['SEQ', 'RECEIVED', 'SOURCE', 'TYPE', 'NAME', 'USER', 'MESSAGE ID'], answer.events.map((e) => [e.seq, iso(e.receivedAt), e.source, e.type, name(e), e.userKey, e.messageId])));
  },
};
