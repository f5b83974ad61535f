import { usageError } from './admin-client.js';
import { ints, str, type Command } from './command.js';

export const retry: Command = {
  usage: 'ferry retry (--id N [--id N…] | --destination D | --all) [--include-aborted]',
  summary: 'make failed (and with --include-aborted, aborted) deliveries due now; prints how many (0 is not an error)',
  options: { id: { type: 'string', multiple: true }, destination: { type: 'string' }, all: { type: 'boolean' }, 'include-aborted': { type: 'boolean' } },
  async run({ client, values, json, print }) {
    const ids = ints(values, 'id');
    const destination = str(values, 'destination');
    // Every failed delivery of every destination is one flag away, never the default.
    if (ids.length === 0 && destination === undefined && values.all !== true) throw usageError('retry needs --id, --destination or --all');
    const body: Record<string, unknown> = { includeAborted: values['include-aborted'] === true };
    if (ids.length) body.ids = ids;
    if (destination !== undefined) body.destination = destination;
    const answer = await client.post<{ retried: number }>('/admin/deliveries/retry', body);
    print(json ? JSON.stringify(answer, null, 2) + '\n' : `retried ${answer.retried} ${answer.retried === 1 ? 'delivery' : 'deliveries'}\n`);
  },
};
