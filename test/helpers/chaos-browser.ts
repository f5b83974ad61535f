import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
import base from '../../playwright.config.js';

/**
 * Real Chromium on a persistent profile, as a visitor's browser: IndexedDB, the backoff state and
 * the identity survive a relaunch on the same directory. A crash is a SIGKILL of the browser
 * process, found by its --user-data-dir, never a polite close.
 */
export async function launchProfile(dir: string, opts: { offline?: boolean } = {}): Promise<BrowserContext> {
  const launch = base.use?.launchOptions ?? {};
  return chromium.launchPersistentContext(dir, { executablePath: launch.executablePath, args: launch.args, headless: true, offline: opts.offline ?? false });
}

/** The pid of the browser (not renderer) process that runs on `dir`. */
export function browserPid(dir: string): number {
  const flag = `--user-data-dir=${dir}`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    if (argv.includes(flag) && !argv.some((a) => a.startsWith('--type='))) return Number(entry);
  }
  throw new Error(`no browser process runs on ${dir}`);
}

/** SIGKILL of the browser process; resolves once Playwright has seen it die. */
export async function crashBrowser(context: BrowserContext, dir: string): Promise<void> {
  const closed = new Promise<void>((resolve) => context.once('close', () => resolve()));
  process.kill(browserPid(dir), 'SIGKILL');
  await closed;
}

interface FerryWindow {
  ferry: {
    state(): Promise<{ storage: string; queued: number; inFlight: number }>;
    track(event: string, properties: Record<string, unknown>): void;
  };
}

/** Opens `url` in a new tab and waits until the SDK has replaced the stub and opened its queue. */
export async function openTracker(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await sdkReady(page);
  return page;
}

export async function sdkReady(page: Page): Promise<void> {
  await page.waitForFunction(() => typeof (window as unknown as { ferry?: { state?: unknown } }).ferry?.state === 'function', undefined, { timeout: 20_000 });
  await page.waitForFunction(() => (window as unknown as FerryWindow).ferry.state().then((s) => s.storage !== 'none'), undefined, { timeout: 20_000 });
}

/** Tracks one `chaos` event per label, in order, in one task; each carries its label. */
export async function trackLabels(page: Page, labels: string[]): Promise<void> {
  await page.evaluate((labels) => {
    const f = (window as unknown as FerryWindow).ferry;
    for (const label of labels) f.track('chaos', { label });
  }, labels);
}

/** Events this profile still holds (queued in storage). */
export function queued(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as FerryWindow).ferry.state().then((s) => s.queued));
}

/** `tab:0` … `tab:n-1`, from `from`. */
export function labels(tab: string, n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) => `${tab}:${from + i}`);
}
