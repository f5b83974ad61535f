import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { cleanup, startFerry, storedEvents, type FerryProcess } from '../helpers/ferry-process.js';
import { byUser, startSink, type Sink } from '../helpers/sink.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../helpers/fault-proxy.js';
import { startSite, type Site } from '../compat/site.js';

/**
 * RudderStack's JavaScript SDK v3 (@rudderstack/analytics-js), its bundled build (every plugin
 * inside: nothing is fetched from RudderStack's CDN), loaded with
 * `load(writeKey, ferryUrl, { configUrl: ferryUrl })` against a real `ferry serve`, behind a
 * fault proxy (the network that answers 503 on demand).
 */
const KEY = 'rudder-key';
const pkg = new URL('../../node_modules/@rudderstack/analytics-js/', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', pkg), 'utf8')) as { version: string };

let ferry: FerryProcess;
let proxy: FaultProxy;
let sink: Sink;
let site: Site;

function page(loadOptions: Record<string, unknown>): string {
  return `<!doctype html><title>shop</title><script src="/lib/rudder-analytics.js"></script><script>
    const ra = new window.rudderanalytics.RudderAnalytics();
    ra.load(${JSON.stringify(KEY)}, ${JSON.stringify(proxy.url)}, ${JSON.stringify({ configUrl: proxy.url, ...loadOptions })});
    window.ra = ra;
  </script>`;
}

test.beforeAll(async () => {
  sink = await startSink();
  proxy = await startFaultProxy('http://127.0.0.1:9');
  ferry = await startFerry({
    config: {
      sources: [{ name: 'shop', writeKeys: [KEY] }],
      destinations: [{ name: 'hook', type: 'webhook', url: sink.url, retry: { baseMs: 50, capMs: 500 } }],
    },
  });
  proxy.target = ferry.url;
  site = await startSite({
    // sendAdblockPage: v3 probes HEAD /sourceConfig/?view=ad and sends an extra page event per page() if that fails.
    pages: { '/': page({ sendAdblockPage: true }), '/batched': page({ queueOptions: { batch: { enabled: true, maxItems: 10, flushInterval: 200 } } }) },
    files: { '/lib/rudder-analytics.js': new URL('dist/npm/modern/bundled/umd/index.js', pkg) },
  });
});

test.afterAll(async () => {
  await site.close();
  await proxy.close();
  await ferry.kill();
  cleanup(ferry.dataDir);
  await sink.close();
});

function recordRequests(p: Page): Array<{ url: string; method: string; headers: Record<string, string>; body: string | null }> {
  const out: Array<{ url: string; method: string; headers: Record<string, string>; body: string | null }> = [];
  p.on('request', (r) => out.push({ url: r.url(), method: r.method(), headers: r.headers(), body: r.postData() }));
  return out;
}

type Rudder = Record<string, (...args: unknown[]) => void> & { ready: (f: () => void) => void };

const posts = (requests: Array<{ url: string; method: string }>) => requests.filter((r) => r.method === 'POST').map((r) => new URL(r.url).pathname);

test(`RudderStack analytics-js ${version}: every call type is stored once, and nothing goes anywhere but the site and Ferry`, async ({ page: p }) => {
  const requests = recordRequests(p);
  const before = storedEvents(ferry.dataDir).length;
  await p.goto(`${site.url}/`);
  await p.evaluate(async () => {
    const ra = (window as unknown as { ra: Rudder }).ra;
    await new Promise<void>((r) => ra.ready(() => r()));
    ra.page!('Shop', 'Home', { path: '/' });
    for (let i = 0; i < 10; i++) ra.track!('Item Viewed', { i });
    ra.identify!('user-7', { email: 'seven@example.com' });
    ra.group!('org-1', { plan: 'team' });
    ra.alias!('user-8', 'user-7');
    ra.track!('After Alias', { n: 1 });
  });
  await expect.poll(() => storedEvents(ferry.dataDir).length - before).toBe(15);
  const mine = storedEvents(ferry.dataDir).slice(before);
  expect(new Set(mine.map((s) => s.messageId)).size).toBe(15);
  expect(mine.every((s) => s.source === 'shop')).toBe(true);
  // Its XHR queue has several requests in flight, so arrival order (Ferry's order) is not call order.
  const count = (t: string) => mine.filter((s) => s.event.type === t).length;
  expect(['page', 'track', 'identify', 'group', 'alias'].map(count)).toEqual([1, 11, 1, 1, 1]);
  const of = (t: string) => mine.find((s) => s.event.type === t)!.event;
  const tracks = mine.filter((s) => s.event.event === 'Item Viewed').map((s) => s.event);
  expect(tracks.map((e) => (e.properties as { i: number }).i).sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  const firstTrack = tracks[0]!;
  const anonymousId = firstTrack.anonymousId as string;
  expect(anonymousId).toMatch(/^[0-9a-f-]{36}$/);
  expect(tracks.every((e) => e.anonymousId === anonymousId)).toBe(true);
  // Before identify() RudderStack sends userId "": stored as no userId, keyed by the anonymousId.
  expect(firstTrack.userId).toBeUndefined();
  expect(firstTrack).toMatchObject({ channel: 'web', context: { library: { name: 'RudderLabs JavaScript SDK', version } } });
  expect(Date.parse(firstTrack.sentAt as string)).not.toBeNaN();
  expect(of('page')).toMatchObject({ name: 'Home', category: 'Shop', properties: { path: '/' } });
  expect(of('identify')).toMatchObject({ userId: 'user-7', anonymousId, context: { traits: { email: 'seven@example.com' } } });
  expect(of('group')).toMatchObject({ groupId: 'org-1', traits: { plan: 'team' } });
  expect(of('alias')).toMatchObject({ userId: 'user-8', previousId: 'user-7' });

  expect(new Set(requests.map((r) => new URL(r.url).origin))).toEqual(new Set([site.url, proxy.url]));
  expect(proxy.requests.some((r) => r.method === 'HEAD' && r.path === '/sourceConfig/?view=ad' && r.status === 200)).toBe(true);
  expect(requests.filter((r) => r.method === 'GET' && r.url.startsWith(proxy.url)).map((r) => new URL(r.url).pathname)).toEqual(['/sourceConfig/']);
  expect(new Set(posts(requests))).toEqual(new Set(['/v1/page', '/v1/track', '/v1/identify', '/v1/group', '/v1/alias']));
  // Auth is HTTP Basic with the write key, as RudderStack's data plane expects.
  const post = requests.find((r) => r.method === 'POST')!;
  expect((post as unknown as { headers: Record<string, string> }).headers.authorization).toBe(`Basic ${Buffer.from(`${KEY}:`).toString('base64')}`);
});

test("RudderStack's batched queue (queueOptions.batch) posts to /v1/batch and every event is stored once", async ({ page: p }) => {
  const requests = recordRequests(p);
  const before = storedEvents(ferry.dataDir).length;
  await p.goto(`${site.url}/batched`);
  await p.evaluate(async () => {
    const ra = (window as unknown as { ra: Rudder }).ra;
    await new Promise<void>((r) => ra.ready(() => r()));
    for (let i = 0; i < 25; i++) ra.track!('Batched', { i });
  });
  await expect.poll(() => storedEvents(ferry.dataDir).length - before).toBe(25);
  const mine = storedEvents(ferry.dataDir).slice(before);
  expect(mine.map((s) => (s.event.properties as { i: number }).i)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  expect(new Set(posts(requests))).toEqual(new Set(['/v1/batch']));
});

test('every call type, refused with 503 + Retry-After across a reload, reaches the destination once, in order per user', async ({ page: p }) => {
  const before = storedEvents(ferry.dataDir).length;
  const sinkBefore = sink.received.length;
  const requestsBefore = proxy.requests.length;
  let failing = true;
  let cut = false;
  const FAIL_503: Fault = { status: 503, retryAfter: '1' };
  // Event posts get 503 + Retry-After while failing; then the first one reaches Ferry, which
  // commits it, and its answer is lost (the connection is cut): the re-send is Ferry's to absorb.
  proxy.fault = (r) => {
    if (r.method !== 'POST') return 'pass';
    if (failing) return FAIL_503;
    if (cut) return 'pass';
    cut = true;
    return 'cut';
  };
  const refused = () => proxy.requests.slice(requestsBefore).filter((r) => r.status === 503).length;
  try {
    await p.goto(`${site.url}/`);
    await p.evaluate(async () => {
      const ra = (window as unknown as { ra: Rudder }).ra;
      await new Promise<void>((r) => ra.ready(() => r()));
      ra.page!('Shop', 'Home', { i: 0 });
      ra.track!('Offline', { i: 1 });
      ra.identify!('u1', { email: 'one@example.com' });
      ra.track!('Offline', { i: 3 });
      ra.group!('org-1', { plan: 'team' });
      ra.alias!('u2', 'u1');
    });
    await expect.poll(refused).toBeGreaterThanOrEqual(6);
    expect(storedEvents(ferry.dataDir).length - before).toBe(0);
    // RudderStack keeps its queue in localStorage; the reloaded page reclaims it and sends it
    // again: still refused.
    const beforeReload = refused();
    await p.reload();
    await expect.poll(refused, { timeout: 30_000 }).toBeGreaterThan(beforeReload);
    failing = false;
    await expect.poll(() => storedEvents(ferry.dataDir).length - before, { timeout: 60_000 }).toBe(6);
    // The cut request was sent again and Ferry answered it as a duplicate.
    await expect.poll(() => proxy.requests.slice(requestsBefore).reduce((n, r) => n + r.duplicates, 0), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  } finally {
    proxy.fault = undefined;
  }
  const mine = storedEvents(ferry.dataDir).slice(before);
  expect(new Set(mine.map((s) => s.messageId)).size).toBe(6);
  expect(mine.map((s) => s.event.type).sort()).toEqual(['alias', 'group', 'identify', 'page', 'track', 'track']);
  expect(mine.filter((s) => s.event.type === 'track').map((s) => (s.event.properties as { i: number }).i).sort()).toEqual([1, 3]);
  await expect.poll(() => sink.received.length - sinkBefore, { timeout: 30_000 }).toBe(6);
  const delivered = sink.received.slice(sinkBefore);
  expect(new Set(delivered.map((e) => e.messageId)).size).toBe(6);
  expect(byUser(delivered)).toEqual(byUser(mine.map((s) => s.event)));
});
