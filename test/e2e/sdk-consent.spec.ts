import { expect, test, type Page } from '@playwright/test';
import { sdkReady, startSite, trackMany, type Site } from '../helpers/fault-proxy.js';
import { readmeSnippet } from '../helpers/snippet.js';

// Consent and debug logging through the README's snippet and the IIFE, against a real `ferry serve`.
let server: Site;

test.beforeEach(async () => {
  server = await startSite();
});
test.afterEach(async () => {
  await server.close();
});

function pageUrl(load: Record<string, unknown>, extra = ''): string {
  return server.page(readmeSnippet({ src: '/dist/ferry.iife.js', load: { writeKey: server.writeKey, flushIntervalMs: 50, ...load } }) + extra);
}

type Ferry = {
  consent(u: unknown): void;
  flush(): Promise<{ ok: boolean; reason?: string }>;
  state(): Promise<{ queued: number; buffered: number }>;
  on(name: string, fn: (p: { reason: string; count: number }) => void): void;
  track(e: string): void;
};
const ferry = (page: Page, fn: (f: Ferry) => unknown) => page.evaluate(`(${fn.toString()})(window.ferry)`);
const queued = (page: Page) => ferry(page, (f) => f.state().then((s) => s.queued));
/** Counts this page's `dropped` reports by reason, from now on. */
const countDrops = (page: Page) =>
  ferry(page, (f) => {
    const w = window as unknown as { drops: Record<string, number> };
    w.drops = {};
    f.on('dropped', (p) => (w.drops[p.reason] = (w.drops[p.reason] ?? 0) + p.count));
  });
const drops = (page: Page) => page.evaluate(() => (window as unknown as { drops: Record<string, number> }).drops);
const tracks = () => server.stored().filter((e) => e.type === 'track').map((e) => e.event);

test('pending sends nothing at all; granted then sends everything once, in order', async ({ page }) => {
  await page.goto(pageUrl({ consent: 'pending' }));
  await sdkReady(page);
  await trackMany(page, 'e', 20);
  await expect.poll(() => queued(page)).toBe(21);
  // An explicit flush() is refused too, and the page-hide path is silent.
  expect(await ferry(page, (f) => f.flush())).toMatchObject({ ok: false, reason: 'consent' });
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await page.evaluate(() => window.dispatchEvent(new Event('pagehide')));
  expect(await queued(page)).toBe(21);
  expect(server.requests).toHaveLength(0);
  await ferry(page, (f) => f.consent('granted'));
  await expect.poll(() => server.stored().length).toBe(21);
  expect(tracks()).toEqual(Array.from({ length: 20 }, (_, i) => `e${i}`));
  expect(server.stored()[0]!.type).toBe('page');
  expect(server.duplicates()).toBe(0);
});

test('denied purges the queue, reports each event, and stays silent across a reload', async ({ page }) => {
  await page.goto(pageUrl({ consent: 'pending' }));
  await sdkReady(page);
  await countDrops(page);
  await trackMany(page, 'e', 5);
  await expect.poll(() => queued(page)).toBe(6);
  await ferry(page, (f) => f.consent('denied'));
  await expect.poll(() => queued(page)).toBe(0);
  expect(await drops(page)).toEqual({ consent_denied: 6 });
  // A reload with no consent option: the stored decision holds. Nothing is stored or sent.
  await page.goto(pageUrl({}));
  await sdkReady(page);
  await countDrops(page);
  await trackMany(page, 'after', 3);
  await expect.poll(() => drops(page)).toEqual({ consent_denied: 3 });
  expect(await ferry(page, (f) => f.flush())).toMatchObject({ ok: false, reason: 'consent' });
  expect(await queued(page)).toBe(0);
  expect(server.requests).toHaveLength(0);
});

test('pending holds in every tab of the origin: a tab loaded without a consent option sends nothing', async ({ page, context }) => {
  await page.goto(pageUrl({ consent: 'pending' }));
  await sdkReady(page);
  await trackMany(page, 'p', 5);
  await expect.poll(() => queued(page)).toBe(6);
  // A second tab of the site, on a page that gives no consent option (the default is granted
  // when no decision was ever made): the pending decision of the first tab holds there too.
  const other = await context.newPage();
  await other.goto(pageUrl({}));
  await sdkReady(other);
  await trackMany(other, 'o', 1);
  await expect.poll(() => queued(other)).toBe(8);
  expect(await ferry(other, (f) => f.flush())).toMatchObject({ ok: false, reason: 'consent' });
  await other.evaluate(() => window.dispatchEvent(new Event('pagehide')));
  expect(server.requests).toHaveLength(0);
  // The visitor grants in the first tab: both tabs' events go, once each.
  await ferry(page, (f) => f.consent('granted'));
  await expect.poll(() => server.stored().length).toBe(8);
  expect(server.duplicates()).toBe(0);
});

test('per-category preferences travel in context.consent.categoryPreferences', async ({ page }) => {
  await page.goto(pageUrl({ consent: { categories: { analytics: true, advertising: false } } }));
  await sdkReady(page);
  await trackMany(page, 'c', 2);
  await expect.poll(() => server.stored().length).toBe(3);
  for (const e of server.stored()) expect((e.context as { consent?: unknown }).consent).toEqual({ categoryPreferences: { analytics: true, advertising: false } });
});

test('with gpc, a browser sending Global Privacy Control starts denied until the visitor grants', async ({ page }) => {
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
  await page.goto(pageUrl({ gpc: true, consent: 'granted' }));
  await sdkReady(page);
  await countDrops(page);
  await trackMany(page, 'g', 2);
  await expect.poll(() => drops(page)).toEqual({ consent_denied: 2 });
  expect(await ferry(page, (f) => f.flush())).toMatchObject({ ok: false, reason: 'consent' });
  expect(server.requests).toHaveLength(0);
  await ferry(page, (f) => f.consent('granted'));
  await trackMany(page, 'yes', 1);
  await expect.poll(() => tracks()).toEqual(['yes0']);
});

for (const [how, load, query] of [['debug: true', { debug: true }, ''], ['?ferry_debug=1', {}, '?ferry_debug=1']] as const) {
  test(`${how} logs each event, send and answer to the console`, async ({ page }) => {
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    await page.goto(pageUrl(load) + query);
    await sdkReady(page);
    await trackMany(page, 'd', 1);
    await expect.poll(() => server.stored().length).toBe(2);
    await expect.poll(() => logs.filter((l) => l.startsWith('[ferry] answer')).length).toBeGreaterThan(0);
    expect(logs.some((l) => l.startsWith('[ferry] track') && l.includes('"d0"'))).toBe(true);
    expect(logs.some((l) => l.startsWith('[ferry] send'))).toBe(true);
  });
}

test('without debug the console stays quiet', async ({ page }) => {
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  await page.goto(pageUrl({}));
  await sdkReady(page);
  await trackMany(page, 'q', 1);
  await expect.poll(() => server.stored().length).toBe(2);
  expect(logs.filter((l) => l.startsWith('[ferry]'))).toEqual([]);
});
