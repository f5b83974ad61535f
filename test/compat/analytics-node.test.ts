import { describe, expect, it } from 'vitest';
import { Analytics } from '@segment/analytics-node';
import { cleanup, startFerry, storedEvents } from '../helpers/ferry-process.js';
import { ferryForFile } from '../helpers/ferry-for-file.js';
import { startFaultProxy, type Fault } from '../helpers/fault-proxy.js';

const KEY = 'node-write-key';
const ferry = ferryForFile(KEY);

describe('@segment/analytics-node pointed at Ferry', () => {
  it('stores every call type exactly once with its fields intact', async () => {
    const requests: Array<{ status: number }> = [];
    const analytics = new Analytics({ writeKey: KEY, host: ferry.url, flushAt: 50, flushInterval: 200, maxRetries: 3 });
    analytics.on('http_response', (r) => requests.push({ status: r.status }));
    const errors: unknown[] = [];
    analytics.on('error', (e) => errors.push(e));
    const timestamp = new Date('2026-05-01T12:00:00.000Z');
    const sent: Array<{ type: string; messageId: string }> = [];
    const collect = (type: string) => (err: unknown, ctx?: { event: { messageId?: string } }) => {
      if (err) errors.push(err);
      if (ctx?.event.messageId) sent.push({ type, messageId: ctx.event.messageId });
    };
    for (let i = 0; i < 100; i++) {
      const userId = `user-${i % 10}`;
      analytics.track({ userId, event: 'Order Completed', properties: { total: i, currency: 'EUR' }, timestamp }, collect('track'));
      analytics.identify({ userId, traits: { email: `${userId}@example.com` } }, collect('identify'));
      analytics.page({ anonymousId: `anon-${i}`, name: 'Pricing', properties: { path: '/pricing' } }, collect('page'));
      analytics.screen({ userId, name: 'Home' }, collect('screen'));
      analytics.group({ userId, groupId: `org-${i % 3}`, traits: { plan: 'team' } }, collect('group'));
      analytics.alias({ userId, previousId: `anon-${i}` }, collect('alias'));
    }
    await analytics.closeAndFlush({ timeout: 20_000 });
    expect(errors).toEqual([]);
    expect(sent).toHaveLength(600);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((r) => r.status === 200)).toBe(true);

    const stored = storedEvents(ferry.dataDir);
    expect(stored).toHaveLength(600);
    expect(new Set(stored.map((s) => s.messageId))).toEqual(new Set(sent.map((s) => s.messageId)));
    const byId = new Map(stored.map((s) => [s.messageId, s.event]));
    for (const s of sent) expect(byId.get(s.messageId)!.type).toBe(s.type);

    const track = stored.find((s) => s.event.type === 'track')!.event;
    expect(track).toMatchObject({ userId: 'user-0', event: 'Order Completed', properties: { total: 0, currency: 'EUR' } });
    expect((track.context as { library: { name: string } }).library.name).toBe('@segment/analytics-node');
    // The client's clock is trusted only as a difference: timestamp = receivedAt - (sentAt - originalTimestamp).
    const received = Date.parse(track.receivedAt as string);
    const drift = Date.parse(track.sentAt as string) - Date.parse(track.originalTimestamp as string);
    expect(track.originalTimestamp).toBe(timestamp.toISOString());
    expect(Date.parse(track.timestamp as string)).toBe(received - drift);
    expect(stored.find((s) => s.event.type === 'alias')!.event).toMatchObject({ previousId: 'anon-0', userId: 'user-0' });
    expect(stored.find((s) => s.event.type === 'group')!.event).toMatchObject({ groupId: 'org-0', traits: { plan: 'team' } });
    expect(stored.find((s) => s.event.type === 'page')!.event).toMatchObject({ anonymousId: 'anon-0', name: 'Pricing' });
    // _metadata and integrations travel through untouched.
    expect(track._metadata).toBeDefined();
  });

  it('rides out 503 + Retry-After and an answer lost after commit: every event stored once', async () => {
    // The network to Ferry answers the first two posts 503 + Retry-After, then lets the third
    // reach Ferry and cuts the connection before the answer: the client must send it again.
    const script: Fault[] = [{ status: 503, retryAfter: '1' }, { status: 503, retryAfter: '1' }, 'cut'];
    const proxy = await startFaultProxy(ferry.url, (_r, n) => script[n - 1] ?? 'pass');
    try {
      const before = storedEvents(ferry.dataDir).length;
      const analytics = new Analytics({ writeKey: KEY, host: proxy.url, flushAt: 12, flushInterval: 100, maxRetries: 5 });
      const errors: unknown[] = [];
      const sent: string[] = [];
      const types = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
      for (let i = 0; i < 4; i++) {
        const userId = `retry-user-${i % 2}`;
        const done = (err: unknown, ctx?: { event: { messageId?: string } }) => (err ? errors.push(err) : sent.push(ctx!.event.messageId!));
        analytics.track({ userId, event: 'Retried', properties: { i } }, done);
        analytics.identify({ userId, traits: { i } }, done);
        analytics.page({ userId, name: 'Pricing', properties: { i } }, done);
        analytics.screen({ userId, name: 'Home', properties: { i } }, done);
        analytics.group({ userId, groupId: 'org', traits: { i } }, done);
        analytics.alias({ userId, previousId: `anon-${i}` }, done);
      }
      await analytics.closeAndFlush({ timeout: 30_000 });
      expect(errors).toEqual([]);
      expect(proxy.requests.slice(0, 3).map((r) => r.fault)).toEqual(['503', '503', 'cut']);
      const mine = storedEvents(ferry.dataDir).slice(before);
      expect(mine.map((s) => s.messageId).sort()).toEqual([...sent].sort());
      expect(mine).toHaveLength(24);
      expect(types.map((t) => mine.filter((s) => s.event.type === t).length)).toEqual([4, 4, 4, 4, 4, 4]);
      // The cut batch came again and Ferry acknowledged it without storing it twice.
      expect(proxy.requests.reduce((n, r) => n + r.duplicates, 0)).toBe(12);
    } finally {
      await proxy.close();
    }
  });

  it('gets 503 + Retry-After from an overloaded Ferry, retries, reports the failure, and never stores twice', async () => {
    // A Ferry with room for 5 waiting events: batches of 10 are refused with 503 + Retry-After...
    const small = await startFerry({ config: { maxPendingEvents: 5, sources: [{ name: 's', writeKeys: [KEY] }] } });
    try {
      const statuses: number[] = [];
      const analytics = new Analytics({ writeKey: KEY, host: small.url, flushAt: 10, flushInterval: 100, maxRetries: 2 });
      analytics.on('http_response', (r) => statuses.push(r.status));
      const failed: unknown[] = [];
      for (let i = 0; i < 10; i++) analytics.track({ userId: 'u', event: `e${i}` }, (err) => err && failed.push(err));
      await analytics.closeAndFlush({ timeout: 20_000 });
      // ...which the client retries and finally reports as failed delivery: nothing stored, nothing lost silently.
      expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(2);
      expect(failed).toHaveLength(10);
      expect(storedEvents(small.dataDir)).toHaveLength(0);
      // Smaller batches fit and go through.
      const ok = new Analytics({ writeKey: KEY, host: small.url, flushAt: 5, flushInterval: 100 });
      for (let i = 0; i < 10; i++) ok.track({ userId: 'u', event: `e${i}` });
      await ok.closeAndFlush({ timeout: 20_000 });
      expect(storedEvents(small.dataDir).map((s) => s.event.event)).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`));
    } finally {
      await small.kill();
      cleanup(small.dataDir);
    }
  });
});
