import { labels, launchProfile, openTracker, trackLabels } from '../../helpers/chaos-browser.js';
import { awaitDelivery, tally } from '../../helpers/chaos-ledger.js';
import { startWorld } from '../../helpers/chaos-world.js';
import type { Scenario } from '../scenario.js';

export const ackLost: Scenario = {
  id: 2,
  title: 'Acknowledgement lost: server commits, the answer is cut (40 %)',
  budgetMs: 90_000,
  async run({ rng, defer, note }) {
    const world = await startWorld();
    defer(() => world.close());
    world.site.fault = () => (rng.chance(0.4) ? 'cut' : 'pass');
    const context = await launchProfile(world.profileDir());
    defer(() => context.close().catch(() => undefined));
    const page = await openTracker(context, world.pageUrl({ flushAt: 25 }));
    const tracked: string[] = [];
    for (let burst = 0; burst < 8; burst++) {
      const batch = labels('t0', rng.int(15, 35), tracked.length);
      await trackLabels(page, batch);
      tracked.push(...batch);
      await page.waitForTimeout(rng.int(50, 400));
    }
    await awaitDelivery(world, tracked, 45_000);
    world.site.fault = undefined;
    const cut = world.site.requests.filter((r) => r.fault === 'hold+cut');
    note(`${cut.length} of ${world.site.requests.length} answers cut after the commit (${cut.filter((r) => r.status === 200).length} of them were 200s)`);
    const failures = cut.some((r) => r.status === 200) ? [] : ['no committed answer was cut: the scenario did not test what it says'];
    return { tally: tally(world, tracked), failures };
  },
};
