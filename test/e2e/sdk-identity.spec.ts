import { expect, test, type Page } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import config from '../../playwright.config.js';
import { sdkReady, startSite, type Site } from '../helpers/fault-proxy.js';
import { readmeSnippet } from '../helpers/snippet.js';

// www.example.com and shop.example.com are this machine: two origins of one registrable domain.
test.use({ launchOptions: { ...config.use!.launchOptions, args: [...config.use!.launchOptions!.args!, '--host-resolver-rules=MAP *.example.com 127.0.0.1'] } });

let server: Site;
test.beforeEach(async () => {
  server = await startSite();
});
test.afterEach(async () => {
  await server.close();
});

function pageUrl(load: Record<string, unknown> = {}, extra = ''): string {
  return server.page(readmeSnippet({ src: '/dist/ferry.iife.js', load: { writeKey: server.writeKey, flushIntervalMs: 50, ...load } }) + extra);
}

type Ctx = { sessionId?: number; sessionStart?: boolean; campaign?: Record<string, string>; referrer?: unknown; page: { url: string; path: string } };
const ctx = (e: Record<string, unknown>) => e.context as Ctx;
const byName = (name: string) => server.stored().find((e) => (e.event ?? `page:${(e.context as Ctx).page.path}`) === name)!;

async function track(page: Page, name: string): Promise<void> {
  await page.evaluate((n) => (window as unknown as { ferry: { track(e: string): void } }).ferry.track(n), name);
}

test('a session is shared by the tabs, carries the landing campaign, and ends after 30 minutes without events', async ({ context }) => {
  await context.clock.install();
  const [one, two] = [await context.newPage(), await context.newPage()];
  const landing = `${pageUrl({}, '<link rel="canonical" href="/products/shoes">')}?utm_source=newsletter&utm_medium=email&utm_campaign=spring&utm_term=red&gclid=G-123&ref=x`;
  await one.goto(landing);
  await sdkReady(one);
  await track(one, 'a1');
  await two.goto(pageUrl());
  await sdkReady(two);
  await track(two, 'b1');
  await expect.poll(() => server.stored().length).toBe(4);
  const first = server.stored();
  const sessionId = ctx(first[0]!).sessionId!;
  expect(typeof sessionId).toBe('number');
  expect(first.map((e) => ctx(e).sessionId)).toEqual([sessionId, sessionId, sessionId, sessionId]);
  expect(first.map((e) => ctx(e).sessionStart ?? false)).toEqual([true, false, false, false]);
  const campaign = { source: 'newsletter', medium: 'email', name: 'spring', term: 'red', gclid: 'G-123' };
  for (const e of first) expect(ctx(e).campaign).toEqual(campaign);
  // The landing page names itself canonically; the query of the visit is kept.
  expect(ctx(first[0]!).page).toMatchObject({ path: '/products/shoes', url: `${server.url}/products/shoes${new URL(landing).search}` });
  expect(ctx(byName('b1')).page.url).toBe(new URL('/page/2', server.url).href);

  // Events keep the session alive: 20 minutes, then 20 more (40 since it began, 20 since the last event).
  const jump = async (minutes: number) => context.clock.setSystemTime((await two.evaluate(() => Date.now())) + minutes * 60_000);
  await jump(20);
  await track(two, 'b2');
  await jump(20);
  await track(one, 'a2');
  await expect.poll(() => server.stored().length).toBe(6);
  expect([ctx(byName('b2')).sessionId, ctx(byName('a2')).sessionId]).toEqual([sessionId, sessionId]);

  // 31 minutes without an event in any tab: the next event opens a new session, without the old campaign.
  await jump(31);
  await track(two, 'b3');
  await expect.poll(() => server.stored().length).toBe(7);
  await track(one, 'a3');
  await expect.poll(() => server.stored().length).toBe(8);
  const [b3, a3] = [ctx(byName('b3')), ctx(byName('a3'))];
  expect(b3.sessionId).toBeGreaterThan(sessionId + 70 * 60_000);
  expect(b3).toMatchObject({ sessionStart: true });
  expect(a3.sessionId).toBe(b3.sessionId);
  expect(a3.sessionStart).toBeUndefined();
  expect([b3.campaign, a3.campaign]).toEqual([undefined, undefined]);

  // endSession(): the next event, in the other tab, starts the next one.
  await one.evaluate(() => (window as unknown as { ferry: { endSession(): void } }).ferry.endSession());
  await track(two, 'b4');
  await expect.poll(() => server.stored().length).toBe(9);
  expect(ctx(byName('b4')).sessionId).toBeGreaterThan(b3.sessionId!);
  expect(ctx(byName('b4')).sessionStart).toBe(true);
});

