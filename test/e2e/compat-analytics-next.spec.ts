import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { cleanup, startFerry, storedEvents, type FerryProcess } from '../helpers/ferry-process.js';
import { byUser, startSink, type Sink } from '../helpers/sink.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../helpers/fault-proxy.js';
import { startSite, type Site } from '../compat/site.js';

/**
 * @segment/analytics-next loaded by its own loader, AnalyticsBrowser.load, with only cdnURL
 * changed to a real `ferry serve`: Ferry answers the settings, the library sends to Ferry.
 * Ferry sits behind a fault proxy (its publicUrl), the network that answers 503 on demand.
 */
const KEY = 'ajs-key';
const BATCH_KEY = 'ajs-batching-key';
const pkg = new URL('../../node_modules/@segment/analytics-next/', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', pkg), 'utf8')) as { version: string };

let ferry: FerryProcess;
let proxy: FaultProxy;
let sink: Sink;
let site: Site;

function page(key: string): string {
  return `<!doctype html><title>shop</title><script src="/lib/analytics-next.js"></script><script>
    window.analytics = AnalyticsNext.AnalyticsBrowser.load({ writeKey: ${JSON.stringify(key)}, cdnURL: ${JSON.stringify(proxy.url)} });
  </script>`;
}

test.beforeAll(async () => {
  sink = await startSink();
  // Ferry's address is known once it runs: the proxy gets its target then.
  proxy = await startFaultProxy('http://127.0.0.1:9');
  ferry = await startFerry({
    config: {
      publicUrl: proxy.url,
      sources: [
        { name: 'shop', writeKeys: [KEY] },
        { name: 'batched', writeKeys: [BATCH_KEY], analyticsJs: { batching: { size: 10, timeoutMs: 200 } } },
      ],
      destinations: [{ name: 'hook', type: 'webhook', url: sink.url, retry: { baseMs: 50, capMs: 500 } }],
    },
  });
  proxy.target = ferry.url;
  site = await startSite({
    pages: { '/': page(KEY), '/batched': page(BATCH_KEY) },
    files: { '/lib/analytics-next.js': new URL('dist/umd/index.js', pkg) },
  });
});

test.afterAll(async () => {
  await site.close();
  await proxy.close();
  await ferry.kill();
  cleanup(ferry.dataDir);
  await sink.close();
});

/** Every URL the page asks for, to prove nothing leaves for a vendor. */
function recordRequests(p: Page): string[] {
  const urls: string[] = [];
  p.on('request', (r) => urls.push(r.url()));
  return urls;
}

type Calls = Record<string, (...args: unknown[]) => Promise<{ event: { messageId: string } }>>;

test(`analytics-next ${version}: every call type is stored once, and nothing goes anywhere but the site and Ferry`, async ({ page: p }) => {
  const urls = recordRequests(p);
  const before = storedEvents(ferry.dataDir).length;
  // A controllable clock, to live through analytics-next's 30-second metrics flush below.
  await p.clock.install();
  await p.goto(`${site.url}/`);
  const ids = await p.evaluate(async () => {
    const a = (window as unknown as { analytics: Calls }).analytics;
    const out: Array<[string, string]> = [];
    const call = async (type: string, ...args: unknown[]) => out.push([type, (await a[type]!(...args)).event.messageId]);
    await call('page', 'Home');
    for (let i = 0; i < 10; i++) await call('track', 'Item Viewed', { i });
    await call('identify', 'user-7', { email: 'seven@example.com' });
    await call('group', 'org-1', { plan: 'team' });
    await call('alias', 'user-8', 'user-7');
    await call('screen', 'Settings');
    await call('page', 'Docs', 'Intro');
    return out;
  });
  await expect.poll(() => storedEvents(ferry.dataDir).length - before).toBe(16);
  // Its remote metrics would now go to api.segment.io, unless the settings sample none.
  await p.clock.runFor(65_000);
  await p.evaluate(() => new Promise((r) => setTimeout(r, 100)));
  const mine = storedEvents(ferry.dataDir).slice(before);
  expect(mine.every((s) => s.source === 'shop')).toBe(true);
  expect(mine.map((s) => [s.event.type, s.messageId])).toEqual(ids);
  const track = mine.find((s) => s.event.type === 'track')!.event;
  expect(track).toMatchObject({ event: 'Item Viewed', properties: { i: 0 }, anonymousId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  expect((track.context as { library: { name: string; version: string } }).library).toEqual({ name: 'analytics.js', version: `next-${version}` });
  expect(mine.find((s) => s.event.type === 'identify')!.event).toMatchObject({ userId: 'user-7', traits: { email: 'seven@example.com' } });

  const origins = new Set(urls.map((u) => new URL(u).origin));
  expect([...origins].sort()).toEqual([proxy.url, site.url].sort());
  expect(urls.filter((u) => u.startsWith(proxy.url)).map((u) => new URL(u).pathname).filter((path) => !path.startsWith('/v1/') || path.includes('/projects/'))).toEqual([`/v1/projects/${KEY}/settings`]);
});

test("analytics-next's batching delivery, chosen by the source's settings, posts to /v1/b", async ({ page: p }) => {
  const urls = recordRequests(p);
  const before = storedEvents(ferry.dataDir).length;
  await p.goto(`${site.url}/batched`);
  await p.evaluate(async () => {
    const a = (window as unknown as { analytics: Calls }).analytics;
    await Promise.all(Array.from({ length: 35 }, (_, i) => a.track!('Batched', { i })));
  });
  await expect.poll(() => storedEvents(ferry.dataDir).length - before).toBe(35);
  const mine = storedEvents(ferry.dataDir).slice(before);
  expect(mine.every((s) => s.source === 'batched')).toBe(true);
  expect(mine.map((s) => (s.event.properties as { i: number }).i)).toEqual(Array.from({ length: 35 }, (_, i) => i));
  const posts = urls.filter((u) => u.startsWith(`${proxy.url}/v1/`) && !u.includes('/projects/')).map((u) => new URL(u).pathname);
  expect(new Set(posts)).toEqual(new Set(['/v1/b']));
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
    await p.evaluate(() => {
      const a = (window as unknown as { analytics: Calls }).analytics;
      // Not awaited: each call's promise waits for a delivery that cannot happen yet.
      void a.track!('Offline', { i: 0 }, { userId: 'u0' });
      void a.page!('Shop', 'Home', { i: 1 }, { userId: 'u0' });
      void a.screen!('Shop', 'Settings', { i: 2 }, { userId: 'u0' });
      void a.identify!('u1', { email: 'one@example.com' });
      void a.track!('Offline', { i: 4 });
      void a.group!('org-1', { plan: 'team' });
      void a.alias!('u2', 'u1');
    });
    await expect.poll(refused).toBeGreaterThanOrEqual(7);
    expect(storedEvents(ferry.dataDir).length - before).toBe(0);
    // analytics-next keeps what it has not delivered in localStorage when the page goes away,
    // and the reloaded page sends it again: still refused.
    const beforeReload = refused();
    await p.reload();
    await expect.poll(refused, { timeout: 30_000 }).toBeGreaterThan(beforeReload);
    failing = false;
    await expect.poll(() => storedEvents(ferry.dataDir).length - before, { timeout: 60_000 }).toBe(7);
    // The cut request was sent again and Ferry answered it as a duplicate.
    await expect.poll(() => proxy.requests.slice(requestsBefore).reduce((n, r) => n + r.duplicates, 0), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  } finally {
    proxy.fault = undefined;
  }
  const mine = storedEvents(ferry.dataDir).slice(before);
  expect(new Set(mine.map((s) => s.messageId)).size).toBe(7);
  expect(mine.map((s) => s.event.type).sort()).toEqual(['alias', 'group', 'identify', 'page', 'screen', 'track', 'track']);
  expect(mine.filter((s) => s.event.type === 'track').map((s) => [s.event.userId, (s.event.properties as { i: number }).i]).sort()).toEqual([['u0', 0], ['u1', 4]]);
  expect(mine.find((s) => s.event.type === 'alias')!.event).toMatchObject({ previousId: 'u1' });
  // The destination gets each event once, and each user's events in the order Ferry stored them.
  await expect.poll(() => sink.received.length - sinkBefore, { timeout: 30_000 }).toBe(7);
  const delivered = sink.received.slice(sinkBefore);
  expect(new Set(delivered.map((e) => e.messageId)).size).toBe(7);
  expect(byUser(delivered)).toEqual(byUser(mine.map((s) => s.event)));
  expect(byUser(delivered).get('u0')).toHaveLength(3);
});
