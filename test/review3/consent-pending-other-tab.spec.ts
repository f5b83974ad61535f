import { expect, test, type Page } from '@playwright/test';
import { sdkReady, startSite, type Site } from '../helpers/fault-proxy.js';
import { readmeSnippet } from '../helpers/snippet.js';
let server: Site;
test.beforeEach(async () => { server = await startSite(); });
test.afterEach(async () => { await server.close(); });
async function countLockRequests(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { lockRequests: number };
    w.lockRequests = 0;
    const request = navigator.locks.request.bind(navigator.locks) as (...a: unknown[]) => Promise<unknown>;
    (navigator.locks as unknown as { request: unknown }).request = (...a: unknown[]) => { w.lockRequests++; return request(...a); };
  });
}
const lockRequests = (page: Page) => page.evaluate(() => (window as unknown as { lockRequests: number }).lockRequests);
// REPRODUCTION (persistWhilePending: true, the default): 'pending' is not stored, so a second tab of the
// origin loaded without the consent option (its default: send) drains the pending tab's queued events:
// observed one request [page, p0..p4, page] before any decision. README (Consent): "pending: events are
// queued and nothing is sent". With persistWhilePending: false (the control) nothing of A's is sent.
// Held meanwhile: no drain loop while pending (0 lock requests in 2 s after flush() and a page hide).
for (const persistWhilePending of [true, false]) {
  test(`consent pending (persist ${persistWhilePending}): a tab without the consent option sends none of the pending tab's events`, async ({ context, page }) => {
    test.fail(persistWhilePending, 'review3: pending is not stored; another tab with the default (send) drains the shared queue');
    await countLockRequests(page);
    const body = readmeSnippet({ src: '/dist/ferry.iife.js', load: { writeKey: server.writeKey, consent: 'pending', persistWhilePending, flushAt: 1, flushIntervalMs: 10 } });
    await page.goto(server.page(body));
    await sdkReady(page);
    await page.evaluate(() => { const f = (window as unknown as { ferry: { track(e: string): void; flush(): Promise<unknown> } }).ferry; for (let i = 0; i < 5; i++) f.track(`p${i}`); void f.flush(); });
    await page.waitForTimeout(300);
    const before = await lockRequests(page);
    // page hide while pending
    await page.evaluate(() => { window.dispatchEvent(new Event('pagehide')); });
    await page.waitForTimeout(2000);
    const during = (await lockRequests(page)) - before;
    expect(during).toBeLessThanOrEqual(2);
    expect(server.requests.filter((r) => r.path.startsWith('/v1')).length).toBe(0);
    const b = await context.newPage();
    await b.goto(server.page(readmeSnippet({ src: '/dist/ferry.iife.js', load: { writeKey: server.writeKey } })));
    await sdkReady(b);
    await b.evaluate(() => (window as unknown as { ferry: { consent(s: string): void } }).ferry.consent('denied'));
    await page.waitForTimeout(1500);
    const st = await page.evaluate(() => (window as unknown as { ferry: { state(): Promise<{ queued: number }> } }).ferry.state());
    expect(st.queued).toBe(0);
    // B's own page view may go (B sends); none of A's pending events may.
    expect(server.requests.flatMap((r) => r.events.map((e) => String(e.event ?? e.type))).filter((n) => n.startsWith('p') && n !== 'page')).toEqual([]);
  });
}
