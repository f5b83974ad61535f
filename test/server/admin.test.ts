import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, post, startFerry, readEvents, tempDir, type FerryProcess } from '../helpers/ferry-process.js';
import { startSink, waitFor, type Sink } from '../helpers/sink.js';

const KEY = 'admin-key';
const running: FerryProcess[] = [];
const sinks: Sink[] = [];

afterEach(async () => {
  for (const f of running.splice(0)) {
    await f.kill('SIGKILL');
    cleanup(f.dataDir);
  }
  for (const s of sinks.splice(0)) await s.close();
});

async function start(config: Record<string, unknown>) {
  const f = await startFerry({ dataDir: tempDir(), config: { sources: [{ name: 'web', writeKeys: [KEY] }], ...config } });
  running.push(f);
  return f;
}

describe('admin API and metrics', () => {
  it('requires the Bearer token when one is configured', async () => {
    const f = await start({ admin: { token: 'correct-horse-battery' } });
    const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
    expect((await fetch(`${f.adminUrl}/admin/events`)).status).toBe(401);
    expect((await fetch(`${f.adminUrl}/admin/events`, bearer('correct-horse-batterz'))).status).toBe(401);
    expect((await fetch(`${f.adminUrl}/admin/events`, bearer('correct-horse-battery-and-more'))).status).toBe(401);
    expect((await fetch(`${f.adminUrl}/metrics`, bearer('x'))).status).toBe(401);
    const refused = await fetch(`${f.adminUrl}/admin/users/u/suppress`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(await refused.json()).toMatchObject({ ok: false, code: 'unauthorized' });
    const ok = await fetch(`${f.adminUrl}/admin/events`, bearer('correct-horse-battery'));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ events: [] });
    expect((await fetch(`${f.adminUrl}/metrics`, bearer('correct-horse-battery'))).status).toBe(200);
  });

  it('checks query parameters and bodies by schema, naming the field', async () => {
    const f = await start({});
    const cases: Array<[string, RequestInit | undefined, string]> = [
      ['/admin/events?limit=abc', undefined, 'limit'],
      ['/admin/events?since=yesterday', undefined, 'since'],
      ['/admin/events?order=sideways', undefined, 'order'],
      ['/admin/deliveries?state=bogus', undefined, 'state'],
      ['/admin/deliveries/abort', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }, 'ids'],
      ['/admin/users/u?suppress=maybe', { method: 'DELETE' }, 'suppress'],
    ];
    for (const [path, init, field] of cases) {
      const res = await f.admin(path, init);
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as { code: string; error: string };
      expect(body.code, path).toBe('invalid_body');
      expect(body.error, path).toContain(field);
    }
    const since = new Date(Date.now() - 60_000).toISOString();
    expect((await f.admin(`/admin/events?since=${since}&until=${Date.now()}&limit=5&order=desc&afterSeq=0`)).status).toBe(200);
  });

  it('retries aborted deliveries on request, and refuses a malformed abort', async () => {
    let refuse = true;
    const s = await startSink((batch) => (refuse && batch.some((e) => e.event === 'bad') ? { status: 422 } : { status: 200 }));
    sinks.push(s);
    const f = await start({ destinations: [{ name: 'hook', type: 'webhook', url: s.url, retry: { baseMs: 20, capMs: 100 } }] });
    const bad = { type: 'track', event: 'bad', userId: 'u', messageId: `bad-${Date.now()}` };
    await post(f.url, { batch: [bad] }, { writeKey: KEY });
    const aborted = async () => ((await (await f.admin(`/admin/deliveries?state=aborted`)).json()) as { deliveries: Array<{ id: number }> }).deliveries;
    await waitFor(async () => (await aborted()).length === 1, 10_000, 'the abort');
    refuse = false;
    const retry = await f.admin(`/admin/deliveries/retry`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ includeAborted: true }) });
    expect(await retry.json()).toEqual({ ok: true, retried: 1 });
    await waitFor(() => s.received.length === 1, 10_000, 'the retried delivery');
    type Story = { deliveries: Array<{ state: string; attempts: number }>; attempts: Array<{ status: number }> };
    const storyOf = async () => (await (await f.admin(`/admin/events/${bad.messageId}`)).json()) as Story;
    // The sink has the event; the settle that records it follows the answer.
    await waitFor(async () => (await storyOf()).deliveries[0]?.state !== 'pending', 10_000, 'the settle');
    const story = await storyOf();
    expect(story.deliveries[0]).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(story.attempts.map((a) => a.status)).toEqual([422, 200]);

    const bogus = await f.admin(`/admin/deliveries/abort`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"ids":"all"}' });
    expect(bogus.status).toBe(400);
    expect(await bogus.json()).toMatchObject({ ok: false, code: 'invalid_body' });
  });

  it('deletes a user with a receipt', async () => {
    const f = await start({});
    await post(f.url, { batch: [
      { type: 'track', event: 'a', userId: 'gone', messageId: `g1-${Date.now()}` },
      { type: 'track', event: 'b', userId: 'gone', messageId: `g2-${Date.now()}` },
      { type: 'track', event: 'c', userId: 'stays', messageId: `s1-${Date.now()}` },
      { type: 'page', anonymousId: 'gone', messageId: `g3-${Date.now()}` },
    ] }, { writeKey: KEY });
    const res = await f.admin(`/admin/users/gone`, { method: 'DELETE' });
    const receipt = (await res.json()) as Record<string, unknown>;
    expect(receipt).toMatchObject({ ok: true, userKey: 'gone', events: 3, deliveries: 0, suppressed: false });
    expect(Date.parse(receipt.deletedAt as string)).not.toBeNaN();
    expect((await readEvents(f.dataDir)).map((e) => e.event.userId)).toEqual(['stays']);
  });

  it('suppresses a user: their later events are refused by name, others are stored, across a restart', async () => {
    const f = await start({});
    const res = await f.admin(`/admin/users/objector/suppress`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"reason":"asked us to stop"}' });
    expect(await res.json()).toMatchObject({ ok: true, userKey: 'objector' });
    const batch = [
      { type: 'track', event: 'a', userId: 'objector' },
      { type: 'track', event: 'b', anonymousId: 'objector' },
      { type: 'track', event: 'c', userId: 'someone-else' },
    ];
    const sent = await post(f.url, { batch }, { writeKey: KEY });
    expect(sent.body).toMatchObject({ accepted: 1, rejected: [{ index: 0, code: 'suppressed' }, { index: 1, code: 'suppressed' }] });
    const single = await post(f.url, { event: 'x', userId: 'objector' }, { writeKey: KEY, path: '/v1/track' });
    expect(single.status).toBe(403);
    expect(single.body).toMatchObject({ ok: false, code: 'suppressed' });
    // The list is in the store: a restarted server still refuses.
    await f.kill('SIGTERM');
    const again = await startFerry({ dataDir: f.dataDir, config: { sources: [{ name: 'web', writeKeys: [KEY] }] } });
    running.push(again);
    expect((await post(again.url, { batch: [batch[0]] }, { writeKey: KEY })).body).toMatchObject({ accepted: 0, rejected: [{ code: 'suppressed' }] });
    expect(await (await again.admin(`/admin/users/objector/suppress`, { method: 'DELETE' })).json()).toEqual({ ok: true, userKey: 'objector', wasSuppressed: true });
    expect((await post(again.url, { batch: [batch[0]] }, { writeKey: KEY })).body).toMatchObject({ accepted: 1 });
    expect((await readEvents(again.dataDir)).map((e) => e.event.event)).toEqual(['c', 'a']);
  });

  it('exposes Prometheus metrics that count what happened', async () => {
    const f = await start({});
    await post(f.url, { batch: [{ type: 'track', event: 'x', userId: 'u' }, { type: 'nope' }] }, { writeKey: KEY });
    const text = await (await f.admin('/metrics')).text();
    expect(text).toMatch(/ferry_events_total\{source="web",outcome="accepted"\} 1/);
    expect(text).toMatch(/ferry_events_total\{source="web",outcome="rejected"\} 1/);
    expect(text).toMatch(/ferry_http_requests_total\{status="200"\} 1/);
    expect(text).toContain('ferry_ingest_commit_seconds_bucket');
  });
});
