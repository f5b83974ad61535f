import { seg } from './admin-client.js';
import { str, type Command } from './command.js';

function pauseCommand(verb: 'pause' | 'resume'): Command {
  return {
    usage: verb === 'pause' ? 'ferry pause DESTINATION [--reason TEXT]' : 'ferry resume DESTINATION',
    summary: verb === 'pause' ? 'stop delivering to a destination (everything is kept)' : 'deliver to a paused destination again',
    options: verb === 'pause' ? { reason: { type: 'string' } } : {},
    positionals: [1, 1],
    async run({ client, values, positionals, json, print }) {
      const name = positionals[0]!;
      const reason = str(values, 'reason');
      const answer = await client.post<{ destination: string; paused: boolean }>(`/admin/destinations/${seg(name)}/${verb}`, reason === undefined ? {} : { reason });
      print(json ? JSON.stringify(answer, null, 2) + '\n' : `${answer.destination} is ${answer.paused ? 'paused' : 'resumed'}\n`);
    },
  };
}

export const pause = pauseCommand('pause');
export const resume = pauseCommand('resume');
