import type { ErasureRecord } from '../store/types.js';
import { int, query, type Command } from './command.js';
import { table } from './table.js';

export const erasures: Command = {
  usage: 'ferry erasures [--limit N]',
  summary: 'the erasure audit log, newest first',
  options: { limit: { type: 'string' } },
  async run({ client, values, json, print }) {
    const answer = await client.get<{ erasures: ErasureRecord[] }>(`/admin/erasures${query({ limit: int(values, 'limit') })}`);
    if (json) return print(JSON.stringify(answer, null, 2) + '\n');
    print(table(['ID', 'AT', 'USER', 'BY', 'SUPPRESS', 'IDS', 'EVENTS', 'DELIVERIES', 'ATTEMPTS', 'LINKS', 'ARCHIVE LINES', 'COMPLETED'],
      answer.erasures.map((r) => [r.id, r.at, r.userKey, r.by, r.suppress ? 'yes' : 'no', r.identities, r.events, r.deliveries, r.attempts, r.links, r.archiveLines, r.completedAt ?? 'archives pending'])));
  },
};
