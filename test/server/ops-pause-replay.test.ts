import { afterEach, describe, expect, it } from 'vitest';
import { adminJson, cleanup, post, startFerry, tempDir, type FerryProcess } from '../helpers/ferry-process.js';
import { byUser, startSink, waitFor, type Sink } from '../helpers/sink.js';

const KEY = 'ops-replay-key';
const running: FerryProcess[] = [];
const sinks: Sink[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const f of running.splice(0)) await f.kill('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
  for (const d of dirs.splice(0)) cleanup(d);
});

async function ferry(dataDir: string, destinations: Array<Record<string, unknown>>) {
  const f = await startFerry({ dataDir, config: { sources: [{ name: 'web', writeKeys: [KEY] }], destinations } });
  running.push(f);
  return f;
}

async function restart(f: FerryProcess, destinations: Array<Record<string, unknown>>) {
  expect(await f.kill('SIGTERM')).toBe(0);
  running.splice(running.indexOf(f), 1);
  return ferry(f.dataDir, destinations);
}

let runs = 0;
/** users × perUser track events, interleaved, each user's in order. */
function events(tag: string, users = 3, perUser = 4) {
  const run = `${tag}-${Date.now()}-${runs++}`;
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < perUser; i++) for (let u = 0; u < users; u++) out.push({ type: 'track', event: `Step ${i}`, userId: `u${u}`, messageId: `${run}-u${u}-${i}` });
  return out;
}

async function send(f: FerryProcess, list: Array<Record<string, unknown>>) {
  const res = await post(f.url, { batch: list }, { writeKey: KEY });
  expect(res.status).toBe(200);
  expect(res.body.accepted).toBe(list.length);
}

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
async function call<T>(f: FerryProcess, path: string, init: RequestInit, status = 200): Promise<T> {
  const res = await f.admin(`/admin${path}`, init);
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(status);
  return body as T;
}

interface Summary { received: number; deliveredFirstTry: number; pending: number; blocked: number; paused: boolean }
interface Replay { id: number; destination: string; state: string; total: number; created: number; delivered: number; filter: Record<string, unknown> }
interface Delivery { messageId: string; state: string; reason: string | null; replayId: number | null }

/** An instant strictly between two batches' receipt times. */
async function instant(): Promise<number> {
  const t = Date.now() + 1;
  while (Date.now() <= t) await new Promise((r) => setTimeout(r, 2));
  return t;
}

