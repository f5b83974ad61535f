import { expect, test } from '@playwright/test';
import { sdkReady, startSite, trackMany, type Site } from '../helpers/fault-proxy.js';
import { readmeSnippet } from '../helpers/snippet.js';

// The browser talks to a real `ferry serve` process through a proxy that can fail on demand.
let server: Site;

test.beforeEach(async () => {
  server = await startSite();
});
test.afterEach(async () => {
  await server.close();
});

/** A page on the collector's origin that loads the IIFE through the README's snippet. */
function pageUrl(load: Record<string, unknown>, extra = ''): string {
  const body = readmeSnippet({ src: '/dist/ferry.iife.js', load: { writeKey: server.writeKey, ...load } }) + extra;
  return server.page(body);
}

const ready = sdkReady;

const names = (events: Array<Record<string, unknown>>) => events.map((e) => e.event);
const seq = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

test('events arrive gzip-compressed, in order, with exact counts', async ({ page }) => {
  await page.goto(pageUrl({ flushAt: 40, flushIntervalMs: 100 }));
  await ready(page);
  await trackMany(page, 'e', 250);
  await expect.poll(() => server.stored().filter((e) => e.type === 'track').length).toBe(250);
  expect(names(server.stored().filter((e) => e.type === 'track'))).toEqual(seq('e', 250));
  expect(server.stored().filter((e) => e.type === 'page')).toHaveLength(1);
  expect(server.duplicates()).toBe(0);
  expect(server.requests.every((r) => r.gzip && r.contentType.startsWith('text/plain'))).toBe(true);
  expect(Math.max(...server.requests.map((r) => r.events.length))).toBeLessThanOrEqual(40);
  expect(server.maxConcurrent).toBe(1);
  const state = await page.evaluate(() => (window as unknown as { ferry: { state(): Promise<{ queued: number; storage: string; lock: string }> } }).ferry.state());
  expect(state).toEqual({
    storage: 'indexeddb', queued: 0, buffered: 0, inFlight: 0, online: true, flushing: false, anyTabFlushing: false, lock: 'web-locks',
    backoff: { attempt: 0, nextAttemptAt: 0, status: 0 },
  });
});

test('the snippet records calls made before the bundle loads and replays them with their times', async ({ page }) => {
  // The bundle is requested only after the calls were recorded: the stub queues them.
  await page.route('**/dist/ferry.iife.js', async (route) => {
    await new Promise((r) => setTimeout(r, 500));
    await route.continue();
  });
  await page.goto(pageUrl({ flushIntervalMs: 50 }, `<script>ferry.identify('u-1', { plan: 'pro' }); ferry.track('early', { n: 1 });</script>`));
  await ready(page);
  await expect.poll(() => server.stored().length).toBe(3);
  expect(server.stored().map((e) => e.type)).toEqual(['page', 'identify', 'track']);
  const early = server.stored()[2]!;
  expect(early).toMatchObject({ event: 'early', userId: 'u-1' });
  const loadedAt = await page.evaluate(() => performance.timeOrigin + (performance.getEntriesByName(location.origin + '/dist/ferry.iife.js')[0] as PerformanceResourceTiming).responseEnd);
  // The recorded time is when the page called track(), before the bundle had arrived.
  expect(Date.parse(early.originalTimestamp as string)).toBeLessThan(loadedAt - 300);
});

test('the zero-code script tag loads and records a page view', async ({ page }) => {
  const body = `<script src="/dist/ferry.iife.js" data-write-key="${server.writeKey}" data-endpoint="${server.url}"></script>`;
  await page.goto(server.page(body));
  await expect.poll(() => server.stored().length).toBe(1);
  expect(server.stored()[0]).toMatchObject({ type: 'page', properties: { path: '/page/1' } });
});

test('three tabs of one origin send through one flusher: no event twice, one request at a time', async ({ context }) => {
  const pages = await Promise.all([0, 1, 2].map(() => context.newPage()));
  for (const p of pages) await p.goto(pageUrl({ flushAt: 25, flushIntervalMs: 30 }));
  for (const p of pages) await ready(p);
  await Promise.all(pages.map((p, t) => trackMany(p, `t${t}-`, 200)));
  await expect.poll(() => server.stored().filter((e) => e.type === 'track').length, { timeout: 40_000 }).toBe(600);
  await new Promise((r) => setTimeout(r, 500));
  const tracks = server.stored().filter((e) => e.type === 'track');
  expect(tracks).toHaveLength(600);
  expect(server.duplicates()).toBe(0);
  expect(server.maxConcurrent).toBe(1);
  // Per tab, FIFO is kept.
  for (let t = 0; t < 3; t++) expect(names(tracks.filter((e) => String(e.event).startsWith(`t${t}-`)))).toEqual(seq(`t${t}-`, 200));
});

test('500 events survive 503s and a reload, then arrive exactly once and in order', async ({ page }) => {
  server.mode = 'fail503';
  await page.goto(pageUrl({ flushAt: 100, flushIntervalMs: 50, retry: { baseMs: 100, capMs: 1000 } }));
  await ready(page);
  await trackMany(page, 'r', 500);
  await expect.poll(() => server.requests.filter((r) => r.status === 503).length).toBeGreaterThanOrEqual(2);
  const before = await page.evaluate(() => (window as unknown as { ferry: { state(): Promise<{ queued: number; backoff: { attempt: number } }> } }).ferry.state());
  expect(before.queued).toBe(501);
  expect(before.backoff.attempt).toBeGreaterThanOrEqual(1);
  await page.reload();
  await ready(page);
  server.mode = 'ok';
  await expect.poll(() => server.stored().filter((e) => e.type === 'track').length, { timeout: 30_000 }).toBe(500);
  expect(names(server.stored().filter((e) => e.type === 'track'))).toEqual(seq('r', 500));
  expect(server.stored().filter((e) => e.type === 'page')).toHaveLength(2);
  expect(server.stored()[0]!.type).toBe('page');
});

