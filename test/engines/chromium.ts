import { chromium as playwrightChromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { chromiumPath } from '../../playwright.config.js';
import { requireBinary, spawnGroup } from '../helpers/engine-process.js';
import { PHONE, pageExpression, type Engine, type PageFunction, type ProfileRun, type Session, type Tab } from './engine.js';

/** The same flags as playwright.config.ts: a quiet Chromium that talks to nobody but the test. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

function tab(page: Page): Tab {
  return {
    goto: async (url) => void (await page.goto(url)),
    evaluate: <A, R>(fn: PageFunction<A, R>, arg: A) => page.evaluate(pageExpression(fn, arg)) as Promise<R>,
    close: () => page.close({ runBeforeUnload: true }),
  };
}

export function chromiumSession(browser: Browser, context: BrowserContext): Session {
  return {
    version: `Chromium ${browser.version()}`,
    async newTab(url) {
      const page = await context.newPage();
      await page.goto(url);
      return tab(page);
    },
    async cookies(url) {
      return (await context.cookies(url)).map((c) => ({ name: c.name, value: c.value, expires: c.expires > 0 ? c.expires : undefined }));
    },
    async newPhoneTab(url) {
      const phone = await browser.newContext({ viewport: PHONE, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
      const page = await phone.newPage();
      await page.goto(url);
      return {
        ...tab(page),
        tap: (selector) => page.tap(selector),
        screenshot: async (path) => void (await page.screenshot({ path })),
        close: () => phone.close(),
      };
    },
    close: () => browser.close(),
  };
}

/** Chromium through Playwright (CDP). */
export const chromium: Engine = {
  name: 'chromium',
  async start() {
    const browser = await playwrightChromium.launch({ executablePath: requireBinary(chromiumPath, 'chromium'), args: CHROMIUM_ARGS, headless: true });
    return chromiumSession(browser, await browser.newContext());
  },
  async startOnProfile(profileDir, url): Promise<ProfileRun> {
    const proc = spawnGroup(requireBinary(chromiumPath, 'chromium'), ['--headless', ...CHROMIUM_ARGS, `--user-data-dir=${profileDir}`, url]);
    return { kill: () => proc.kill('SIGKILL') };
  },
};
