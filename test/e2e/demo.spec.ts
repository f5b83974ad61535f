import { expect, test, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let proc: ChildProcess;
let base: string;
let adminBase: string;
let dataDir: string;

test.beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ferry-demo-'));
  proc = spawn(process.execPath, [new URL('../../bin/ferry.js', import.meta.url).pathname, 'demo', '--port', '0', '--admin-port', '0', '--data', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  [base, adminBase] = await new Promise<[string, string]>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^\s]+)/);
      const a = out.match(/operator API on (http:\/\/[^\s]+)/);
      if (m && a) resolve([m[1]!, a[1]!]);
    });
    proc.on('exit', (code) => reject(new Error(`demo exited ${code}: ${out}`)));
  });
});

test.afterAll(async () => {
  proc.kill('SIGTERM');
  await new Promise((r) => proc.on('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
});

interface ServerState {
  received: { accepted: number; duplicates: number; rejected: number };
  destinations: Array<{ name: string; paused: boolean; counts: { pending: number; blocked: number; failed: number; succeeded: number; aborted: number } }>;
}

async function serverState(): Promise<ServerState> {
  return (await (await fetch(`${base}/demo/api/state`)).json()) as ServerState;
}

const dest = (s: ServerState, name: string) => s.destinations.find((d) => d.name === name)!.counts;
const shown = async (page: Page, name: string, state: string) => Number(await page.locator(`tr[data-destination="${name}"] td[data-count="${state}"]`).textContent());

test('the demo shows events travel, breaks a destination, heals it, and agrees with the server', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${base}/demo/`);
  await page.waitForFunction(() => typeof (window as unknown as { ferry: { state?: unknown } }).ferry.state === 'function');

  // Send: one track from the form, then a burst of 1,000.
  await page.click('#send-one');
  await page.click('#burst');
  await expect.poll(async () => (await serverState()).received.accepted, { timeout: 30_000 }).toBe(1002);
  await expect(page.locator('#s-accepted')).toHaveText('1002');
  await expect(page.locator('#b-queued')).toHaveText('0');
  await expect.poll(async () => dest(await serverState(), 'crm-webhook').succeeded, { timeout: 30_000 }).toBe(1002);

  // Break the CRM webhook; the live feed keeps flowing; a poison event waits its turn.
  await page.click('#sw-webhook-fail');
  await expect(page.locator('#sw-webhook-fail')).toHaveAttribute('aria-pressed', 'true');
  await page.fill('input[name=name]', 'Checkout Started');
  for (let i = 0; i < 5; i++) await page.click('#send-one');
  await page.click('#poison');
  await expect.poll(async () => (await serverState()).received.accepted).toBe(1008);
  await expect.poll(async () => dest(await serverState(), 'live-feed').succeeded).toBe(1008);
  await expect.poll(async () => {
    const c = dest(await serverState(), 'crm-webhook');
    return c.failed + c.pending + c.blocked;
  }).toBe(6);
  await page.screenshot({ path: testInfo.outputPath('demo-desktop-broken.png'), fullPage: true });

  // Heal: everything drains in order, the poison event alone is aborted.
  await page.click('#sw-webhook-ok');
  await expect.poll(async () => dest(await serverState(), 'crm-webhook').succeeded, { timeout: 30_000 }).toBe(1007);
  await expect.poll(async () => dest(await serverState(), 'crm-webhook').aborted).toBe(1);
  const final = await serverState();
  // What the page shows is what the server counts.
  await expect.poll(() => shown(page, 'crm-webhook', 'succeeded')).toBe(dest(final, 'crm-webhook').succeeded);
  await expect.poll(() => shown(page, 'crm-webhook', 'aborted')).toBe(1);
  await expect.poll(() => shown(page, 'live-feed', 'succeeded')).toBe(dest(final, 'live-feed').succeeded);
  await expect.poll(() => shown(page, 'archive', 'succeeded')).toBe(1008);

  // The poison event's timeline: the 400 and the CRM's answer.
  await page.locator('a.mid').first().waitFor();
  // The operator API (its own listener) knows the poison event too.
  const { events } = (await (await fetch(`${adminBase}/admin/events?type=track&order=desc&limit=50`)).json()) as { events: Array<{ messageId: string; event: { event: string } }> };
  const poisonId = events.find((e) => e.event.event === 'Poison Pill')!.messageId;
  await expect(page.locator(`a.mid[data-mid="${poisonId}"]`)).toBeVisible();
  await page.click(`a.mid[data-mid="${poisonId}"]`);
  await expect(page.locator('#timeline')).toContainText('aborted');
  await expect(page.locator('#timeline')).toContainText('HTTP 400');
  await page.screenshot({ path: testInfo.outputPath('demo-desktop.png'), fullPage: true });
  await testInfo.attach('desktop', { path: testInfo.outputPath('demo-desktop.png'), contentType: 'image/png' });

  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: testInfo.outputPath('demo-phone.png'), fullPage: true });
  await testInfo.attach('phone', { path: testInfo.outputPath('demo-phone.png'), contentType: 'image/png' });
});

test('the ES module page sends through the npm build', async ({ page }) => {
  const before = (await serverState()).received.accepted;
  await page.goto(`${base}/demo/esm.html`);
  await page.click('#track');
  await expect.poll(async () => (await serverState()).received.accepted).toBe(before + 2);
  await expect(page.locator('#delivered')).toHaveText('2');
});
