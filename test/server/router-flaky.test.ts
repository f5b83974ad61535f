import { afterEach, describe, expect, it } from 'vitest';
import { adminJson, cleanup, post, startFerry, tempDir, type FerryProcess } from '../helpers/ferry-process.js';
import { byUser, startSink, waitFor, type Sink } from '../helpers/sink.js';

const KEY = 'flaky-key';
const running: FerryProcess[] = [];
const sinks: Sink[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const f of running.splice(0)) await f.kill('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
  for (const d of dirs.splice(0)) cleanup(d);
});

describe('a partly working destination (G6, G8)', () => {
  it('retries a lane\'s first failure at once: every third request answering 503 costs one extra request each, never a backoff wait', async () => {
    // A backoff (baseMs) longer than the whole test: a single failed request that made its users
    // wait for it could not drain before the timeout. Only a second failure in a row of the same
    // user may wait, and with every third request failing there is none.
    const BASE_MS = 120_000;
    const s = await startSink((_, n) => (n % 3 === 0 ? { status: 503 } : { status: 200 }));
    sinks.push(s);
    const dataDir = tempDir();
    dirs.push(dataDir);
    const f = await startFerry({
      dataDir,
      config: {
        sources: [{ name: 'web', writeKeys: [KEY] }],
        destinations: [{ name: 'flaky', type: 'webhook', url: s.url, retry: { baseMs: BASE_MS, capMs: 600_000 } }],
      },
    });
    running.push(f);
    // 500 events of 10 users, 10 per request: they trickle in while the router already claims.
    const run = `flaky-${Date.now()}`;
    const list = Array.from({ length: 500 }, (_, n) => ({ type: 'track', event: 'Flaky', userId: `u${n % 10}`, messageId: `${run}-${n}` }));
    for (let i = 0; i < list.length; i += 10) expect((await post(f.url, { batch: list.slice(i, i + 10) }, { writeKey: KEY })).status).toBe(200);
    await waitFor(() => s.received.length >= 500, 60_000, `all 500 events (${s.received.length} so far, ${s.requests.length} requests)`);

    // Each event arrived once (a 503 stores nothing at the sink), every user's in ingestion order.
    expect(s.received).toHaveLength(500);
    expect(byUser(s.received)).toEqual(byUser(list));
    const failedRequests = s.requests.filter((r) => r.status === 503);
    expect(failedRequests.length).toBeGreaterThan(0);
    expect(failedRequests.length).toBe(Math.floor(s.requests.length / 3));
    // Attempts per delivery: one, plus one for each failed request it was in.
    const { deliveries } = await adminJson<{ deliveries: Array<{ state: string; attempts: number }> }>(f, '/deliveries?limit=1000');
    expect(deliveries).toHaveLength(500);
    expect(deliveries.every((d) => d.state === 'succeeded')).toBe(true);
    const attempts = deliveries.reduce((n, d) => n + d.attempts, 0);
    expect(attempts).toBe(500 + failedRequests.reduce((n, r) => n + r.events.length, 0));
  }, 90_000);
});
