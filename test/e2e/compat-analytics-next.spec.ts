import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { cleanup, startFerry, storedEvents, type FerryProcess } from '../helpers/ferry-process.js';
import { byUser, startSink, type Sink } from '../helpers/sink.js';
import { startSite, type Site } from '../compat/site.js';

/**
 * @segment/analytics-next loaded by its own loader, AnalyticsBrowser.load, with only cdnURL
 * changed to a real `ferry serve`: Ferry answers the settings, the library sends to Ferry.
 */
const KEY = 'ajs-key';
const BATCH_KEY = 'ajs-batching-key';
const pkg = new URL('../../node_modules/@segment/analytics-next/', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', pkg), 'utf8')) as { version: string };

let ferry: FerryProcess;
let sink: Sink;
let site: Site;

function page(key: string): string {
  return `<!doctype html><title>shop</title><script src="/lib/analytics-next.js"></script><script>
    window.analytics = AnalyticsNext.AnalyticsBrowser.load({ writeKey: ${JSON.stringify(key)}, cdnURL: ${JSON.stringify(ferry.url)} });
  </script>`;
}

test.beforeAll(async () => {
  sink = await startSink();
  ferry = await startFerry({
    config: {
      sources: [
        { name: 'shop', writeKeys: [KEY] },
        { name: 'batched', writeKeys: [BATCH_KEY], analyticsJs: { batching: { size: 10, timeoutMs: 200 } } },
      ],
      destinations: [{ name: 'hook', type: 'webhook', url: sink.url, retry: { baseMs: 50, capMs: 500 } }],
    },
  });
  site = await startSite({
    pages: { '/': page(KEY), '/batched': page(BATCH_KEY) },
    files: { '/lib/analytics-next.js': new URL('dist/umd/index.js', pkg) },
  });
});

test.afterAll(async () => {
  await site.close();
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
  expect([...origins].sort()).toEqual([ferry.url, site.url].sort());
  expect(urls.filter((u) => u.startsWith(ferry.url)).map((u) => new URL(u).pathname).filter((path) => !path.startsWith('/v1/') || path.includes('/projects/'))).toEqual([`/v1/projects/${KEY}/settings`]);
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
  const posts = urls.filter((u) => u.startsWith(`${ferry.url}/v1/`) && !u.includes('/projects/')).map((u) => new URL(u).pathname);
  expect(new Set(posts)).toEqual(new Set(['/v1/b']));
});

test('events tracked while Ferry answers 503, across a reload, reach the destination once, in order per user', async ({ page: p }) => {
  const before = storedEvents(ferry.dataDir).length;
  const sinkBefore = sink.received.length;
  let refused = 0;
  // The network between the page and Ferry answers 503 + Retry-After for every event post.
  await p.route(`${ferry.url}/v1/*`, (route) => {
    refused++;
    return route.fulfill({ status: 503, headers: { 'Retry-After': '1', 'Access-Control-Allow-Origin': '*' }, body: '{"ok":false,"code":"overloaded"}' });
  });
  await p.goto(`${site.url}/`);
  await p.evaluate(() => {
    const a = (window as unknown as { analytics: Calls }).analytics;
    // Not awaited: each call's promise waits for a delivery that cannot happen yet.
    for (let i = 0; i < 6; i++) void a.track!('Offline', { i }, { userId: `u${i % 2}` });
  });
  await expect.poll(() => refused).toBeGreaterThanOrEqual(6);
  expect(storedEvents(ferry.dataDir).length - before).toBe(0);
  // analytics-next keeps what it has not delivered in localStorage when the page goes away.
  // (A request analytics-next sends while the page unloads can pass Playwright's route, which
  // does not see every unload-time request: what counts is that each event ends stored once.)
  await p.reload();
  await p.waitForTimeout(1000);
  await p.unroute(`${ferry.url}/v1/*`);
  await expect.poll(() => storedEvents(ferry.dataDir).length - before, { timeout: 60_000 }).toBe(6);
  const mine = storedEvents(ferry.dataDir).slice(before);
  expect(new Set(mine.map((s) => s.messageId)).size).toBe(6);
  expect(mine.map((s) => (s.event.properties as { i: number }).i).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  // The destination gets each event once, and each user's events in the order Ferry stored them.
  await expect.poll(() => sink.received.length - sinkBefore, { timeout: 30_000 }).toBe(6);
  const delivered = sink.received.slice(sinkBefore);
  expect(byUser(delivered)).toEqual(byUser(mine.map((s) => s.event)));
  expect([...byUser(delivered).keys()].sort()).toEqual(['u0', 'u1']);
});
