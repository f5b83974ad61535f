import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { requireBinary, spawnGroup } from '../helpers/engine-process.js';
import { pageExpression, type Engine, type PageFunction, type ProfileRun, type Tab } from './engine.js';

export const firefoxPath = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/**
 * Preferences for a profile the test launches itself: no first-run pages, no session restore
 * after the kill (it would reopen the first run's page and track its events again), nothing
 * phoning home.
 */
const PREFS: Record<string, string | number | boolean> = {
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'browser.startup.page': 0,
  'browser.sessionstore.resume_from_crash': false,
  'browser.aboutwelcome.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.reportingpolicy.firstRun': false,
  'app.update.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
};

function tab(page: Page): Tab {
  return {
    goto: async (url) => void (await page.goto(url)),
    evaluate: <A, R>(fn: PageFunction<A, R>, arg: A) => page.evaluate(pageExpression(fn, arg)) as Promise<R>,
    close: () => page.close({ runBeforeUnload: true }),
  };
}

/** Firefox ESR through WebDriver BiDi (puppeteer-core). */
export const firefox: Engine = {
  name: 'firefox',
  async start() {
    const profile = mkdtempSync(join(tmpdir(), 'ferry-firefox-'));
    const browser: Browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: requireBinary(firefoxPath, 'firefox-esr'),
      userDataDir: profile,
      headless: true,
      extraPrefsFirefox: PREFS,
    });
    return {
      version: `Firefox ${(await browser.version()).replace(/^firefox\//, '')}`,
      async newTab(url) {
        const page = await browser.newPage();
        await page.goto(url);
        return tab(page);
      },
      async cookies(url) {
        const page = (await browser.pages())[0] ?? (await browser.newPage());
        return (await page.cookies(url)).map((c) => ({ name: c.name, value: c.value, expires: c.expires > 0 ? c.expires : undefined }));
      },
      async close() {
        await browser.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  },
  async startOnProfile(profileDir, url): Promise<ProfileRun> {
    writeFileSync(join(profileDir, 'user.js'), Object.entries(PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`).join('\n'));
    const proc = spawnGroup(requireBinary(firefoxPath, 'firefox-esr'), ['--headless', '--no-remote', '--profile', profileDir, url]);
    return { kill: () => proc.kill('SIGKILL') };
  },
};
