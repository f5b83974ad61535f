import { test } from '@playwright/test';
import { startSite, type Site } from '../helpers/fault-proxy.js';
import { startSideServer, type SideServer } from '../helpers/engine-side-server.js';
import { closeDisplay } from '../helpers/engine-display.js';
import { chromium } from './chromium.js';
import { firefox } from './firefox.js';
import { webkit } from './webkit.js';
import type { Engine, Session, Tab } from './engine.js';
import { SCENARIOS } from './scenarios.js';

// One list of scenarios, run in each engine; ENGINES=webkit,firefox narrows it while iterating.
const wanted = new Set((process.env.ENGINES ?? 'chromium,firefox,webkit').split(','));
const ENGINES: Engine[] = [chromium, firefox, webkit].filter((e) => wanted.has(e.name));

test.afterAll(async () => {
  await closeDisplay();
});

for (const engine of ENGINES) {
  test.describe(engine.name, () => {
    test.describe.configure({ timeout: 150_000 });
    let session: Session;
    let site: Site;
    let side: SideServer;

    test.beforeAll(async () => {
      test.setTimeout(120_000);
      session = await engine.start();
      console.log(`[engines] ${engine.name}: ${session.version}`);
    });
    test.afterAll(async () => {
      await session?.close();
    });
    test.beforeEach(async () => {
      site = await startSite();
      side = await startSideServer();
    });
    test.afterEach(async () => {
      await side.close();
      await site.close();
    });

    for (const scenario of SCENARIOS) {
      const title = scenario.knownBug ? `${scenario.name} [known SDK bug: ${scenario.knownBug}]` : scenario.name;
      test(title, async ({}, info) => {
        const opened: Tab[] = [];
        try {
          await scenario.run({
            engine,
            session,
            site,
            side,
            async open(url) {
              const tab = await session.newTab(url);
              opened.push(tab);
              return tab;
            },
            note(what) {
              info.annotations.push({ type: engine.name, description: what });
              console.log(`[engines] ${engine.name} · ${scenario.name}: ${what}`);
            },
          });
        } finally {
          // A tab the scenario closed already throws here; that is fine.
          for (const tab of opened) await tab.close().catch(() => undefined);
        }
      });
    }
  });
}