test('a closed page\'s events are sent on the next visit', async ({ context }) => {
  server.mode = 'down';
  const first = await context.newPage();
  await first.goto(pageUrl({ flushIntervalMs: 50, retry: { baseMs: 50, capMs: 300 } }));
  await ready(first);
  await trackMany(first, 'c', 30);
  await expect.poll(() => first.evaluate(() => (window as unknown as { ferry: { state(): Promise<{ queued: number }> } }).ferry.state().then((s) => s.queued))).toBe(31);
  await first.close();
  expect(server.stored()).toHaveLength(0);
  server.mode = 'ok';
  const second = await context.newPage();
  await second.goto(pageUrl({ flushIntervalMs: 50 }));
  // The second visit's own page view may come in a later batch than the first visit's events.
  await expect.poll(() => server.stored().length).toBe(32);
  expect(names(server.stored().filter((e) => e.type === 'track'))).toEqual(seq('c', 30));
  expect(server.stored().map((e) => (e.properties as { path?: string }).path ?? e.type)).toEqual(['/page/1', ...Array(30).fill('track'), '/page/2']);
});

test('a page that is hidden hands its unsent events to a keepalive request', async ({ context }) => {
  const page = await context.newPage();
  // A long interval: only the page-hide path can send these in time.
  await page.goto(pageUrl({ flushIntervalMs: 600_000, flushAt: 1000 }));
  await ready(page);
  await expect.poll(() => server.stored().length).toBe(1);
  await trackMany(page, 'h', 40);
  await page.waitForTimeout(50);
  await page.goto('about:blank');
  await expect.poll(() => server.stored().filter((e) => e.type === 'track').length).toBe(40);
  expect(names(server.stored().filter((e) => e.type === 'track'))).toEqual(seq('h', 40));
});

test('track() writes to IndexedDB within the task and costs the page no error while offline', async ({ context, page }) => {
  await page.goto(pageUrl({ flushIntervalMs: 50 }));
  await ready(page);
  await expect.poll(() => server.stored().length).toBe(1);
  // The page view's 2xx has reached the page and its record is deleted: the queue is empty.
  await expect.poll(() => page.evaluate(async () => (await (window as unknown as { ferry: { state(): Promise<{ queued: number }> } }).ferry.state()).queued)).toBe(0);
  await context.setOffline(true);
  const queued = await page.evaluate(async () => {
    const f = (window as unknown as { ferry: { track(e: string): void } }).ferry;
    for (let i = 0; i < 10; i++) f.track(`o${i}`);
    // Next task: the transaction opened at the end of the calling task has committed.
    await new Promise((r) => setTimeout(r, 0));
    return await new Promise<number>((resolve, reject) => {
      const open = indexedDB.open('ferry-test-key');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const req = open.result.transaction('chunks').objectStore('chunks').getAll();
        req.onsuccess = () => resolve((req.result as Array<{ events: unknown[] }>).reduce((n, c) => n + c.events.length, 0));
      };
    });
  });
  expect(queued).toBe(10);
  await context.setOffline(false);
  await expect.poll(() => server.stored().filter((e) => e.type === 'track').length).toBe(10);
});

test('where CompressionStream is missing, the fflate fallback is fetched on demand and batches are still gzip', async ({ page }) => {
  const fetched: string[] = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  await page.addInitScript(() => {
    delete (window as unknown as { CompressionStream?: unknown }).CompressionStream;
  });
  await page.goto(pageUrl({ flushIntervalMs: 50 }));
  await ready(page);
  await trackMany(page, 'z', 10);
  await expect.poll(() => server.stored().filter((e) => e.type === 'track').length).toBe(10);
  expect(server.requests.every((r) => r.gzip)).toBe(true);
  expect(fetched).toContain('/dist/ferry-gzip.js');
});

test('a browser with CompressionStream never downloads the fallback', async ({ page }) => {
  const fetched: string[] = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  await page.goto(pageUrl({ flushIntervalMs: 50 }));
  await ready(page);
  await expect.poll(() => server.stored().length).toBe(1);
  expect(fetched.filter((p) => p.startsWith('/dist/'))).toEqual(['/dist/ferry.iife.js']);
});

test('a page on another origin sends straight to the collector (CORS, no preflight)', async ({ page }) => {
  // The page comes from the proxy's origin; the endpoint is the Ferry process's own port.
  const methods: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(server.ferry.url)) methods.push(r.method());
  });
  await page.goto(pageUrl({ endpoint: server.ferry.url, flushIntervalMs: 50 }));
  await ready(page);
  await trackMany(page, 'x', 5);
  await expect.poll(() => server.stored().filter((e) => e.type === 'track').length).toBe(5);
  expect(methods.length).toBeGreaterThan(0);
  expect(methods.every((m) => m === 'POST')).toBe(true);
  expect(server.requests).toHaveLength(0);
});
