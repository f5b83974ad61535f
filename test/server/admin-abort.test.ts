import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, post, startFerry, type FerryProcess } from '../helpers/ferry-process.js';
import { startSink, waitFor, type Sink } from '../helpers/sink.js';

const KEY = 'abort-key';
const running: FerryProcess[] = [];
const sinks: Sink[] = [];

afterEach(async () => {
  for (const f of running.splice(0)) {
    await f.kill('SIGKILL');
    cleanup(f.dataDir);
  }
  for (const s of sinks.splice(0)) await s.close();
});

interface Delivery { id: number; messageId: string; state: string; attempts: number; reason: string | null }

async function deliveries(f: FerryProcess, user: string): Promise<Delivery[]> {
  const res = await f.admin(`/admin/deliveries?user=${user}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { deliveries: Delivery[] }).deliveries;
}

describe('an operator abort (G6, G8)', () => {
  it('stands when the delivery was in flight: its late answer changes nothing and it is never sent again', async () => {
    const run = `abort-${Date.now()}`;
    let held = true;
    // The first request for the first event is held 2.5 s, then fails: a claim that settles late.
    const s = await startSink((events) => (held && events.some((e) => e.messageId === `${run}-1`) ? ((held = false), { status: 500, delayMs: 2500 }) : { status: 200 }));
    sinks.push(s);
    const f = await startFerry({
      config: {
        sources: [{ name: 'web', writeKeys: [KEY] }],
        router: { leaseMs: 10_000 },
        destinations: [{ name: 'hook', type: 'webhook', url: s.url, timeoutMs: 5000, concurrency: 2, maxBatchEvents: 10, retry: { baseMs: 200, capMs: 400, maxAttempts: 50 } }],
      },
    });
    running.push(f);
    const track = (i: number) => post(f.url, { batch: [{ type: 'track', event: `e${i}`, userId: 'u1', messageId: `${run}-${i}` }] }, { writeKey: KEY });
    expect((await track(1)).status).toBe(200);
    await waitFor(async () => (await deliveries(f, 'u1')).length === 1, 10_000, 'the delivery row');
    await new Promise((r) => setTimeout(r, 700)); // the held request is out now
    const [first] = await deliveries(f, 'u1');
    const aborted = await f.admin('/admin/deliveries/abort', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ids: [first!.id], reason: 'operator' }) });
    expect(((await aborted.json()) as { aborted: number }).aborted).toBe(1);
    expect((await track(2)).status).toBe(200);
    await waitFor(() => s.received.some((e) => e.messageId === `${run}-2`), 15_000, 'the later event');
    await new Promise((r) => setTimeout(r, 3000)); // the held answer has come back and been settled
    const rows = await deliveries(f, 'u1');
    expect(rows.find((d) => d.messageId === `${run}-1`)).toMatchObject({ state: 'aborted', reason: 'aborted by an operator: operator' });
    // Sent once (the held request), never again after the abort.
    expect(s.requests.filter((r) => r.events.some((e) => e.messageId === `${run}-1`))).toHaveLength(1);
  }, 60_000);
});
