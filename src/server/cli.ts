import { OPERATOR_COMMANDS, OPERATOR_HELP, runOperatorCommand } from './cli/operator.js';

const HELP = `ferry: Segment-compatible ingestion server

Usage:
  ferry serve [options]       start the server
  ferry demo [--port N]       start the demo (server + page, embedded SQLite)
  ferry COMMAND [options]     an operator command (below) against a running server

Options of serve (flags override the config file, which overrides defaults):
  --config FILE        JSON file, or a JS module exporting the config
  --port N             port (default 8080; 0 picks a free one)        env FERRY_PORT
  --host H             address to listen on (default 127.0.0.1)      env FERRY_HOST
  --data DIR           data directory for the SQLite file (./data)    env FERRY_DATA
  --write-key KEY      accept KEY for a source named "default"; repeatable  env FERRY_WRITE_KEY
  --webhook URL        send every event of that source to URL; repeatable
  --log-level LEVEL    fatal|error|warn|info|debug|trace|silent      env FERRY_LOG_LEVEL
  --admin-port N       operator listener (admin API, metrics; 8081)   env FERRY_ADMIN_PORT
  --admin-host H       its address (default 127.0.0.1; any other needs a token)  env FERRY_ADMIN_HOST
                       its token: admin.token in the config file,     env FERRY_ADMIN_TOKEN
  --dedupe-window-hours N                                             env FERRY_DEDUPE_WINDOW_HOURS
  --store URL          postgres://user@host:port/db for PostgreSQL (or "sqlite", the default)  env FERRY_STORE
                       (a password: PGPASSWORD or the config file, not the flag, which shows in \`ps\`)
  --role R             all (default) | ingest | route: what this process does (not "all" needs PostgreSQL)  env FERRY_ROLE

${OPERATOR_HELP}`;

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  if (command === 'demo') {
    const { runDemo } = await import('../../demo/demo-server.js');
    await runDemo(rest);
    return;
  }
  if (Object.hasOwn(OPERATOR_COMMANDS, command)) {
    process.exitCode = await runOperatorCommand(command, rest);
    return;
  }
  if (command !== 'serve') {
    process.stderr.write(`ferry: unknown command "${command}"; try "ferry --help"\n`);
    process.exit(2);
  }
  const { runServe } = await import('./cli/serve.js');
  await runServe(rest, HELP);
}

main().catch((err) => {
  process.stderr.write(`ferry: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
