import { seg, usageError } from './admin-client.js';
import { str, when, type Command } from './command.js';
import { table } from './table.js';

/** A replay as the server reports it (POST/GET /admin/replays). */
export interface Replay {
  id: string | number;
  destination: string;
  state: string;
  total: number;
  created: number;
  delivered: number;
}

const rows = (replays: Replay[]) => table(['ID', 'DESTINATION', 'STATE', 'TOTAL', 'CREATED', 'DELIVERED'], replays.map((r) => [String(r.id), r.destination, r.state, r.total, r.created, r.delivered]));

export const replay: Command = {
  usage: [
    'ferry replay start --destination D --from T --to T [--source S] [--type T] [--event NAME]',
    '       ferry replay list | show ID | cancel ID',
  ].join('\n'),
  summary: 'send a time range of stored events to a destination again (only what retention kept); progress; cancel',
  options: { destination: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, source: { type: 'string' }, type: { type: 'string' }, event: { type: 'string' } },
  positionals: [1, 2],
  async run({ client, values, positionals, json, print }) {
    const [verb, id] = positionals;
    const needsId = verb === 'show' || verb === 'cancel';
    if (needsId !== (id !== undefined)) throw usageError(needsId ? `replay ${verb} needs the replay's ID` : `replay ${verb} takes no ID`);
    let answer: Replay | { replays: Replay[] };
    if (verb === 'start') {
      const destination = str(values, 'destination');
      const from = when(values, 'from');
      const to = when(values, 'to');
      if (!destination || !from || !to) throw usageError('replay start needs --destination, --from and --to');
      const body: Record<string, unknown> = { destination, from, to };
      for (const k of ['source', 'type', 'event']) if (str(values, k) !== undefined) body[k] = str(values, k);
      answer = await client.post<Replay>('/admin/replays', body);
    } else if (verb === 'list') answer = await client.get<{ replays: Replay[] }>('/admin/replays');
    else if (verb === 'show') answer = await client.get<Replay>(`/admin/replays/${seg(id!)}`);
    else if (verb === 'cancel') answer = await client.post<Replay>(`/admin/replays/${seg(id!)}/cancel`);
    else throw usageError(`replay: unknown action "${verb}" (start, list, show or cancel)`);
    if (json) return print(JSON.stringify(answer, null, 2) + '\n');
    print(rows('replays' in answer ? answer.replays : [answer]));
  },
};
