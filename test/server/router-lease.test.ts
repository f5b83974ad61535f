import { afterEach, describe, expect, it } from 'vitest';
import { adminJson, cleanup, post, startFerry, tempDir, type FerryProcess } from '../helpers/ferry-process.js';
import { byUser, startSink, waitFor, type Sink } from '../helpers/sink.js';

const KEY = 'lease-key';
const running: FerryProcess[] = [];
const sinks: Sink[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const f of running.splice(0)) await f.kill('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
  for (const d of dirs.splice(0)) cleanup(d);
});

const admin = adminJson;

describe('leases (G6 under slow destinations)', () => {
  it('never hands a claim to a second runner while the first still sends it: a 1.2 s lease, slow answers, 3 refused events to isolate, concurrency 4', async () => {
    const LEASE_MS = 1200;
    const run = `lease-${Date.now()}`;
    const list: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 24; i++) {
      for (let u = 0; u < 8; u++) list.push({ type: 'track', event: `e ${i}`, userId: `u${u}`, messageId: `${run}-u${u}-${i}` });
    }
    // Three refused events inside the first claim: isolating them takes ~30 sequential requests.
    const poison = new Set([5, 30, 50].map((i) => String(list[i]!.messageId)));
    const s = await startSink((batch, n) => {
      const delayMs = n === 1 ? 300 : 50; // a slow first answer, then a slow-ish destination
      return batch.some((e) => poison.has(String(e.messageId))) ? { status: 422, body: { error: 'unprocessable' }, delayMs } : { status: 200, delayMs };
    });
    sinks.push(s);
    const dataDir = tempDir();
    dirs.push(dataDir);
    const f = await startFerry({
      dataDir,
      config: {
        router: { leaseMs: LEASE_MS },
        sources: [{ name: 'web', writeKeys: [KEY] }],
        destinations: [{
          name: 'slow', type: 'webhook', url: s.url, timeoutMs: LEASE_MS / 2, maxBatchEvents: 64, concurrency: 4,
          retry: { baseMs: 20, capMs: 200, maxAttempts: 1000, windowMs: 3_600_000 },
        }],
      },
    });
    running.push(f);
    expect((await post(f.url, { batch: list }, { writeKey: KEY })).status).toBe(200);

    type Counts = { succeeded: number; aborted: number };
    const counts = async () => (await admin<{ destinations: Array<{ counts: Counts }> }>(f, '/destinations')).destinations[0]!.counts;
    const duplicates = () => s.received.length - new Set(s.received.map((e) => String(e.messageId))).size;
    await waitFor(async () => {
      const c = await counts();
      return duplicates() > 0 || c.succeeded + c.aborted === list.length;
    }, 60_000, 'every delivery settled');
    // Another lease period, in case a second runner still has a stale claim out.
    await new Promise((r) => setTimeout(r, LEASE_MS));
    expect(duplicates()).toBe(0); // nothing delivered twice
    expect(byUser(s.received)).toEqual(byUser(list.filter((e) => !poison.has(String(e.messageId)))));
    expect(await counts()).toMatchObject({ succeeded: list.length - poison.size, aborted: poison.size });
    const aborted = await admin<{ deliveries: Array<{ messageId: string; lastStatus: number }> }>(f, '/deliveries?state=aborted');
    expect(new Set(aborted.deliveries.map((d) => d.messageId))).toEqual(poison);
    expect(aborted.deliveries.every((d) => d.lastStatus === 422)).toBe(true);
  }, 90_000);

  it('refuses a webhook timeout above half the lease, naming both fields', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const started = startFerry({
      dataDir,
      config: {
        router: { leaseMs: 1000 },
        sources: [{ name: 'web', writeKeys: [KEY] }],
        destinations: [{ name: 'crm', type: 'webhook', url: 'http://127.0.0.1:9/hook', timeoutMs: 501 }],
      },
    });
    await expect(started).rejects.toThrow(/destinations\.crm\.timeoutMs: 501 ms is more than half of router\.leaseMs \(1000 ms\)/);
  });
});
