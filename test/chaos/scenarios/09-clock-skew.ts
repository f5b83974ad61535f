import { labels, launchProfile, openTracker, trackLabels } from '../../helpers/chaos-browser.js';
import { awaitDelivery, labelOf, tally } from '../../helpers/chaos-ledger.js';
import { startWorld } from '../../helpers/chaos-world.js';
import type { Scenario } from '../scenario.js';

const HOUR = 3_600_000;

/** Pages two hours ahead and two hours behind; their events wait in a 503 phase so sentAt ≠ originalTimestamp. */
export const clockSkew: Scenario = {
  id: 9,
  title: 'Clock skew: pages 2 h ahead and 2 h behind; timestamps corrected',
  budgetMs: 80_000,
  async run({ rng, defer, note }) {
    const world = await startWorld();
    defer(() => world.close());
    world.site.mode = 'fail503';
    const url = world.pageUrl({ flushAt: 20 });
    const tracked: string[] = [];
    for (const [tab, skew] of [['ahead', 2 * HOUR], ['behind', -2 * HOUR]] as const) {
      const context = await launchProfile(world.profileDir());
      defer(() => context.close().catch(() => undefined));
      await context.addInitScript((skew) => {
        const Real = Date;
        class Skewed extends Real {
          constructor(...args: unknown[]) {
            if (args.length === 0) super(Real.now() + skew);
            else super(...(args as [string]));
          }
          static override now(): number {
            return Real.now() + skew;
          }
        }
        window.Date = Skewed as DateConstructor;
      }, skew);
      const page = await openTracker(context, url);
      const batch = labels(tab, rng.int(20, 40));
      await trackLabels(page, batch);
      tracked.push(...batch);
    }
    await new Promise((r) => setTimeout(r, rng.int(1500, 3000)));
    world.site.mode = 'ok';
    await awaitDelivery(world, tracked, 40_000);
    const failures: string[] = [];
    let worst = 0;
    for (const { event } of world.stored()) {
      if (labelOf(event) === undefined) continue;
      const t = (k: string) => Date.parse(String(event[k]));
      const expected = t('receivedAt') - (t('sentAt') - t('originalTimestamp'));
      if (t('timestamp') !== expected) failures.push(`${labelOf(event)}: timestamp ${String(event.timestamp)} is not receivedAt − (sentAt − originalTimestamp) = ${new Date(expected).toISOString()}`);
      if (Math.abs(t('originalTimestamp') - t('receivedAt')) < HOUR) failures.push(`${labelOf(event)}: the page's clock was not skewed (originalTimestamp ${String(event.originalTimestamp)})`);
      worst = Math.max(worst, Math.abs(t('receivedAt') - t('timestamp')));
    }
    note(`corrected timestamps at most ${Math.round(worst / 1000)} s before receivedAt (time spent queued)`);
    if (worst > 5 * 60_000) failures.push(`a corrected timestamp is ${Math.round(worst / 1000)} s from receivedAt`);
    return { tally: tally(world, tracked), failures: failures.slice(0, 5) };
  },
};
