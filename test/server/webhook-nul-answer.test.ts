import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, post, startFerry, tempDir, type FerryProcess } from '../helpers/ferry-process.js';
import { waitFor } from '../helpers/sink.js';

const running: FerryProcess[] = [];
const closers: Array<() => void> = [];
afterEach(async () => {
  for (const f of running.splice(0)) {
    await f.kill('SIGKILL');
    cleanup(f.dataDir);
  }
  for (const c of closers.splice(0)) c();
});

// A destination that accepts with a body holding a NUL byte. Before pgText (postgres-store.ts)
// this failed on PostgreSQL (SQLite passed): The answer's excerpt goes to attempts.response, a text column PostgreSQL refuses NUL in:
// the settle's transaction fails ("invalid byte sequence for encoding UTF8: 0x00", logged as 'delivery loop
// failed; retrying'); 45 s later the delivery is still pending with 0 attempts and no attempt row, while
// another user's event delivered after it succeeded.
describe('a webhook answering 200 with a NUL in its body', () => {
  it('is settled as succeeded after one request', async () => {
    let requests = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests++;
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok\u0000');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const f = await startFerry({
      dataDir: tempDir(),
      config: {
        sources: [{ name: 'web', writeKeys: ['k'] }],
        destinations: [{ name: 'hook', type: 'webhook', url, timeoutMs: 2000, retry: { baseMs: 100, capMs: 200 } }],
      },
    });
    running.push(f);
    const messageId = `nul-${Date.now()}`;
    expect((await post(f.url, { batch: [{ type: 'track', event: 'e', userId: 'u', messageId }] }, { writeKey: 'k' })).status).toBe(200);
    await waitFor(() => requests >= 1, 20_000, 'the delivery');
    const story = async () => (await (await f.admin(`/admin/events/${messageId}`)).json()) as { deliveries: Array<{ state: string }> };
    await waitFor(async () => (await story()).deliveries[0]?.state === 'succeeded', 20_000, `the settle (requests so far: ${requests})`);
    expect(requests).toBe(1);
  }, 60_000);
});