test('www. and shop. of one domain share the anonymousId through a cookie on the registrable domain', async ({ browser }) => {
  const context = await browser.newContext();
  const origin = (host: string, url: string) => url.replace('127.0.0.1', host);
  const www = await context.newPage();
  await www.goto(origin('www.example.com', pageUrl()));
  await sdkReady(www);
  const user = () => (window as unknown as { ferry: { user(): { anonymousId: string } } }).ferry.user().anonymousId;
  const id = await www.evaluate(user);
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  const shop = await context.newPage();
  await shop.goto(origin('shop.example.com', pageUrl()));
  await sdkReady(shop);
  expect(await shop.evaluate(user)).toBe(id);
  // Two origins, two queues: each page view arrives, both under the one visitor.
  await expect.poll(() => server.stored().length).toBe(2);
  expect(server.stored().map((e) => [e.anonymousId, new URL(ctx(e).page.url).host.split(':')[0]])).toEqual(
    expect.arrayContaining([[id, 'www.example.com'], [id, 'shop.example.com']]),
  );
  expect((await context.cookies('http://shop.example.com')).find((c) => c.name === 'ferry_aid')).toMatchObject({ value: id, domain: '.example.com' });
  await context.close();
});

test.describe('moving from analytics.js', () => {
  const umd = new URL('../../node_modules/@segment/analytics-next/dist/umd/', import.meta.url);
  let cdn: Server;
  let cdnUrl: string;
  test.beforeEach(async () => {
    // Segment's "CDN": analytics-next's lazy bundles, and settings that send its events to the Ferry behind the site.
    cdn = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (/^\/v1\/projects\/[^/]+\/settings$/.test(path)) {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
        return res.end(JSON.stringify({ integrations: { 'Segment.io': { apiKey: server.writeKey, apiHost: `${new URL(server.url).host}/v1`, protocol: 'http' } } }));
      }
      const file = path === '/analytics-next/standalone.js' ? 'standalone.js' : path.startsWith('/analytics-next/bundles/') ? path.slice('/analytics-next/bundles/'.length) : undefined;
      if (file && !file.includes('..')) {
        return void readFile(new URL(file, umd)).then(
          (body) => res.writeHead(200, { 'Content-Type': 'text/javascript', 'Access-Control-Allow-Origin': '*' }).end(body),
          () => res.writeHead(404).end(),
        );
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => cdn.listen(0, '127.0.0.1', r));
    cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
  });
  test.afterEach(async () => {
    cdn.closeAllConnections();
    await new Promise((r) => cdn.close(r));
  });

  test('a visitor analytics-next knew keeps their anonymousId and userId under Ferry', async ({ page }) => {
    const before = server.page(`<script>window.analytics = []; analytics._writeKey = ${JSON.stringify(server.writeKey)}; analytics._cdn = ${JSON.stringify(cdnUrl)};</script><script src="${cdnUrl}/analytics-next/standalone.js"></script>`);
    await page.goto(before);
    await page.waitForFunction(() => (window as unknown as { analytics: { initialized?: boolean } }).analytics.initialized === true);
    const known = await page.evaluate(async () => {
      const a = (window as unknown as { analytics: { identify(id: string): Promise<unknown>; user(): { anonymousId(): string; id(): string } } }).analytics;
      await a.identify('user-42');
      return { anonymousId: a.user().anonymousId(), userId: a.user().id() };
    });
    expect(known.anonymousId).toMatch(/^[0-9a-f-]{36}$/);
    expect(known.userId).toBe('user-42');
    // analytics-next's identify reached Ferry under that visitor.
    await expect.poll(() => server.stored().filter((e) => e.type === 'identify').map((e) => [e.anonymousId, e.userId])).toEqual([[known.anonymousId, 'user-42']]);

    // The site switches to Ferry.
    await page.goto(pageUrl());
    await sdkReady(page);
    expect(await page.evaluate(() => (window as unknown as { ferry: { user(): { anonymousId: string; userId: string | null } } }).ferry.user())).toMatchObject(known);
    await track(page, 'After the move');
    await expect.poll(() => server.stored().find((e) => e.event === 'After the move')).toMatchObject({ anonymousId: known.anonymousId, userId: 'user-42' });
  });
});
