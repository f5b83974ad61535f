import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { adminJson, cleanup, post, startFerry, tempDir, type FerryProcess } from '../helpers/ferry-process.js';
import { waitFor } from '../helpers/sink.js';

const KEY = 'body-key';
const running: FerryProcess[] = [];
const servers: Server[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const f of running.splice(0)) await f.kill('SIGKILL');
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  for (const d of dirs.splice(0)) cleanup(d);
});

it('a destination answering 2xx with an endless body: the router reads an excerpt, not the body', async () => {
  // The answer streams up to 400 MB as fast as the router reads it; the router needs only an
  // excerpt for the attempt log, so it must stop reading (and its memory stays flat).
  const OFFER = 400 * 1024 * 1024;
  const chunk = Buffer.alloc(1024 * 1024, 'x');
  let written = 0;
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    const pump = () => {
      while (written < OFFER) {
        written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => res.removeAllListeners('drain'));
    pump();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dataDir = tempDir();
  dirs.push(dataDir);
  const f = await startFerry({
    dataDir,
    config: {
      sources: [{ name: 'web', writeKeys: [KEY] }],
      destinations: [{ name: 'hook', type: 'webhook', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, timeoutMs: 10_000 }],
    },
  });
  running.push(f);
  expect((await post(f.url, { batch: [{ type: 'track', event: 'e', userId: 'u', messageId: 'body-1' }] }, { writeKey: KEY })).status).toBe(200);
  type Destinations = { destinations: Array<{ counts: { succeeded: number } }> };
  await waitFor(async () => (await adminJson<Destinations>(f, '/destinations')).destinations[0]!.counts.succeeded === 1, 60_000, 'the delivery to succeed');
  expect(requests).toBe(1);
  expect(written).toBeLessThan(64 * 1024 * 1024);
});