describe('pause, resume and replay (issue 17)', () => {
  it('keeps everything while paused, across a restart too, and delivers it in per-user order on resume', async () => {
    const s = await startSink();
    sinks.push(s);
    const dir = tempDir();
    dirs.push(dir);
    const destinations = [{ name: 'crm', type: 'webhook', url: s.url }];
    let f = await ferry(dir, destinations);
    expect(await call(f, '/destinations/crm/pause', { method: 'POST' })).toEqual({ destination: 'crm', paused: true });
    const list = events('paused', 3, 10);
    await send(f, list);
    // A negative observation needs time: a few loop periods (250 ms each) in which nothing goes.
    await new Promise((r) => setTimeout(r, 1500));
    expect(s.requests).toHaveLength(0);

    f = await restart(f, destinations);
    let summary = await adminJson<Summary>(f, '/destinations/crm/summary?from=0');
    expect(summary).toMatchObject({ received: 30, deliveredFirstTry: 0, pending: 30, blocked: 0, paused: true });
    await new Promise((r) => setTimeout(r, 1500));
    expect(s.requests).toHaveLength(0);

    expect(await call(f, '/destinations/crm/resume', { method: 'POST' })).toEqual({ destination: 'crm', paused: false });
    await waitFor(() => s.received.length >= 30, 30_000, 'the kept events after resume');
    expect(s.received).toHaveLength(30);
    expect(byUser(s.received)).toEqual(byUser(list));
    await waitFor(async () => (await adminJson<Summary>(f, '/destinations/crm/summary?from=0')).deliveredFirstTry === 30, 10_000, 'the summary to show every delivery');
    summary = await adminJson<Summary>(f, '/destinations/crm/summary?from=0');
    expect(summary).toMatchObject({ received: 30, deliveredFirstTry: 30, pending: 0, paused: false });
  }, 90_000);

  it('replays exactly a time range into a destination added later, behind what its users already had there, and cancels a replay', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const old = [{ name: 'old', type: 'memory' }];
    let f = await ferry(dir, old);
    const before = events('before');
    await send(f, before);
    const from = await instant();
    const range = events('range');
    await send(f, range);
    const to = await instant();
    const after = events('after');
    await send(f, after);
    const end = await instant();
    await waitFor(async () => (await adminJson<Summary>(f, '/destinations/old/summary?from=0')).deliveredFirstTry === 36, 30_000, 'old to get everything');

    // Restarted with a new destination, which gets nothing of what was stored before.
    const s = await startSink();
    sinks.push(s);
    f = await restart(f, [...old, { name: 'fresh', type: 'webhook', url: s.url }]);
    expect((await adminJson<Summary>(f, '/destinations/fresh/summary?from=0')).received).toBe(0);
    // Its users already have deliveries waiting there: the replay must queue behind them.
    await call(f, '/destinations/fresh/pause', json({ reason: 'filling it' }));
    const live = events('live', 3, 2);
    await send(f, live);

    const started = await call<Replay>(f, '/replays', json({ destination: 'fresh', from: new Date(from).toISOString(), to: String(to) }), 202);
    expect(started).toMatchObject({ destination: 'fresh', state: 'running', total: 12 });
    await waitFor(async () => (await adminJson<Replay>(f, `/replays/${started.id}`)).created === 12, 30_000, 'the copies');
    await call(f, '/destinations/fresh/resume', { method: 'POST' });
    await waitFor(() => s.received.length >= 18, 30_000, 'the live events and the replayed range');
    await waitFor(async () => (await adminJson<Replay>(f, `/replays/${started.id}`)).state === 'done', 10_000, 'the replay to be done');

    expect(s.received).toHaveLength(18);
    const expected = byUser([...live, ...range]);
    expect(byUser(s.received)).toEqual(expected);
    expect(await adminJson<Replay>(f, `/replays/${started.id}`)).toMatchObject({ state: 'done', total: 12, created: 12, delivered: 12 });
    const rows = (await adminJson<{ deliveries: Delivery[] }>(f, '/deliveries?destination=fresh&limit=100')).deliveries;
    expect(rows.filter((d) => d.replayId === started.id).map((d) => d.messageId).sort()).toEqual(range.map((e) => String(e.messageId)).sort());
    expect(rows.filter((d) => d.replayId === null).map((d) => d.messageId).sort()).toEqual(live.map((e) => String(e.messageId)).sort());
    // The destination named: the replayed range is counted in the summary of its window.
    expect(await adminJson<Summary & { replayed: number }>(f, `/destinations/fresh/summary?from=${from}&to=${to}`)).toMatchObject({ received: 12, deliveredFirstTry: 12, replayed: 12 });

    // A replay cancelled before it is delivered: its waiting deliveries are aborted, nothing is sent.
    await call(f, '/destinations/fresh/pause', { method: 'POST' });
    const second = await call<Replay>(f, '/replays', json({ destination: 'fresh', from: String(to), to: String(end), event: 'Step 0' }), 202);
    expect(second.total).toBe(3);
    await waitFor(async () => (await adminJson<Replay>(f, `/replays/${second.id}`)).created === 3, 30_000, 'the second replay\'s copies');
    expect(await call<Replay>(f, `/replays/${second.id}/cancel`, { method: 'POST' })).toMatchObject({ state: 'cancelled', created: 3, delivered: 0 });
    const cancelled = (await adminJson<{ deliveries: Delivery[] }>(f, '/deliveries?destination=fresh&limit=100')).deliveries.filter((d) => d.replayId === second.id);
    expect(cancelled.map((d) => d.messageId).sort()).toEqual(after.filter((e) => e.event === 'Step 0').map((e) => String(e.messageId)).sort());
    expect(cancelled.every((d) => d.state === 'aborted' && d.reason === `replay ${second.id} cancelled by an operator`)).toBe(true);
    const { replays } = await adminJson<{ replays: Replay[] }>(f, '/replays');
    expect(replays.map((r) => [r.id, r.state])).toEqual([[second.id, 'cancelled'], [started.id, 'done']]);

    expect((await f.admin('/admin/replays', json({ destination: 'nope', from: '0', to: '1' }))).status).toBe(404);
    expect((await f.admin('/admin/replays/999')).status).toBe(404);
  }, 120_000);
});
