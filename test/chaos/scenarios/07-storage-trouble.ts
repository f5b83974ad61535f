import { labels, launchProfile, openTracker, trackLabels } from '../../helpers/chaos-browser.js';
import { awaitDelivery, tally } from '../../helpers/chaos-ledger.js';
import { WRITE_KEY, startWorld } from '../../helpers/chaos-world.js';
import type { Scenario } from '../scenario.js';

/**
 * Storage trouble: a browser without IndexedDB (some private modes), and IndexedDB taken from
 * under a page by another open at a higher version (`versionchange`), while tracking goes on.
 */
export const storageTrouble: Scenario = {
  id: 7,
  title: 'Storage trouble: no IndexedDB; IndexedDB closed under the page (versionchange)',
  budgetMs: 90_000,
  async run({ rng, defer, note }) {
    const world = await startWorld();
    defer(() => world.close());
    const url = world.pageUrl({ flushAt: 25 });
    const tracked: string[] = [];

    const bare = await launchProfile(world.profileDir());
    defer(() => bare.close().catch(() => undefined));
    await bare.addInitScript(() => Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true }));
    const noIdb = await openTracker(bare, url);
    const storage = await noIdb.evaluate(() => (window as unknown as { ferry: { state(): Promise<{ storage: string }> } }).ferry.state().then((s) => s.storage));
    note(`without IndexedDB the SDK used ${storage}`);
    for (let b = 0; b < 4; b++) {
      const batch = labels('noidb', rng.int(20, 50), tracked.filter((l) => l.startsWith('noidb:')).length);
      await trackLabels(noIdb, batch);
      tracked.push(...batch);
    }

    const context = await launchProfile(world.profileDir());
    defer(() => context.close().catch(() => undefined));
    const page = await openTracker(context, url);
    let n = 0;
    const more = async () => {
      const batch = labels('vc', rng.int(20, 50), n);
      n += batch.length;
      await trackLabels(page, batch);
      tracked.push(...batch);
    };
    await more();
    // Another tab (here the same page) upgrades the database: the SDK's connection gets versionchange.
    const upgrade = await page.evaluate(
      (name) =>
        new Promise<string>((resolve) => {
          const probe = indexedDB.open(name);
          probe.onsuccess = () => {
            const version = probe.result.version;
            probe.result.close();
            const req = indexedDB.open(name, version + 1);
            req.onblocked = () => resolve('blocked: the SDK kept its connection open');
            req.onsuccess = () => {
              req.result.close();
              resolve(`upgraded to version ${version + 1}`);
            };
            req.onerror = () => resolve(`failed: ${String(req.error)}`);
          };
          probe.onerror = () => resolve(`probe failed: ${String(probe.error)}`);
        }),
      `ferry-${WRITE_KEY}`,
    );
    note(`versionchange: ${upgrade}`);
    for (let b = 0; b < 3; b++) {
      await more();
      await page.waitForTimeout(rng.int(50, 300));
    }
    await awaitDelivery(world, tracked, 40_000);
    return { tally: tally(world, tracked), failures: [] };
  },
};
