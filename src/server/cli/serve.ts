import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile, validateConfig, type ServerConfig } from '../config.js';
import { FerryError } from '../../protocol/errors.js';
import { startServer } from '../server.js';

function fail(message: string): never {
  process.stderr.write(`ferry: ${message}\n`);
  process.exit(1);
}

async function serveConfig(argv: string[], help: string): Promise<Readonly<ServerConfig>> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      data: { type: 'string' },
      'write-key': { type: 'string', multiple: true },
      webhook: { type: 'string', multiple: true },
      'log-level': { type: 'string' },
      'admin-port': { type: 'string' },
      'admin-host': { type: 'string' },
      'dedupe-window-hours': { type: 'string' },
      store: { type: 'string' },
      role: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(help);
    process.exit(0);
  }
  const env = process.env;
  const file = values.config ?? env.FERRY_CONFIG;
  const config = (file ? await loadConfigFile(file) : {}) as Record<string, unknown>;
  if (typeof config !== 'object' || config === null) throw new ConfigError('the config file must hold an object');
  const num = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    if (!/^\d+(\.\d+)?$/.test(v)) throw new ConfigError(`${name} must be a number, got "${v}"`);
    return Number(v);
  };
  const set = (key: string, v: unknown) => {
    if (v !== undefined) config[key] = v;
  };
  set('port', num('--port', values.port ?? env.FERRY_PORT));
  set('host', values.host ?? env.FERRY_HOST);
  set('dataDir', values.data ?? env.FERRY_DATA);
  set('logLevel', values['log-level'] ?? env.FERRY_LOG_LEVEL);
  set('dedupeWindowHours', num('--dedupe-window-hours', values['dedupe-window-hours'] ?? env.FERRY_DEDUPE_WINDOW_HOURS));
  // Set but empty (FERRY_STORE= in a unit file or a compose file) is unset: the default store.
  const store = values.store ?? (env.FERRY_STORE || undefined);
  if (store !== undefined) {
    const previous = (config.store ?? {}) as Record<string, unknown>;
    config.store = store === 'sqlite' ? { kind: 'sqlite' } : { ...(previous.kind === 'postgres' ? previous : {}), kind: 'postgres', url: store };
  }
  set('role', values.role ?? env.FERRY_ROLE);
  const admin = { ...((config.admin as Record<string, unknown> | undefined) ?? {}) };
  const setAdmin = (key: string, v: unknown) => {
    if (v !== undefined) admin[key] = v;
  };
  setAdmin('port', num('--admin-port', values['admin-port'] ?? env.FERRY_ADMIN_PORT));
  setAdmin('host', values['admin-host'] ?? env.FERRY_ADMIN_HOST);
  // The token only from the file or the environment: a flag would show in `ps`.
  setAdmin('token', env.FERRY_ADMIN_TOKEN);
  if (Object.keys(admin).length > 0) config.admin = admin;
  const keys = values['write-key'] ?? (env.FERRY_WRITE_KEY ? env.FERRY_WRITE_KEY.split(',') : undefined);
  const webhooks = values.webhook ?? [];
  if (keys?.length || webhooks.length) {
    const sources = Array.isArray(config.sources) ? [...(config.sources as Array<Record<string, unknown>>)] : [];
    const destinations = Array.isArray(config.destinations) ? [...(config.destinations as Array<Record<string, unknown>>)] : [];
    const hooks = webhooks.map((url, i) => ({ name: `webhook-${i + 1}`, type: 'webhook', url }));
    destinations.push(...hooks);
    if (keys?.length) {
      sources.push({ name: 'default', writeKeys: keys, destinations: hooks.map((h) => h.name) });
    } else if (hooks.length) {
      throw new ConfigError('--webhook needs --write-key: the webhook receives the events of that source');
    }
    config.sources = sources;
    config.destinations = destinations;
  }
  if (config.sources === undefined) throw new ConfigError('no source: pass --write-key KEY or a --config file with "sources"');
  return validateConfig(config);
}

/** `ferry serve`: the server until SIGTERM/SIGINT, or exit 1 on a bad config or a dead store. */
export async function runServe(rest: string[], help: string): Promise<void> {
  let config: Readonly<ServerConfig>;
  try {
    config = await serveConfig(rest, help);
  } catch (err) {
    if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) fail((err as Error).message);
    throw err;
  }
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config);
  } catch (err) {
    // A store that cannot be opened (unreachable, silent, refusing us): one line, not a stack.
    if (err instanceof ConfigError || (err instanceof FerryError && err.code === 'storage_unavailable')) fail(err.message);
    throw err;
  }
  const hostOf = (h: string) => (h.includes(':') ? `[${h}]` : h);
  if (config.role === 'route') process.stdout.write('ferry routing only (role route): no public listener\n');
  else process.stdout.write(`ferry listening on http://${hostOf(config.host)}:${server.port}\n`);
  process.stdout.write(`ferry operator API on http://${hostOf(config.admin.host)}:${server.adminPort} (admin API, metrics)\n`);
  let stopping = false;
  const stop = (signal: string, exitCode: 0 | 1) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      server.app.log.error('shutdown timed out');
      process.exit(1);
    }, config.shutdownTimeoutMs + 1000);
    timer.unref();
    server.stop().then(
      () => process.exit(exitCode),
      (err) => {
        server.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('SIGINT', () => stop('SIGINT', 0));
  // A dead store cannot be trusted to come back in this process: answer what is in flight
  // (503), then exit 1 so a supervisor restarts ferry on the same (durable) SQLite file.
  void server.failed.then((err) => {
    server.app.log.fatal({ err }, `${err.message}; exiting with code 1 so that a supervisor restarts ferry`);
    stop('store failure', 1);
  });
}

