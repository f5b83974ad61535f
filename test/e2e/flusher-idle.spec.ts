import { expect, test, type Page } from '@playwright/test';
import { sdkReady, startSite, type Site } from '../helpers/fault-proxy.js';
import { readmeSnippet } from '../helpers/snippet.js';

let server: Site;
test.beforeEach(async () => {
  server = await startSite();
});
test.afterEach(async () => {
  await server.close();
});

type State = { queued: number; backoff: { attempt: number; nextAttemptAt: number } };

/** Counts the flusher's runs: each one asks for the origin-wide Web Lock. */
async function countLockRequests(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { lockRequests: number };
    w.lockRequests = 0;
    const request = navigator.locks.request.bind(navigator.locks) as (...a: unknown[]) => Promise<unknown>;
    (navigator.locks as unknown as { request: unknown }).request = (...a: unknown[]) => {
      w.lockRequests++;
      return request(...a);
    };
  });
}
const lockRequests = (page: Page) => page.evaluate(() => (window as unknown as { lockRequests: number }).lockRequests);
const state = (page: Page) => page.evaluate(() => (window as unknown as { ferry: { state(): Promise<State> } }).ferry.state());

// Failed with 8165cc0 (728 and 519 lock requests in 2 s), passes since 9caf955: its flush()'s finally re-armed a timer whenever none is set and
// backoff.nextAttemptAt > 0, even when that moment is already past and the run stopped for a reason
// that sets no timer (offline, or an empty queue). The timer fires at once, the run stops again,
// the finally re-arms it: a drain loop (lock + IndexedDB reads) for as long as the page is offline.
test('offline after a failed send, the flusher waits for the online event instead of draining in a loop', async ({ context, page }) => {
  await countLockRequests(page);
  server.mode = 'down';
  const body = readmeSnippet({ src: '/dist/ferry.iife.js', load: { writeKey: server.writeKey, flushIntervalMs: 50, retry: { baseMs: 300, capMs: 600 } } });
  await page.goto(server.page(body));
  await sdkReady(page);
  // The page view's request was refused: the flusher backs off.
  await expect.poll(async () => (await state(page)).backoff.attempt).toBeGreaterThan(0);
  await context.setOffline(true);
  // Past the longest backoff wait, so the retry timer has fired while offline.
  await expect.poll(async () => Date.now() - (await state(page)).backoff.nextAttemptAt).toBeGreaterThan(0);
  const before = await lockRequests(page);
  await page.waitForTimeout(2_000);
  const during = (await lockRequests(page)) - before;
  // Nothing asks for a flush while offline (no track, no timer): at most one stray run.
  expect(during).toBeLessThanOrEqual(2);
  await context.setOffline(false);
  server.mode = 'ok';
  await expect.poll(() => server.stored().length).toBe(1);
});

// Same cause, online: the failed events expire (maxEventAgeMs) so the queue empties with no 2xx
// to reset the backoff; every run then ends 'ok' with nextAttemptAt in the past and re-arms a
// 0 ms timer, for good (until some later event is delivered).
test('events that expire during a backoff leave the flusher idle, not draining an empty queue in a loop', async ({ page }) => {
  await countLockRequests(page);
  server.mode = 'down';
  const body = readmeSnippet({ src: '/dist/ferry.iife.js', load: { writeKey: server.writeKey, flushIntervalMs: 50, maxEventAgeMs: 200, retry: { baseMs: 300, capMs: 600 } } });
  await page.goto(server.page(body));
  await sdkReady(page);
  // The page view failed, then expired at the retry: the queue is empty, the backoff remembered.
  await expect.poll(async () => {
    const s = await state(page);
    return s.backoff.attempt > 0 && s.queued === 0 && Date.now() > s.backoff.nextAttemptAt;
  }).toBe(true);
  const before = await lockRequests(page);
  await page.waitForTimeout(2_000);
  expect((await lockRequests(page)) - before).toBeLessThanOrEqual(2);
});
