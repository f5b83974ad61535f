import { describe, expect, it } from 'vitest';
import axios from 'axios';
import Analytics from '@rudderstack/rudder-sdk-node';
import { cleanup, startFerry, storedEvents } from '../helpers/ferry-process.js';
import { ferryForFile } from '../helpers/ferry-for-file.js';
import { startFaultProxy, type Fault } from '../helpers/fault-proxy.js';

/** RudderStack's node client, unchanged, with its dataPlaneUrl pointed at a real `ferry serve`. */
const KEY = 'rudder-node-key';
const ferry = ferryForFile(KEY);

/** An axios instance that records every answer's status, retries included. */
function recordingAxios(statuses: number[]) {
  const instance = axios.create();
  instance.interceptors.response.use(
    (res) => (statuses.push(res.status), res),
    (err: { response?: { status: number } }) => {
      statuses.push(err.response?.status ?? 0);
      return Promise.reject(err);
    },
  );
  return instance;
}

describe('@rudderstack/rudder-sdk-node pointed at Ferry', () => {
  it('stores all six call types exactly once', async () => {
    const statuses: number[] = [];
    const client = new Analytics(KEY, { dataPlaneUrl: ferry.url, flushAt: 30, flushInterval: 200, logLevel: 'error', axiosInstance: recordingAxios(statuses) });
    const rounds = 20;
    for (let i = 0; i < rounds; i++) {
      const userId = `user-${i % 4}`;
      client.track({ userId, event: 'Order Completed', properties: { round: i, currency: 'EUR' } });
      client.identify({ userId, traits: { round: i, email: `${userId}@example.com` } });
      client.page({ anonymousId: `anon-${i}`, name: 'Pricing', properties: { round: i } });
      client.screen({ userId, name: 'Home', properties: { round: i } });
      client.group({ userId, groupId: `org-${i % 3}`, traits: { round: i } });
      client.alias({ userId, previousId: `anon-${i}` });
    }
    await client.flush();
    await expect.poll(() => storedEvents(ferry.dataDir).length, { timeout: 20_000 }).toBe(rounds * 6);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);

    const stored = storedEvents(ferry.dataDir);
    expect(new Set(stored.map((s) => s.messageId)).size).toBe(rounds * 6);
    for (const type of ['track', 'identify', 'page', 'screen', 'group', 'alias']) expect(stored.filter((s) => s.event.type === type), type).toHaveLength(rounds);
    const track = stored.find((s) => s.event.type === 'track' && (s.event.properties as { round: number }).round === 5)!.event;
    expect(track).toMatchObject({ userId: 'user-1', event: 'Order Completed', properties: { currency: 'EUR' }, channel: 'server' });
    expect((track.context as { library: { name: string } }).library.name).toBe('analytics-node');
    expect(Date.parse(track.sentAt as string)).not.toBeNaN();
    expect(stored.find((s) => s.event.type === 'alias' && s.event.previousId === 'anon-5')!.event).toMatchObject({ userId: 'user-1' });
    expect(stored.find((s) => s.event.type === 'group' && (s.event.traits as { round: number }).round === 5)!.event).toMatchObject({ groupId: 'org-2' });
    expect(stored.find((s) => s.event.type === 'page' && s.event.anonymousId === 'anon-5')!.event).toMatchObject({ name: 'Pricing' });
  });

  it('rides out 503 + Retry-After and an answer lost after commit: every event stored once', async () => {
    // The network to Ferry answers the first two posts 503 + Retry-After, then lets the third
    // reach Ferry and cuts the connection before the answer: the client must send it again.
    const script: Fault[] = [{ status: 503, retryAfter: '1' }, { status: 503, retryAfter: '1' }, 'cut'];
    const proxy = await startFaultProxy(ferry.url, (_r, n) => script[n - 1] ?? 'pass');
    try {
      const before = storedEvents(ferry.dataDir).length;
      const errors: unknown[] = [];
      const client = new Analytics(KEY, {
        dataPlaneUrl: proxy.url, flushAt: 12, flushInterval: 100, retryCount: 5, logLevel: 'error',
        axiosRetryConfig: { retryDelay: () => 200 }, errorHandler: (err) => void errors.push(err),
      });
      for (let i = 0; i < 4; i++) {
        const userId = `retry-user-${i % 2}`;
        client.track({ userId, event: 'Retried', properties: { i } });
        client.identify({ userId, traits: { i } });
        client.page({ userId, name: 'Pricing', properties: { i } });
        client.screen({ userId, name: 'Home', properties: { i } });
        client.group({ userId, groupId: 'org', traits: { i } });
        client.alias({ userId, previousId: `anon-${i}` });
      }
      await client.flush();
      await expect.poll(() => storedEvents(ferry.dataDir).length - before, { timeout: 30_000 }).toBe(24);
      // Every request answered: the cut batch's second try included.
      await expect.poll(() => proxy.requests.every((r) => r.answered || r.fault !== 'pass'), { timeout: 30_000 }).toBe(true);
      expect(errors).toEqual([]);
      expect(proxy.requests.slice(0, 3).map((r) => r.fault)).toEqual(['503', '503', 'cut']);
      const mine = storedEvents(ferry.dataDir).slice(before);
      expect(new Set(mine.map((s) => s.messageId)).size).toBe(24);
      expect(['track', 'identify', 'page', 'screen', 'group', 'alias'].map((t) => mine.filter((s) => s.event.type === t).length)).toEqual([4, 4, 4, 4, 4, 4]);
      expect(proxy.requests.reduce((n, r) => n + r.duplicates, 0)).toBeGreaterThanOrEqual(1);
    } finally {
      await proxy.close();
    }
  });

  it('retries a 503 from an overloaded Ferry, reports the batch it gives up, and never stores one twice', async () => {
    // Room for 5 waiting events: a batch of 10 is refused with 503 every time, a batch of 5 fits.
    const small = await startFerry({ config: { maxPendingEvents: 5, sources: [{ name: 's', writeKeys: [KEY] }] } });
    try {
      const statuses: number[] = [];
      const errors: unknown[] = [];
      const refused = new Analytics(KEY, {
        dataPlaneUrl: small.url, flushAt: 10, flushInterval: 100, retryCount: 2, logLevel: 'error',
        axiosInstance: recordingAxios(statuses), axiosRetryConfig: { retryDelay: () => 50 }, errorHandler: (err) => void errors.push(err),
      });
      for (let i = 0; i < 10; i++) refused.track({ userId: 'u', event: `e${i}` });
      await refused.flush().catch((err: unknown) => errors.push(err));
      // The client sends its very first event alone (it fits); the other nine are one batch that
      // gets a try and two retries, all 503, and is then given up and reported.
      expect(statuses).toEqual([200, 503, 503, 503]);
      expect(errors.length).toBeGreaterThanOrEqual(1);
      expect(storedEvents(small.dataDir).map((s) => s.event.event)).toEqual(['e0']);

      const fits = new Analytics(KEY, { dataPlaneUrl: small.url, flushAt: 5, flushInterval: 100, logLevel: 'error' });
      for (let i = 0; i < 10; i++) fits.track({ userId: 'u', event: `f${i}` });
      await fits.flush();
      await expect.poll(() => storedEvents(small.dataDir).length, { timeout: 20_000 }).toBe(11);
      expect(storedEvents(small.dataDir).map((s) => s.event.event)).toEqual(['e0', ...Array.from({ length: 10 }, (_, i) => `f${i}`)]);
    } finally {
      await small.kill();
      cleanup(small.dataDir);
    }
  });
});
