import { afterEach, describe, expect, it } from 'vitest';
import { adminJson, cleanup, post, startFerry, tempDir, type FerryProcess } from '../helpers/ferry-process.js';
import { startSink, waitFor, type Sink } from '../helpers/sink.js';

const KEY = 'ops-summary-key';
const fastRetry = { baseMs: 20, capMs: 200, maxAttempts: 1000, windowMs: 3_600_000 };
const running: FerryProcess[] = [];
const sinks: Sink[] = [];

afterEach(async () => {
  for (const f of running.splice(0)) {
    await f.kill('SIGKILL');
    cleanup(f.dataDir);
  }
  for (const s of sinks.splice(0)) await s.close();
});

interface Summary {
  destination: string;
  received: number;
  deliveredFirstTry: number;
  deliveredAfterRetry: number;
  aborted: { total: number; byReason: Record<string, number> };
  pending: number;
  blocked: number;
  retrying: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number } | null;
  paused: boolean;
  breaker: string;
}
interface Delivery { id: number; eventSeq: number; destination: string; userKey: string; state: string; attempts: number; reason: string | null; updatedAt: number; messageId: string }
interface StoredEvent { seq: number; receivedAt: number }
interface Counts { pending: number; blocked: number; failed: number; succeeded: number; aborted: number }

/** What the summary must say, worked out here from the delivery rows and the events' receipt times. */
function expectedSummary(rows: Delivery[], receivedAt: Map<number, number>) {
  const live = (d: Delivery) => d.state === 'pending' || d.state === 'failed';
  const blocked = (d: Delivery) => live(d) && rows.some((f) => f.userKey === d.userKey && f.state === 'failed' && f.eventSeq < d.eventSeq);
  const byReason: Record<string, number> = {};
  for (const d of rows.filter((r) => r.state === 'aborted')) byReason[d.reason!] = (byReason[d.reason!] ?? 0) + 1;
  const latencies = rows.filter((d) => d.state === 'succeeded').map((d) => d.updatedAt - receivedAt.get(d.eventSeq)!).sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.max(1, Math.ceil((p / 100) * latencies.length)) - 1]!;
  return {
    received: rows.length,
    deliveredFirstTry: rows.filter((d) => d.state === 'succeeded' && d.attempts === 1).length,
    deliveredAfterRetry: rows.filter((d) => d.state === 'succeeded' && d.attempts > 1).length,
    aborted: { total: rows.filter((d) => d.state === 'aborted').length, byReason },
    pending: rows.filter((d) => live(d) && !blocked(d)).length,
    blocked: rows.filter(blocked).length,
    retrying: rows.filter((d) => d.state === 'failed').length,
    latencyMs: latencies.length === 0 ? null : { p50: at(50), p90: at(90), p99: at(99), max: latencies.at(-1)! },
  };
}

function metric(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  if (!line) throw new Error(`no ${name}{${labels}} in the scrape`);
  return Number(line.split(' ').at(-1));
}

