import type { Page } from '@playwright/test';
import { labels, launchProfile, openTracker, trackLabels } from '../../helpers/chaos-browser.js';
import { awaitDelivery, tally } from '../../helpers/chaos-ledger.js';
import { startWorld } from '../../helpers/chaos-world.js';
import type { Forwarded } from '../../helpers/fault-proxy.js';
import type { Scenario } from '../scenario.js';

/** What the page sees when the user switches tabs (headless Chromium keeps every tab visible). */
function setHidden(page: Page, hidden: boolean): Promise<void> {
  return page.evaluate((hidden) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

export const threeTabsFlapping: Scenario = {
  id: 5,
  title: 'Three tabs (one hidden/shown, one closed), slow collector flapping 30 % 503',
  budgetMs: 110_000,
  async run({ rng, defer, note }) {
    const world = await startWorld();
    defer(() => world.close());
    // A slow network besides: a batch is often still on the wire when a tab is hidden.
    world.site.fault = () => (rng.chance(0.3) ? { status: 503, retryAfter: '1' } : { hold: new Promise((r) => setTimeout(r, rng.int(0, 300))), then: 'pass' });
    const context = await launchProfile(world.profileDir());
    defer(() => context.close().catch(() => undefined));
    const url = world.pageUrl({ flushAt: 20 });
    const pages: Array<Page | undefined> = [];
    for (let t = 0; t < 3; t++) pages.push(await openTracker(context, url));
    const tracked: string[] = [];
    const count = [0, 0, 0];
    let switches = 0;
    let closedAt = Infinity;
    for (let round = 0; round < 10; round++) {
      for (const [t, page] of pages.entries()) {
        if (!page) continue;
        const batch = labels(`t${t}`, rng.int(5, 15), count[t]);
        await trackLabels(page, batch);
        tracked.push(...batch);
        count[t]! += batch.length;
      }
      if (pages[1]) {
        await setHidden(pages[1], rng.chance(0.5));
        switches++;
      }
      if (round === 5) {
        closedAt = Date.now();
        await pages[2]!.close({ runBeforeUnload: true });
        pages[2] = undefined;
        note('tab 2 closed after round 5');
      }
      await new Promise((r) => setTimeout(r, rng.int(100, 400)));
    }
    await setHidden(pages[1]!, false);
    await awaitDelivery(world, tracked, 60_000);
    world.site.fault = undefined;
    note(`${switches} visibility switches; ${world.site.requests.filter((r) => r.status === 503).length} of ${world.site.requests.length} requests answered 503`);
    // Tab 2's page-hide request (the only uncompressed kind: drains gzip) may be answered after the
    // tab is gone: nobody deletes those events, and the other tabs send them again (dedupe absorbs
    // them). Only those are excused.
    const excuse = (label: string | undefined, acked: Forwarded) => label?.startsWith('t2:') === true && !acked.gzip && acked.answeredAt! >= closedAt;
    return { tally: tally(world, tracked, excuse), failures: [] };
  },
};
