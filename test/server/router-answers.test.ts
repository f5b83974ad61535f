import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, post, startFerry, tempDir, type FerryProcess } from '../helpers/ferry-process.js';
import { byUser, startSink, waitFor, type Sink } from '../helpers/sink.js';

/** The destination-answer rule (DESIGN, "Router") against a real server and a real webhook. */
const KEY = 'answers-key';
const fastRetry = { baseMs: 20, capMs: 300, maxAttempts: 1000, windowMs: 3_600_000 };
const running: FerryProcess[] = [];
const sinks: Sink[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const f of running.splice(0)) await f.kill('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
  for (const d of dirs.splice(0)) cleanup(d);
});

async function setup(respond: Sink['respond'], destination: Record<string, unknown> = {}) {
  const s = await startSink(respond);
  sinks.push(s);
  const dataDir = tempDir();
  dirs.push(dataDir);
  const f = await startFerry({
    dataDir,
    config: { sources: [{ name: 'web', writeKeys: [KEY] }], destinations: [{ name: 'hook', type: 'webhook', url: s.url, retry: fastRetry, ...destination }] },
  });
  running.push(f);
  return { s, f };
}

function events(users: number, perUser: number): Array<Record<string, unknown>> {
  const run = `ans-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < perUser; i++) for (let u = 0; u < users; u++) out.push({ type: 'track', event: `e ${i}`, userId: `u${u}`, messageId: `${run}-u${u}-${i}` });
  return out;
}

type Destinations = { destinations: Array<{ breaker: string; counts: { succeeded: number; aborted: number; pending: number; blocked: number; failed: number } }> };
async function destination(f: FerryProcess) {
  const res = await f.admin(`/admin/destinations`);
  return ((await res.json()) as Destinations).destinations[0]!;
}

describe('answers about the endpoint are retried, answers about the content abort only the culprit', () => {
  it('delivers the whole backlog in order after a webhook URL answered 404 for a while, aborting nothing', async () => {
    let broken = true;
    const { s, f } = await setup(() => (broken ? { status: 404, body: { error: 'no route POST /hook' } } : { status: 200 }), { maxBatchEvents: 20 });
    const list = events(5, 20);
    expect((await post(f.url, { batch: list }, { writeKey: KEY })).status).toBe(200);
    // The 404s count against the destination: the breaker pauses it, nothing is aborted.
    await waitFor(async () => (await destination(f)).breaker !== 'closed', 30_000, 'the breaker to pause the destination');
    expect((await destination(f)).counts.aborted).toBe(0);
    expect(s.requests.length).toBeGreaterThanOrEqual(5);
    expect(s.requests.every((r) => r.status === 404)).toBe(true);
    broken = false; // the URL is fixed: the endpoint comes back
    await waitFor(() => s.received.length >= list.length, 60_000, 'the whole backlog');
    await waitFor(async () => (await destination(f)).counts.succeeded === list.length, 10_000, 'every delivery succeeded');
    expect(s.received).toHaveLength(list.length);
    expect(byUser(s.received)).toEqual(byUser(list));
    expect((await destination(f)).counts).toMatchObject({ succeeded: 100, aborted: 0, pending: 0, blocked: 0, failed: 0 });
    const story = (await (await f.admin(`/admin/events/${list[0]!.messageId}`)).json()) as { attempts: Array<{ status: number }> };
    expect(story.attempts.at(-1)!.status).toBe(200);
    expect(story.attempts.slice(0, -1).every((a) => a.status === 404) && story.attempts.length > 1).toBe(true);
  }, 90_000);

  it('retries past a proxy\'s HTML 400 page instead of aborting', async () => {
    const html = '<!DOCTYPE html><html><head><title>400 Bad Request</title></head><body><center><h1>400 Bad Request</h1></center><hr><center>nginx</center></body></html>';
    const { s, f } = await setup((_batch, n) => (n <= 6 ? { status: 400, body: html, headers: { 'Content-Type': 'text/html' } } : { status: 200 }));
    const list = events(3, 4);
    expect((await post(f.url, { batch: list }, { writeKey: KEY })).status).toBe(200);
    await waitFor(() => s.received.length >= list.length, 30_000, 'every event');
    expect(byUser(s.received)).toEqual(byUser(list));
    expect((await destination(f)).counts).toMatchObject({ succeeded: list.length, aborted: 0 });
  }, 60_000);

  it('isolates one refused event among 32 with ⌈log2 32⌉ refused requests after the first, and aborts only it', async () => {
    const list = events(8, 4);
    const culprit = String(list[11]!.messageId);
    const { s, f } = await setup((batch) => (batch.some((e) => e.messageId === culprit) ? { status: 422, body: { error: 'bad total' } } : { status: 200 }), { maxBatchEvents: 32 });
    expect((await post(f.url, { batch: list }, { writeKey: KEY })).status).toBe(200);
    await waitFor(async () => {
      const c = (await destination(f)).counts;
      return c.succeeded + c.aborted === list.length;
    }, 30_000, 'every delivery settled');
    expect(s.requests.filter((r) => r.status === 422)).toHaveLength(1 + Math.ceil(Math.log2(32)));
    expect((await destination(f)).counts).toMatchObject({ succeeded: 31, aborted: 1 });
    expect(byUser(s.received)).toEqual(byUser(list.filter((e) => e.messageId !== culprit)));
  });

  it('waits for Retry-After on a 429 before the next attempt', async () => {
    // capMs above the asked wait: Retry-After is honoured up to the backoff cap.
    const { s, f } = await setup((_batch, n) => (n === 1 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 200 }), { retry: { ...fastRetry, capMs: 5000 } });
    const list = events(1, 3);
    expect((await post(f.url, { batch: list }, { writeKey: KEY })).status).toBe(200);
    await waitFor(() => s.received.length >= list.length, 30_000, 'every event');
    expect(s.requests[0]!.status).toBe(429);
    // A lower bound only: the retry came no sooner than the destination asked.
    expect(s.requests[1]!.at - s.requests[0]!.at).toBeGreaterThanOrEqual(950);
    expect((await destination(f)).counts).toMatchObject({ succeeded: 3, aborted: 0 });
  });
});
