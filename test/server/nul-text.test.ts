import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, post, startFerry, tempDir, type FerryProcess } from '../helpers/ferry-process.js';
import { startSink, waitFor, type Sink } from '../helpers/sink.js';

// Text from outside that reaches PostgreSQL text columns goes through pgText (postgres-store.ts).
// Before, on PostgreSQL (SQLite passed): the transform's
// error quotes the NUL into deliveries.reason (mark-aborted): "invalid byte sequence for encoding UTF8: 0x00",
// the settle rolls back, both deliveries stay pending with 0 attempts while the second is sent again every
// lease (5 requests in 25 s).
const running: FerryProcess[] = [];
const sinks: Sink[] = [];
afterEach(async () => {
  for (const f of running.splice(0)) {
    await f.kill('SIGKILL');
    cleanup(f.dataDir);
  }
  for (const s of sinks.splice(0)) await s.close();
});

describe('a NUL in text from outside', () => {
  it('a transform whose error message quotes an event property with a NUL: the event is aborted and the user\'s next event delivered', async () => {
    const sink = await startSink();
    sinks.push(sink);
    const dir = tempDir();
    const transform = join(dir, 'transform.mjs');
    writeFileSync(transform, 'export default (e) => { if (e.properties && e.properties.v) throw new Error(`bad value ${e.properties.v}`); return e; };');
    const f = await startFerry({
      dataDir: dir,
      config: {
        sources: [{ name: 'web', writeKeys: ['k'] }],
        destinations: [{ name: 'hook', type: 'webhook', url: sink.url, transform, timeoutMs: 2000, retry: { baseMs: 100, capMs: 200 } }],
        router: { leaseMs: 5000 },
      },
    });
    running.push(f);
    const run = Date.now();
    const batch = [
      { type: 'track', event: 'first', userId: 'u', messageId: `${run}-a`, properties: { v: 'x\u0000y' } },
      { type: 'track', event: 'second', userId: 'u', messageId: `${run}-b` },
    ];
    expect((await post(f.url, { batch }, { writeKey: 'k' })).status).toBe(200);
    const story = async (id: string) => (await (await f.admin(`/admin/events/${id}`)).json()) as { deliveries: Array<{ state: string; reason: string | null }> };
    try {
      await waitFor(async () => (await story(`${run}-b`)).deliveries[0]?.state === 'succeeded', 25_000, 'the second event');
    } catch (err) {
      // What the failure looked like: the two deliveries, and the server's log of the rollback.
      console.log('first:', JSON.stringify((await story(`${run}-a`)).deliveries), 'second:', JSON.stringify((await story(`${run}-b`)).deliveries), 'sink got', sink.received.length);
      console.log(f.output().split('\n').filter((l) => /loop failed|0x00/.test(l)).slice(0, 2).join('\n').slice(0, 600));
      throw err;
    }
    expect((await story(`${run}-a`)).deliveries[0]).toMatchObject({ state: 'aborted' });
  }, 60_000);


  it('a NUL in an operator\'s input is a 400 that names it, whatever the route, and the server goes on', async () => {
    const f = await startFerry({ config: { sources: [{ name: 'web', writeKeys: ['k'] }], destinations: [{ name: 'mem', type: 'memory' }] } });
    running.push(f);
    const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const requests: Array<[string, RequestInit?]> = [
      ['/admin/events?user=a%00b'],
      ['/admin/events?messageId=a%00b'],
      ['/admin/deliveries?user=a%00b'],
      ['/admin/events/a%00b'],
      ['/admin/violations?event=a%00b'],
      ['/admin/users/a%00b', { method: 'DELETE' }],
      ['/admin/users/a%00b/suppress', json({ reason: 'r' })],
      ['/admin/users/u/suppress', json({ reason: 'r\u0000' })],
      ['/admin/replays', json({ destination: 'mem', since: '2026-01-01T00:00:00Z', until: '2026-01-02T00:00:00Z', event: 'a\u0000b' })],
      ['/admin/destinations/mem/pause', json({ reason: 'x\u0000' })],
    ];
    for (const [path, init] of requests) {
      const res = await f.admin(path, init);
      const body = await res.text();
      expect(`${path} → ${res.status} ${body}`).toMatch(/→ 400 .*NUL/);
    }
    expect((await post(f.url, { batch: [{ type: 'track', event: 'after', userId: 'u2', messageId: `nul-after-${Date.now()}` }] }, { writeKey: 'k' })).status).toBe(200);
    expect((await f.admin('/admin/events?user=u2')).status).toBe(200);
  }, 60_000);
});
