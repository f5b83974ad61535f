import { expect, test, type Page } from '@playwright/test';
import { adminJson, cleanup, post, startFerry, type FerryProcess } from '../helpers/ferry-process.js';
import { startSink, waitFor, type Sink } from '../helpers/sink.js';

// The console against a real server with an admin token: a "crm" webhook that refuses the
// "Broken" events until healed, and an "ok" one that takes everything.
const KEY = 'console-key';
const TOKEN = 'console-test-admin-token-0123456789';
const XSS = '<img src=x onerror="window.__pwned=1">';
let ferry: FerryProcess;
let crm: Sink;
let ok: Sink;
let healed = false;
const run = Date.now();
const mid = (name: string) => `console-${run}-${name}`;

interface Delivery { id: number; messageId: string; state: string; attempts: number }
const deliveriesOf = async (q: string) => (await adminJson<{ deliveries: Delivery[] }>(ferry, `/deliveries?${q}`)).deliveries;

test.beforeAll(async () => {
  crm = await startSink((events) => ({ status: !healed && events.some((e) => e.event === 'Broken') ? 503 : 200 }));
  ok = await startSink();
  const retry = { baseMs: 3_600_000, capMs: 3_600_000 };
  ferry = await startFerry({
    config: {
      admin: { token: TOKEN },
      sources: [{ name: 'web', writeKeys: [KEY] }],
      destinations: [
        { name: 'crm', type: 'webhook', url: crm.url, retry, maxBatchEvents: 1 },
        { name: 'ok', type: 'webhook', url: ok.url, retry },
      ],
    },
  });
  const batch = [
    { type: 'track', event: 'Broken', userId: 'u-retry', messageId: mid('retry') },
    { type: 'track', event: 'Broken', userId: 'u-abort', messageId: mid('abort') },
    { type: 'track', event: XSS, userId: 'u-x', messageId: mid('xss'), properties: { note: XSS } },
    { type: 'identify', userId: 'u-erase', anonymousId: `anon-${run}`, traits: { email: 'e@example.com' }, messageId: mid('erase-1') },
  ];
  expect((await post(ferry.url, { batch }, { writeKey: KEY })).body).toMatchObject({ accepted: 4 });
  // A lane's first failure is retried at once; the second waits the hour.
  await waitFor(async () => (await deliveriesOf('destination=crm&state=failed')).filter((d) => d.attempts === 2).length === 2, 30_000, 'the two Broken events to fail twice at crm');
});

test.afterAll(async () => {
  await ferry?.kill();
  if (ferry) cleanup(ferry.dataDir);
  await crm?.close();
  await ok?.close();
});

const row = (page: Page, messageId: string) => page.locator('#deliveries tbody tr', { has: page.getByRole('button', { name: messageId, exact: true }) });

