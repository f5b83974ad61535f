import { usageError } from './admin-client.js';
import { ints, str, type Command } from './command.js';

export const abort: Command = {
  usage: 'ferry abort --id N [--id N…] [--reason TEXT]',
  summary: 'give up on pending or failed deliveries; prints how many were aborted',
  options: { id: { type: 'string', multiple: true }, reason: { type: 'string' } },
  async run({ client, values, json, print }) {
    const ids = ints(values, 'id');
    if (ids.length === 0) throw usageError('abort needs --id');
    const reason = str(values, 'reason');
    const answer = await client.post<{ aborted: number }>('/admin/deliveries/abort', reason === undefined ? { ids } : { ids, reason });
    print(json ? JSON.stringify(answer, null, 2) + '\n' : `aborted ${answer.aborted} ${answer.aborted === 1 ? 'delivery' : 'deliveries'}\n`);
  },
};
