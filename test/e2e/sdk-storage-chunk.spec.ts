import { expect, test, type Page } from '@playwright/test';
import { sdkReady, startSite, trackMany, type Site } from '../helpers/fault-proxy.js';
import { readmeSnippet } from '../helpers/snippet.js';

// The localStorage queue is a chunk of its own (dist/ferry-kv.js), fetched only where IndexedDB
// fails: what a page tracks while it loads, and when it cannot be loaded at all.
let server: Site;

test.beforeEach(async () => {
  server = await startSite();
});
test.afterEach(async () => {
  await server.close();
});

type Ferry = { state(): Promise<{ storage: string; queued: number; buffered: number }> };
type Fallback = { from: string; to: string; reason: string };
const tracks = () => server.stored().filter((e) => e.type === 'track').map((e) => e.event);
const seq = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const state = (page: Page) => page.evaluate(() => (window as unknown as { ferry: Ferry }).ferry.state());

/** A page whose IndexedDB refuses to open (as in some private modes), recording storage-fallback. */
async function openPage(page: Page): Promise<void> {
  await page.addInitScript(() => {
    Object.defineProperty(window, 'indexedDB', {
      configurable: true,
      value: { open: () => { throw new DOMException('The user denied permission to access the database.', 'InvalidStateError'); } },
    });
  });
  const snippet = readmeSnippet({ src: '/dist/ferry.iife.js', load: { writeKey: server.writeKey, flushAt: 10, flushIntervalMs: 50 } });
  await page.goto(server.page(`${snippet}<script>window.__fallbacks = []; ferry.on('storage-fallback', function (f) { window.__fallbacks.push(f); });</script>`));
}

const fallbacks = (page: Page) => page.evaluate(() => (window as unknown as { __fallbacks: Fallback[] }).__fallbacks);

test('IndexedDB failing: events tracked before the localStorage queue arrives are all delivered, in order', async ({ page }) => {
  let requested = false;
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  await page.route('**/dist/ferry-kv.js', async (route) => {
    requested = true;
    await released;
    await route.continue();
  });
  await openPage(page);
  await expect.poll(() => requested).toBe(true);
  // The chunk is held: the SDK is running (the snippet's page view replayed), the store not open yet.
  await trackMany(page, 'early', 30);
  expect(await state(page)).toMatchObject({ storage: 'none', buffered: 31 });
  expect(tracks()).toEqual([]);
  release();
  await sdkReady(page);
  await trackMany(page, 'late', 10);
  await expect.poll(() => tracks().length).toBe(40);
  expect(server.stored().map((e) => e.event ?? e.type)).toEqual(['page', ...seq('early', 30), ...seq('late', 10)]);
  expect(await state(page)).toMatchObject({ storage: 'localStorage', queued: 0 });
  expect(await fallbacks(page)).toEqual([{ from: 'indexeddb', to: 'localStorage', reason: expect.stringContaining('denied permission') }]);
});

test('IndexedDB failing and the localStorage queue unreachable (offline, not cached): the page queues in memory, says so, and still sends', async ({ page }) => {
  const fetched: string[] = [];
  await page.route('**/dist/ferry-kv.js', async (route) => {
    fetched.push(route.request().url());
    await route.abort('internetdisconnected');
  });
  await openPage(page);
  await sdkReady(page);
  expect(fetched).toHaveLength(1);
  expect((await state(page)).storage).toBe('memory');
  const told = await fallbacks(page);
  expect(told).toEqual([{ from: 'indexeddb', to: 'memory', reason: expect.stringContaining('denied permission') }]);
  expect(told[0]!.reason).toContain('ferry-kv.js');
  await trackMany(page, 'm', 25);
  await expect.poll(() => tracks().length).toBe(25);
  expect(tracks()).toEqual(seq('m', 25));
  await expect.poll(async () => (await state(page)).queued).toBe(0);
});
