import { afterEach, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { ferryCli } from '../helpers/ferry-cli.js';
import { cleanup, post, startFerry, storedEvents, tempDir, type FerryProcess } from '../helpers/ferry-process.js';

// `ferry serve` with a store it cannot use ends at once in one clear line and exit 1, so that a
// supervisor sees a failure rather than a process that neither serves nor fails; the password
// of the URL is never printed.

const closers: Array<() => void | Promise<unknown>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function dir(): string {
  const d = tempDir();
  closers.push(() => cleanup(d));
  return d;
}

/** A TCP server that accepts connections and never says a word (a firewall that drops, a wrong service). */
async function silentServer(): Promise<number> {
  const sockets: Socket[] = [];
  const silent: Server = createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  return (silent.address() as AddressInfo).port;
}

const serve = (dataDir: string, ...more: string[]) =>
  ferryCli(['serve', '--write-key', 'k', '--data', dataDir, '--port', '0', '--admin-port', '0', ...more]);

it('a PostgreSQL that accepts the connection and never answers ends in one clear line and exit 1 after store.connectTimeoutMs', async () => {
  const port = await silentServer();
  const dataDir = dir();
  const config = join(dataDir, 'ferry.config.json');
  writeFileSync(config, JSON.stringify({ store: { kind: 'postgres', url: `postgres://ferry:secret@127.0.0.1:${port}/ferry`, connectTimeoutMs: 1000 } }));
  const run = await serve(dataDir, '--config', config, '--store', `postgres://ferry:secret@127.0.0.1:${port}/ferry`);
  expect(run).toMatchObject({ code: 1, stdout: '' });
  expect(run.stderr).toBe(`ferry: cannot open the PostgreSQL store at 127.0.0.1:${port}/ferry: no answer within 1000 ms (store.connectTimeoutMs)\n`);
}, 90_000);

it('a PostgreSQL URL that is not a URL is a config error in one line, without the password', async () => {
  const run = await serve(dir(), '--store', 'postgres://ferry:secret@127.0.0.1:notaport/ferry');
  expect(run).toMatchObject({ code: 1, stdout: '' });
  expect(run.stderr).toBe('ferry: invalid config: store.url is not a valid PostgreSQL URL: postgres://ferry:***@127.0.0.1:notaport/ferry\n');
}, 90_000);

it('a PostgreSQL that refuses the connection ends in one clear line and exit 1', async () => {
  const port = await silentServer();
  // The port was free a moment ago: nothing listens there once the silent server is closed.
  await closers.pop()!();
  const run = await serve(dir(), '--store', `postgres://ferry:secret@127.0.0.1:${port}/ferry`);
  expect(run).toMatchObject({ code: 1, stdout: '' });
  expect(run.stderr).toBe(`ferry: cannot open the PostgreSQL store at 127.0.0.1:${port}/ferry: connect ECONNREFUSED 127.0.0.1:${port}\n`);
}, 90_000);

it('FERRY_STORE set but empty means the default store (the embedded SQLite)', async () => {
  const dataDir = dir();
  const f: FerryProcess = await startFerry({ dataDir, args: ['--write-key', 'k'], env: { FERRY_STORE: '' } });
  closers.push(() => f.kill('SIGKILL'));
  const res = await post(f.url, { batch: [{ type: 'track', event: 'E', userId: 'u', messageId: 'empty-store-1' }] }, { writeKey: 'k' });
  expect(res.status).toBe(200);
  expect(storedEvents(dataDir).map((e) => e.messageId)).toEqual(['empty-store-1']);
}, 90_000);
