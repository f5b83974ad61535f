import { expect, test, type Browser, type BrowserContext, type CDPSession, type Page } from '@playwright/test';
import { chromium as playwrightChromium } from '@playwright/test';
import { chromiumPath } from '../../playwright.config.js';
import { startSite, type Site } from '../helpers/fault-proxy.js';
import { CHROMIUM_ARGS } from './chromium.js';
import type { Tab } from './engine.js';
import { names, pageUrl, ready, seq, state, trackMany, tracks } from './scenarios.js';

/**
 * A phone's page lifecycle, in Chromium through the DevTools protocol: frozen and resumed,
 * restored from the back/forward cache, a slow 3G-like network, a connection dropped after the
 * server committed. Nothing lost, nothing twice after dedupe. (Firefox and WebKit expose none of
 * these controls to their drivers; hidden then killed needs none, so it is a shared scenario.)
 */
let browser: Browser;
let context: BrowserContext;
let site: Site;
const POLL = { timeout: 60_000 };

function asTab(page: Page): Tab {
  return {
    goto: async (url) => void (await page.goto(url)),
    evaluate: (fn, arg) => page.evaluate(`(${fn.toString()})(${JSON.stringify(arg ?? null)})`),
    close: () => page.close({ runBeforeUnload: true }),
  };
}

test.beforeAll(async () => {
  // Playwright turns the back/forward cache off by default; a phone has it on.
  browser = await playwrightChromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, headless: true, ignoreDefaultArgs: ['--disable-back-forward-cache'] });
  console.log(`[engines] chromium lifecycle: Chromium ${browser.version()}`);
});
test.afterAll(async () => {
  await browser?.close();
});
test.beforeEach(async () => {
  site = await startSite();
  context = await browser.newContext();
});
test.afterEach(async () => {
  await context.close();
  await site.close();
});

async function open(url: string): Promise<{ page: Page; tab: Tab; cdp: CDPSession }> {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await page.goto(url);
  const tab = asTab(page);
  await ready(tab);
  return { page, tab, cdp };
}

test('a page frozen and resumed during an outage sends everything once, in order', async () => {
  site.mode = 'down';
  const { tab, cdp } = await open(pageUrl(site, { flushIntervalMs: 50, retry: { baseMs: 50, capMs: 300 } }, { after: `<script>window.__ticks = 0; setInterval(function () { window.__ticks++; }, 50);</script>` }));
  await trackMany(tab, 'f', 20);
  await expect.poll(() => state(tab).then((s) => s.queued), POLL).toBe(21);
  const ticks = () => tab.evaluate(() => (window as unknown as { __ticks: number }).__ticks, null);
  await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
  const frozenAt = await ticks();
  site.mode = 'ok';
  await new Promise((r) => setTimeout(r, 1500));
  // Headless Chromium keeps a visible page's timers running when "frozen" (seen: ~40 ticks of 50 ms
  // in 1.5 s), so this proves the resume path, not a real freeze; the README says so.
  test.info().annotations.push({ type: 'chromium', description: `page timer ticks while frozen: ${(await ticks()) - frozenAt}` });
  await cdp.send('Page.setWebLifecycleState', { state: 'active' });
  await expect.poll(() => tracks(site.stored()).length, POLL).toBe(20);
  expect(names(tracks(site.stored()))).toEqual(seq('f', 20));
  expect(site.duplicates()).toBe(0);
});

test('a page restored from the back/forward cache resumes sending without a reload', async () => {
  const url = pageUrl(site, { flushIntervalMs: 50 }, { after: `<script>window.__restored = 0; addEventListener('pageshow', function (e) { if (e.persisted) window.__restored++; });</script>` });
  const { page, tab } = await open(url);
  await trackMany(tab, 'b', 10);
  await expect.poll(() => tracks(site.stored()).length, POLL).toBe(10);
  await page.goto(site.page('<p>elsewhere</p>'));
  // A restore from the bfcache fires pageshow, not load.
  await page.goBack({ waitUntil: 'commit' });
  await page.waitForFunction(() => (window as unknown as { __restored?: number }).__restored !== undefined);
  const restored = await page.evaluate(() => (window as unknown as { __restored?: number }).__restored ?? -1);
  test.info().annotations.push({ type: 'chromium', description: restored > 0 ? 'restored from the bfcache (pageshow persisted)' : 'not restored from the bfcache: a reload ran' });
  expect(restored).toBe(1);
  await trackMany(tab, 'a', 10);
  await expect.poll(() => tracks(site.stored()).length, POLL).toBe(20);
  expect(names(tracks(site.stored()))).toEqual([...seq('b', 10), ...seq('a', 10)]);
  // One page view: the restored page was never loaded again.
  expect(site.stored().filter((e) => e.type === 'page')).toHaveLength(1);
  expect(site.duplicates()).toBe(0);
});

test('a slow 3G-like network delivers every event once, in order, one request at a time', async () => {
  const { tab, cdp } = await open(pageUrl(site, { flushAt: 20, flushIntervalMs: 50 }));
  await cdp.send('Network.enable');
  // Roughly "slow 3G": 400 ms round trip, 400 kbit/s down, 400 kbit/s up.
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 400, downloadThroughput: 50_000, uploadThroughput: 50_000 });
  await trackMany(tab, 's', 100);
  await expect.poll(() => tracks(site.stored()).length, POLL).toBe(100);
  expect(names(tracks(site.stored()))).toEqual(seq('s', 100));
  expect(site.maxConcurrent).toBe(1);
  expect(site.duplicates()).toBe(0);
});

test('a connection dropped after the server committed: the retry is absorbed by dedupe', async () => {
  const { tab, cdp } = await open(pageUrl(site, { flushAt: 10, flushIntervalMs: 50, retry: { baseMs: 50, capMs: 300 } }));
  await expect.poll(() => site.stored().length, POLL).toBe(1);
  // The answers of the next two batches never reach the page: the browser sees a network error.
  let dropped = 0;
  await cdp.send('Fetch.enable', { patterns: [{ urlPattern: '*/v1/batch', requestStage: 'Response' }] });
  cdp.on('Fetch.requestPaused', (e: { requestId: string }) => {
    if (dropped < 2) {
      dropped++;
      void cdp.send('Fetch.failRequest', { requestId: e.requestId, errorReason: 'ConnectionReset' });
    } else void cdp.send('Fetch.continueRequest', { requestId: e.requestId });
  });
  await trackMany(tab, 'd', 30);
  await expect.poll(() => tracks(site.stored()).length, POLL).toBe(30);
  await expect.poll(() => state(tab).then((s) => s.queued), POLL).toBe(0);
  expect(dropped).toBe(2);
  expect(names(tracks(site.stored()))).toEqual(seq('d', 30));
  // The server stored each dropped batch, then saw it again: acknowledged as duplicates, not stored twice.
  expect(site.duplicates()).toBeGreaterThanOrEqual(10);
});
