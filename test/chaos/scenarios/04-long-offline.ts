import { crashBrowser, labels, launchProfile, openTracker, queued, sdkReady, trackLabels } from '../../helpers/chaos-browser.js';
import { awaitDelivery, tally } from '../../helpers/chaos-ledger.js';
import { startWorld } from '../../helpers/chaos-world.js';
import { eventually, type Scenario } from '../scenario.js';

/**
 * 1,000 events tracked offline across two reloads and a browser restart, then online. The
 * browser is offline while tracking (navigator.onLine false); it must come online to load a
 * page, and then the collector is unreachable (connections refused) until the end.
 */
export const longOffline: Scenario = {
  id: 4,
  title: 'Long offline: 1,000 events, two reloads and a browser restart, then online',
  budgetMs: 120_000,
  async run({ rng, defer, note }) {
    const world = await startWorld();
    defer(() => world.close());
    world.site.fault = () => 'refuse';
    const dir = world.profileDir();
    const url = world.pageUrl({ flushAt: 100 });
    const tracked: string[] = [];
    // Tracking phases, with a reload before the second and third and a browser restart before the last.
    const phases = [300, 250, 250, 200];
    let context = await launchProfile(dir);
    defer(() => context.close().catch(() => undefined));
    let page = await openTracker(context, url);
    for (const [phase, n] of phases.entries()) {
      if (phase === 1 || phase === 2) {
        await page.reload();
        await sdkReady(page);
      }
      if (phase === 3) {
        // The browser restart: a crash, then the same profile again.
        await crashBrowser(context, dir);
        context = await launchProfile(dir);
        page = await openTracker(context, url);
      }
      await context.setOffline(true);
      for (let done = 0; done < n; ) {
        const batch = labels('t0', Math.min(n - done, rng.int(20, 80)), tracked.length);
        await trackLabels(page, batch);
        tracked.push(...batch);
        done += batch.length;
      }
      if (!(await eventually(() => queued(page).then((q) => q >= tracked.length), 20_000))) throw new Error(`phase ${phase}: the queue never held the ${tracked.length} events`);
      // Back online to load the next page; the collector still refuses every connection.
      await context.setOffline(false);
    }
    const wireBefore = world.site.requests.length;
    world.site.fault = undefined;
    // The SDK retries on its own backoff; a new page load (the next visit) is not needed.
    await awaitDelivery(world, tracked, 60_000);
    note(`${wireBefore} requests refused while offline`);
    return { tally: tally(world, tracked), failures: [] };
  },
};
