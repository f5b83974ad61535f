import { labels, launchProfile, openTracker, trackLabels } from '../../helpers/chaos-browser.js';
import { awaitDelivery, labelOf, tally } from '../../helpers/chaos-ledger.js';
import { startWorld } from '../../helpers/chaos-world.js';
import type { Scenario } from '../scenario.js';

/** A tab closed right after tracking: page hide hands the events to keepalive, or the next visit sends them. */
export const tabClosedAfterTracking: Scenario = {
  id: 6,
  title: 'Tab closed right after tracking (keepalive, else the next visit)',
  budgetMs: 80_000,
  async run({ rng, defer, note }) {
    const world = await startWorld();
    defer(() => world.close());
    const context = await launchProfile(world.profileDir());
    defer(() => context.close().catch(() => undefined));
    // A long interval: only page hide or a later visit can send these.
    const url = world.pageUrl({ flushAt: 1000, flushIntervalMs: 600_000 });
    const tracked: string[] = [];
    for (let visit = 0; visit < 4; visit++) {
      const page = await openTracker(context, url);
      const batch = labels(`v${visit}`, rng.int(10, 40));
      await trackLabels(page, batch);
      tracked.push(...batch);
      await page.close({ runBeforeUnload: true });
      await new Promise((r) => setTimeout(r, 1500));
      const arrived = new Set(world.sink.received.map(labelOf));
      note(`visit ${visit}: ${batch.filter((l) => arrived.has(l)).length} of ${batch.length} at the destination 1.5 s after the close`);
    }
    // The next visit sends whatever page hide could not.
    await openTracker(context, world.pageUrl({ flushAt: 100 }));
    await awaitDelivery(world, tracked, 40_000);
    const lostLabels = new Set(tracked.filter((l) => !world.sink.received.some((e) => labelOf(e) === l)));
    if (lostLabels.size) note(`never on the wire: ${[...lostLabels].filter((l) => !world.site.requests.some((r) => r.events.some((e) => labelOf(e) === l))).length} of the ${lostLabels.size} lost`);
    return { tally: tally(world, tracked), failures: [], allowResend: 'a closed page cannot delete what its keepalive request delivered; the next visit sends it again' };
  },
};