describe('verification summary and metrics (issue 17)', () => {
  it('counts every delivery of a scenario with known failures exactly as the delivery rows say, and the metrics agree', async () => {
    // crm: every event marked flaky fails its first two attempts; the poison event is refused (400).
    const tries = new Map<string, number>();
    const crm = await startSink(([e]) => {
      const id = String(e!.messageId);
      tries.set(id, (tries.get(id) ?? 0) + 1);
      if (e!.event === 'poison') return { status: 400, body: { error: 'bad payload' } };
      return (e!.properties as { flaky?: boolean }).flaky && tries.get(id)! <= 2 ? { status: 503 } : { status: 200 };
    });
    const dead = await startSink(() => ({ status: 503 }));
    sinks.push(crm, dead);
    const f = await startFerry({
      dataDir: tempDir(),
      config: {
        sources: [{ name: 'web', writeKeys: [KEY] }],
        destinations: [
          // One event per request: each event's attempts are its own.
          { name: 'crm', type: 'webhook', url: crm.url, maxBatchEvents: 1, retry: fastRetry },
          { name: 'dead', type: 'webhook', url: dead.url, maxBatchEvents: 5, retry: fastRetry },
        ],
      },
    });
    running.push(f);

    const run = `${Date.now()}`;
    const batch = (part: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        type: 'track', userId: `u${i % 4}`, messageId: `${run}-${part}-${i}`,
        event: part === 'b' && i === 5 ? 'poison' : `Step ${i}`, properties: { flaky: i % 6 === 1 },
      }));
    const early = batch('a', 12);
    expect((await post(f.url, { batch: early }, { writeKey: KEY })).status).toBe(200);
    const between = Date.now() + 1;
    await new Promise((r) => setTimeout(r, 5));
    const late = batch('b', 24);
    expect((await post(f.url, { batch: late }, { writeKey: KEY })).status).toBe(200);

    // crm settles everything; dead keeps everything live. Then dead is paused: its rows hold still.
    const total = early.length + late.length;
    await waitFor(async () => {
      const rows = (await adminJson<{ deliveries: Delivery[] }>(f, '/deliveries?destination=crm&limit=5000')).deliveries;
      return rows.length === total && rows.every((d) => d.state === 'succeeded' || d.state === 'aborted');
    }, 60_000, 'crm to settle every delivery');
    await waitFor(() => dead.requests.length >= 5, 30_000, 'dead to be tried');
    const paused = await f.admin('/admin/destinations/dead/pause', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ reason: 'test snapshot' }) });
    expect(await paused.json()).toEqual({ destination: 'dead', paused: true });

    const events = (await adminJson<{ events: StoredEvent[] }>(f, '/events?limit=1000')).events;
    const receivedAt = new Map(events.map((e) => [e.seq, e.receivedAt]));
    const rowsOf = async (destination: string) => (await adminJson<{ deliveries: Delivery[] }>(f, `/deliveries?destination=${destination}&limit=5000`)).deliveries;
    const all = { crm: await rowsOf('crm'), dead: await rowsOf('dead') };

    const { destinations } = await adminJson<{ destinations: Summary[] }>(f, `/summary?from=0&to=${Date.now() + 1000}`);
    for (const name of ['crm', 'dead'] as const) {
      const s = destinations.find((d) => d.destination === name)!;
      expect(s).toMatchObject(expectedSummary(all[name], receivedAt));
      expect(s.deliveredFirstTry + s.deliveredAfterRetry + s.aborted.total + s.pending + s.blocked).toBe(s.received);
    }
    const crmSummary = destinations.find((d) => d.destination === 'crm')!;
    // The scenario's known shape, independently of the rows: 6 flaky events retried twice, one poison.
    expect(crmSummary).toMatchObject({ received: 36, deliveredAfterRetry: 6, deliveredFirstTry: 29, pending: 0, blocked: 0, paused: false, breaker: 'closed' });
    expect(crmSummary.aborted.total).toBe(1);
    expect(Object.entries(crmSummary.aborted.byReason)).toEqual([[expect.stringMatching(/^refused by the destination/), 1]]);
    const deadSummary = destinations.find((d) => d.destination === 'dead')!;
    expect(deadSummary).toMatchObject({ received: 36, deliveredFirstTry: 0, deliveredAfterRetry: 0, latencyMs: null, paused: true });
    expect(deadSummary.pending + deadSummary.blocked).toBe(36);
    expect(deadSummary.blocked).toBeGreaterThan(0);

    // A window from between the two batches counts only the second one's deliveries.
    const lateRows = (rows: Delivery[]) => rows.filter((d) => receivedAt.get(d.eventSeq)! >= between);
    expect(lateRows(all.crm)).toHaveLength(late.length);
    const windowed = await adminJson<Summary>(f, `/destinations/crm/summary?from=${between}&to=${new Date(Date.now() + 1000).toISOString()}`);
    expect(windowed).toMatchObject(expectedSummary(lateRows(all.crm), receivedAt));

    // The metrics say the same as the counts of /admin/destinations (read again until a failed
    // delivery's retry time does not pass between the two reads: it moves a count to "due").
    let scrape = '';
    let deadCounts: Counts | undefined;
    await waitFor(async () => {
      const counts = async () => (await adminJson<{ destinations: Array<{ name: string; counts: Counts }> }>(f, '/destinations')).destinations.find((d) => d.name === 'dead')!.counts;
      const before = await counts();
      scrape = await (await f.admin('/metrics')).text();
      deadCounts = await counts();
      return JSON.stringify(before) === JSON.stringify(deadCounts);
    }, 30_000, 'a scrape between two equal readings of the counts');
    expect(metric(scrape, 'ferry_destination_paused', 'destination="dead"')).toBe(1);
    expect(metric(scrape, 'ferry_destination_paused', 'destination="crm"')).toBe(0);
    expect(metric(scrape, 'ferry_destination_breaker_state', 'destination="dead"')).toBeGreaterThan(0);
    expect(metric(scrape, 'ferry_destination_breaker_state', 'destination="crm"')).toBe(0);
    expect(metric(scrape, 'ferry_destination_pending', 'destination="dead"')).toBe(deadCounts!.pending + deadCounts!.failed);
    expect(metric(scrape, 'ferry_destination_blocked', 'destination="dead"')).toBe(deadCounts!.blocked);
    expect(metric(scrape, 'ferry_destination_pending', 'destination="dead"') + metric(scrape, 'ferry_destination_blocked', 'destination="dead"')).toBe(36);
    expect(metric(scrape, 'ferry_destination_pending', 'destination="crm"')).toBe(0);
    expect(metric(scrape, 'ferry_destination_oldest_pending_age_seconds', 'destination="dead"')).toBeGreaterThan(0);
    expect(metric(scrape, 'ferry_destination_oldest_pending_age_seconds', 'destination="crm"')).toBe(0);
    // Attempts by outcome: 29 + 6 successes, 12 failed attempts (two per flaky event), one abort.
    expect(metric(scrape, 'ferry_deliveries_total', 'destination="crm",outcome="succeeded"')).toBe(35);
    expect(metric(scrape, 'ferry_deliveries_total', 'destination="crm",outcome="failed"')).toBe(12);
    expect(metric(scrape, 'ferry_deliveries_total', 'destination="crm",outcome="aborted"')).toBe(1);
  }, 120_000);

  it('answers 404 for an unknown destination and 400 for a window that ends before it starts', async () => {
    const f = await startFerry({ dataDir: tempDir(), config: { sources: [{ name: 'web', writeKeys: [KEY] }], destinations: [{ name: 'm', type: 'memory' }] } });
    running.push(f);
    expect((await f.admin('/admin/destinations/nope/summary')).status).toBe(404);
    expect((await f.admin('/admin/destinations/nope/pause', { method: 'POST' })).status).toBe(404);
    const bad = await f.admin('/admin/summary?from=2000&to=1000');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'invalid_body' });
    const empty = await adminJson<{ destinations: Summary[] }>(f, '/summary');
    expect(empty.destinations).toEqual([expect.objectContaining({ destination: 'm', received: 0, latencyMs: null, aborted: { total: 0, byReason: {} } })]);
  }, 60_000);
});