test('the console asks for the token, retries and aborts deliveries, tells stories and erases a user', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  // The page itself needs no token (a navigation cannot send one); its data does.
  await page.goto(`${ferry.adminUrl}/console/`);
  await expect(page.locator('#conn')).toHaveText('This server needs its admin token.');
  await page.fill('#token', 'not-the-token-at-all');
  await page.click('#token-form button[type=submit]');
  await expect(page.locator('#conn')).toHaveText('The token was refused.');
  await page.fill('#token', TOKEN);
  await page.click('#token-form button[type=submit]');
  await expect(page.locator('#conn')).toHaveText(/^connected to 127\.0\.0\.1:/);
  await expect(page.locator('#token-form')).toBeHidden();

  // Destinations with the server's counts.
  const crmCounts = (await adminJson<{ destinations: Array<{ name: string; counts: Record<string, number> }> }>(ferry, '/destinations')).destinations.find((d) => d.name === 'crm')!.counts;
  await expect(page.locator('article[data-destination=crm] dd[data-count=failed]')).toHaveText(String(crmCounts.failed));
  await expect(page.locator('article[data-destination=ok]')).toBeVisible();

  // Failed deliveries, one click each.
  await expect(page.locator('#deliveries tbody tr')).toHaveCount(2);
  await row(page, mid('abort')).getByRole('button', { name: 'Abort', exact: true }).click();
  await expect(page.locator('#del-note')).toHaveText(/is aborted$/);
  expect((await deliveriesOf(`destination=crm&messageId=${mid('abort')}`))[0]!.state).toBe('aborted');
  healed = true;
  await row(page, mid('retry')).getByRole('button', { name: 'Retry', exact: true }).click();
  await expect(page.locator('#del-note')).toHaveText(/is due now$/);
  await waitFor(async () => (await deliveriesOf(`destination=crm&messageId=${mid('retry')}`))[0]!.state === 'succeeded', 30_000, 'the retried delivery');
  await expect(page.locator('#deliveries tbody tr')).toHaveText(['No failed deliveries.']);
  await page.selectOption('#del-filter select[name=state]', 'aborted');
  await expect(row(page, mid('abort'))).toHaveCount(1);
  await expect(page.locator('article[data-destination=crm] dd[data-count=failed]')).toHaveText('0');
  await expect(page.locator('article[data-destination=crm] dd[data-count=aborted]')).toHaveText('1');

  // A story from a delivery row, then a user's events; event contents show as text, never run.
  await row(page, mid('abort')).getByRole('button', { name: mid('abort') }).click();
  await expect(page.locator('#story .delivery[data-destination=crm]')).toContainText('crm: aborted — aborted by an operator: from the console');
  await expect(page.locator('#story .delivery[data-destination=crm] .attempt')).toHaveCount(2);
  await page.selectOption('#story-form select[name=by]', 'user');
  await page.fill('#story-form input[name=q]', 'u-x');
  await page.click('#story-form button[type=submit]');
  await page.locator('#story').getByRole('button', { name: mid('xss') }).click();
  await expect(page.locator('#story p').first()).toContainText(`"${XSS}"`);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(await page.locator('#story img').count()).toBe(0);

  // Erasure: nothing happens until the user is typed again.
  await page.fill('#erase-form input[name=user]', 'u-erase');
  await page.click('#erase-form button[type=submit]');
  await expect(page.locator('#erase-confirm')).toBeVisible();
  await page.fill('#erase-again', 'u-eras');
  await expect(page.locator('#erase-go')).toBeDisabled();
  expect((await adminJson<{ events: unknown[] }>(ferry, '/events?user=u-erase')).events).toHaveLength(1);
  await page.fill('#erase-again', 'u-erase');
  await page.click('#erase-go');
  await expect(page.locator('#erase-note')).toHaveText(/^Erased u-erase: 1 events, 2 deliveries, \d+ attempts, 2 ids, 0 archive lines \(erasure #1\)\.$/);
  expect((await adminJson<{ events: unknown[] }>(ferry, '/events?user=u-erase')).events).toEqual([]);
  expect((await adminJson<{ events: unknown[] }>(ferry, `/events?user=anon-${run}`)).events).toEqual([]);
  const { erasures } = await adminJson<{ erasures: Array<{ id: number; userKey: string; by: string; events: number }> }>(ferry, '/erasures');
  expect(erasures).toMatchObject([{ id: 1, userKey: 'u-erase', by: 'token', events: 1 }]);
  await expect(page.locator('#erasures tbody tr[data-user=u-erase] td').nth(6)).toHaveText('1');
  await page.screenshot({ path: testInfo.outputPath('console-desktop.png'), fullPage: true });

  // The token stays for the tab's session: a reload needs no new entry.
  await page.reload();
  await expect(page.locator('#conn')).toHaveText(/^connected to /);

  // A phone: one column, nothing wider than the screen but the tables' own scrollers.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.locator('article[data-destination=crm]')).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  const boxes = await page.locator('main > section').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
  for (const w of boxes) expect(w).toBeLessThanOrEqual(390);
  await page.screenshot({ path: testInfo.outputPath('console-phone.png'), fullPage: true });
});
