import { crashBrowser, labels, launchProfile, openTracker, queued, trackLabels } from '../../helpers/chaos-browser.js';
import { awaitDelivery, tally } from '../../helpers/chaos-ledger.js';
import { startWorld } from '../../helpers/chaos-world.js';
import type { Fault } from '../../helpers/fault-proxy.js';
import { eventually, gate, type Scenario } from '../scenario.js';

/** Where in the send cycle the browser dies. */
const POINTS = ['request held before the server', 'server committed, answer held', 'answer just delivered'] as const;

export const browserKilledMidFlush: Scenario = {
  id: 1,
  title: 'Browser SIGKILLed mid-flush, relaunched on its profile',
  budgetMs: 110_000,
  async run({ rng, defer, note }) {
    const world = await startWorld();
    defer(() => world.close());
    const dir = world.profileDir();
    const url = world.pageUrl({ flushAt: 20 });
    const tracked: string[] = [];
    for (const [round, point] of POINTS.entries()) {
      const release = gate();
      const held = gate();
      let holding = false;
      world.site.fault = (req) => {
        if (holding || req.events.length === 0) return 'pass';
        holding = true;
        held.open();
        const fault: Fault = round === 0 ? { hold: release.promise, then: 'pass' } : { holdAnswer: release.promise };
        return fault;
      };
      const context = await launchProfile(dir);
      defer(() => context.close().catch(() => undefined));
      const page = await openTracker(context, url);
      const batch = labels(`r${round}`, rng.int(30, 60));
      await trackLabels(page, batch);
      tracked.push(...batch);
      // Everything tracked is in IndexedDB (held events stay queued until answered).
      if (!(await eventually(() => queued(page).then((n) => n >= batch.length), 20_000))) throw new Error(`round ${round}: the events never showed as queued`);
      if (!(await eventually(() => holding, 20_000))) throw new Error(`round ${round}: no request reached the proxy`);
      await held.promise;
      if (round === 2) {
        release.open();
        await new Promise((r) => setTimeout(r, rng.int(0, 40)));
      }
      await crashBrowser(context, dir);
      release.open();
      note(`round ${round}: killed with ${point}`);
    }
    world.site.fault = undefined;
    const context = await launchProfile(dir);
    defer(() => context.close().catch(() => undefined));
    await openTracker(context, url);
    await awaitDelivery(world, tracked, 45_000);
    return { tally: tally(world, tracked), failures: [], allowResend: 'round 2 kills the browser between the 2xx and the delete' };
  },
};
