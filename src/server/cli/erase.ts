import { createInterface } from 'node:readline/promises';
import type { ErasureReceipt } from '../admin/erasure.js';
import { CliError, EXIT, seg, usageError } from './admin-client.js';
import type { Command } from './command.js';

/** Asks the person at the terminal to type the user again. */
async function confirmed(user: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Erase every stored trace of "${user}" and everyone linked to it? This cannot be undone.\nType the user again to confirm: `);
    return answer.trim() === user;
  } finally {
    rl.close();
  }
}

export const erase: Command = {
  usage: 'ferry erase USER [--suppress] [--yes]',
  summary: 'erase a user\'s whole identity graph (GDPR/CCPA) with an audit record; asks to type USER again unless --yes (required when stdin is not a terminal)',
  options: { suppress: { type: 'boolean' }, yes: { type: 'boolean' } },
  positionals: [1, 1],
  async run({ client, values, positionals, json, print }) {
    const user = positionals[0]!;
    if (values.yes !== true) {
      if (!process.stdin.isTTY) throw usageError('erase asks for confirmation: pass --yes when stdin is not a terminal');
      if (!(await confirmed(user))) throw new CliError(EXIT.refused, 'not confirmed; nothing was erased');
    }
    const answer = await client.delete<ErasureReceipt & { userKey: string; deletedAt: string; suppressed: boolean }>(`/admin/users/${seg(user)}${values.suppress ? '?suppress=true' : ''}`);
    if (json) return print(JSON.stringify(answer, null, 2) + '\n');
    print(`erased ${answer.userKey} (erasure #${answer.erasureId}${answer.suppressed ? ', future events refused' : ''}): ` +
      `${answer.identities} ids, ${answer.events} events, ${answer.deliveries} deliveries, ${answer.attempts} attempts, ${answer.links} links, ${answer.archiveLines} archive lines\n`);
  },
};
