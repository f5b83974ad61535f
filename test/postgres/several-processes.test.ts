import { afterEach, describe, expect, it } from 'vitest';
import { Analytics } from '@segment/analytics-node';
import { adminJson, cleanup, post, startFerry, tempDir, type FerryProcess } from '../helpers/ferry-process.js';
import { databaseFor } from '../helpers/postgres.js';
import { byUser, startSink, waitFor, type Sink } from '../helpers/sink.js';

const KEY = 'several-key';
const USERS = 10;
const PER_USER = 30;
const KILLS = 3;
const running: FerryProcess[] = [];
const sinks: Sink[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const f of running.splice(0)) await f.kill('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
  for (const d of dirs.splice(0)) cleanup(d);
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Posts one event until a 200 (the process may be dead or restarting): a client's retry. */
async function sendUntilAccepted(targets: () => FerryProcess[], event: Record<string, unknown>, first: number): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const f = targets()[(first + attempt) % targets().length]!;
    const res = await post(f.url, { batch: [event] }, { writeKey: KEY }).catch(() => null);
    if (res?.status === 200) return;
    await pause(50);
  }
  throw new Error(`event ${String(event.messageId)} was never accepted`);
}

/** analytics-node with an explicit messageId, resent (same id) until its flush succeeds. */
async function trackUntilAccepted(analytics: Analytics, params: { userId: string; event: string; messageId: string }): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const err = await new Promise<unknown>((resolve) => analytics.track(params, (e) => resolve(e)));
    if (!err) return;
    await pause(100);
  }
  throw new Error(`event ${params.messageId} was never accepted by analytics-node`);
}

describe('several processes on one PostgreSQL', () => {
  it(`2 ingest + 2 route processes, one of each SIGKILLed ${KILLS} times: every event once per destination (copies keep their messageId), per-user order exact, nothing stuck`, async () => {
    const sink = await startSink(() => ({ status: 200, delayMs: 5 }));
    sinks.push(sink);
    const dir = tempDir();
    dirs.push(dir);
    const config = {
      store: { kind: 'postgres', url: await databaseFor(dir) },
      // Takeover of a dead route process: its partitions after 1.5 s, its leases cleared then.
      router: { leaseMs: 4000, partitionLeaseMs: 1500 },
      sources: [{ name: 'web', writeKeys: [KEY] }],
      destinations: [{ name: 'hook', type: 'webhook', url: sink.url, maxBatchEvents: 20, concurrency: 2, timeoutMs: 1500, retry: { baseMs: 20, capMs: 300, maxAttempts: 1000, windowMs: 3_600_000 } }],
    };
    const start = async (role: 'ingest' | 'route', port?: number) => {
      const processDir = tempDir();
      dirs.push(processDir);
      const f = await startFerry({ dataDir: processDir, port, config: { ...config, role } });
      running.push(f);
      return f;
    };
    const ingest = [await start('ingest'), await start('ingest')];
    const route = [await start('route'), await start('route')];

    const run = `mp-${Date.now()}`;
    const sent = new Map<string, string[]>();
    const analytics = [0, 1].map((i) => new Analytics({ writeKey: KEY, host: ingest[i]!.url, flushAt: 1, flushInterval: 20, maxRetries: 2, httpRequestTimeout: 3000 }));
    const senders = Array.from({ length: USERS }, async (_, u) => {
      const userId = `user-${u}`;
      sent.set(userId, []);
      for (let i = 0; i < PER_USER; i++) {
        const messageId = `${run}-${userId}-${i}`;
        // Half the users through analytics-node (each to one ingest process), half by hand to both in turn.
        if (u < USERS / 2) await trackUntilAccepted(analytics[u % 2]!, { userId, event: `step ${i}`, messageId });
        else await sendUntilAccepted(() => ingest, { type: 'track', userId, event: `step ${i}`, messageId }, i);
        sent.get(userId)!.push(messageId);
      }
    });
    const killer = (async () => {
      for (let k = 0; k < KILLS; k++) {
        await waitFor(() => sink.received.length >= ((k + 1) * USERS * PER_USER) / (KILLS + 2), 60_000, `deliveries before kill ${k + 1}`);
        const i = k % 2;
        const [deadIngest, deadRoute] = [ingest[i]!, route[i]!];
        deadIngest.proc.kill('SIGKILL');
        deadRoute.proc.kill('SIGKILL');
        await Promise.all([deadIngest.exited, deadRoute.exited]);
        // The clients keep their address: the ingest process comes back on the same port.
        ingest[i] = await start('ingest', deadIngest.port);
        route[i] = await start('route');
      }
    })();
    await Promise.all([...senders, killer]);
    await Promise.all(analytics.map((a) => a.closeAndFlush({ timeout: 10_000 })));

    const total = USERS * PER_USER;
    const unique = () => new Set(sink.received.map((e) => String(e.messageId))).size;
    // Bounded well above takeover (partitionLeaseMs) plus a lease: nothing may stay stuck.
    await waitFor(() => unique() >= total, 60_000, `all ${total} events at the destination`);
    const sentIds = new Set([...sent.values()].flat());
    expect(sink.received.every((e) => sentIds.has(String(e.messageId)))).toBe(true);
    const seen = new Set<string>();
    const firsts = sink.received.filter((e) => !seen.has(String(e.messageId)) && seen.add(String(e.messageId)));
    expect(firsts).toHaveLength(total);
    expect(byUser(firsts)).toEqual(new Map([...sent.entries()]));

    // Every delivery settled once as succeeded; nothing pending, failed, blocked or aborted.
    type Counts = { destinations: Array<{ counts: Record<string, number> }> };
    await waitFor(async () => (await adminJson<Counts>(route[0]!, '/destinations')).destinations[0]!.counts.succeeded === total, 30_000, 'every delivery settled');
    expect((await adminJson<Counts>(route[0]!, '/destinations')).destinations[0]!.counts).toEqual({ pending: 0, blocked: 0, failed: 0, succeeded: total, aborted: 0, oldestLiveAt: null });
    // Both route processes hold a share of the users.
    const owned = async (f: FerryProcess) => Number(/^ferry_router_partitions_owned (\d+)/m.exec(await (await f.admin('/metrics')).text())?.[1] ?? -1);
    await waitFor(async () => (await owned(route[0]!)) > 0 && (await owned(route[1]!)) > 0, 20_000, 'both route processes to own partitions');
    expect((await owned(route[0]!)) + (await owned(route[1]!))).toBe(64);
  }, 240_000);
});
