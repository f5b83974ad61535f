import { query, str, type Command } from './command.js';
import { table } from './table.js';

export interface Violation {
  source: string;
  event: string;
  count: number;
  lastAt: string | number;
  lastMessage: string;
}

export const violations: Command = {
  usage: 'ferry violations [--source S] [--event NAME]',
  summary: 'tracking-plan violations per source and event name',
  options: { source: { type: 'string' }, event: { type: 'string' } },
  async run({ client, values, json, print }) {
    const answer = await client.get<{ violations: Violation[] }>(`/admin/violations${query({ source: str(values, 'source'), event: str(values, 'event') })}`);
    if (json) return print(JSON.stringify(answer, null, 2) + '\n');
    const at = (v: string | number) => new Date(v).toISOString();
    print(table(['SOURCE', 'EVENT', 'COUNT', 'LAST', 'LAST MESSAGE'], answer.violations.map((v) => [v.source, v.event, v.count, at(v.lastAt), v.lastMessage])));
  },
};
