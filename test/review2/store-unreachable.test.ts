import { afterEach, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { cleanup, tempDir } from '../helpers/ferry-process.js';

const bin = new URL('../../bin/ferry.js', import.meta.url).pathname;
const closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

// REPRODUCTION (fails today): `ferry serve --store postgres://…` pointed at an address that
// accepts the connection and then says nothing (a firewall that drops, a wrong port on a silent
// service, a PostgreSQL stuck in recovery) waits for ever: no error, no exit, no listener, so a
// supervisor sees a process that neither serves nor fails. Expected: a clear error naming the
// store and exit 1 within a bounded connect timeout (a refused port already gets one, at once).
it.fails('a PostgreSQL URL whose server never answers ends in a clear error and exit 1, not a silent hang', async () => {
  const sockets: Socket[] = [];
  const silent: Server = createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const dataDir = tempDir();
  closers.push(() => cleanup(dataDir));
  const url = `postgres://ferry:secret@127.0.0.1:${(silent.address() as AddressInfo).port}/ferry`;
  const child = spawn(process.execPath, [bin, 'serve', '--write-key', 'k', '--data', dataDir, '--port', '0', '--admin-port', '0', '--store', url], { stdio: ['ignore', 'pipe', 'pipe'] });
  closers.push(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Generous: a connect timeout of a few seconds, on a loaded machine.
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), 30_000);
    child.on('exit', (c) => (clearTimeout(timer), resolve(c)));
  });
  expect({ code, stderr: stderr.slice(0, 200) }).toMatchObject({ code: 1, stderr: expect.stringMatching(/postgres|store|timeout/i) });
}, 60_000);
