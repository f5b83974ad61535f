import { parseArgs } from 'node:util';
import { abort } from './abort.js';
import { adminClient, CliError, DEFAULT_ADMIN_URL, EXIT, usageError, type ExitCode } from './admin-client.js';
import type { Command, Options } from './command.js';
import { deliveries } from './deliveries.js';
import { erase } from './erase.js';
import { erasures } from './erasures.js';
import { events } from './events.js';
import { pause, resume } from './pause.js';
import { replay } from './replay.js';
import { retry } from './retry.js';
import { status } from './status.js';
import { story } from './story.js';
import { violations } from './violations.js';

/** The commands that talk to a running server's operator API. */
export const OPERATOR_COMMANDS: Readonly<Record<string, Command>> = { status, deliveries, retry, abort, replay, pause, resume, erase, events, story, violations, erasures };

const COMMON: Options = {
  'admin-url': { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export const OPERATOR_HELP = `Operator commands (talk to a running server's operator API):
${Object.entries(OPERATOR_COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`).join('\n')}
  ferry COMMAND --help shows a command's options.

Options of every operator command:
  --admin-url URL      the operator listener (default ${DEFAULT_ADMIN_URL})   env FERRY_ADMIN_URL
  --token TOKEN        its admin token, if it has one; prefer the env: a flag shows in \`ps\`   env FERRY_ADMIN_TOKEN
  --json               print the server's answer as JSON (for scripts) instead of a table
  Times (T): an ISO date or date-time, epoch milliseconds, or a duration ago: 90s, 30m, 2h, 7d.

Exit codes:
  0  done
  1  the server said no: not found, refused (401/403/400), not available on this server, a 5xx
  2  usage error: unknown command or option, missing argument; nothing was sent
  3  cannot reach the server (connection refused, DNS, timeout)
`;

/** Runs one operator command; returns its exit code. Output goes through `out`/`err`. */
export async function runOperatorCommand(name: string, argv: string[], io: { out: (s: string) => void; err: (s: string) => void } = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
}): Promise<ExitCode> {
  const command = Object.hasOwn(OPERATOR_COMMANDS, name) ? OPERATOR_COMMANDS[name] : undefined;
  if (!command) {
    io.err(`ferry: unknown command "${name}"; try "ferry --help"\n`);
    return EXIT.usage;
  }
  try {
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({ args: argv, options: { ...COMMON, ...command.options }, allowPositionals: true, strict: true });
    } catch (err) {
      throw usageError(`${(err as Error).message}\nusage: ${command.usage}`);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.out(`usage: ${command.usage}\n\n${command.summary}\n\n${OPERATOR_HELP}`);
      return EXIT.ok;
    }
    const [min, max] = command.positionals ?? [0, 0];
    if (positionals.length < min || positionals.length > max) throw usageError(`wrong number of arguments\nusage: ${command.usage}`);
    const client = adminClient({
      url: (values['admin-url'] as string | undefined) ?? process.env.FERRY_ADMIN_URL ?? DEFAULT_ADMIN_URL,
      token: (values.token as string | undefined) ?? (process.env.FERRY_ADMIN_TOKEN || undefined),
    });
    await command.run({ client, values, positionals, json: values.json === true, print: io.out });
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    io.err(`ferry ${name}: ${err.message}\n`);
    return err.exitCode;
  }
}
