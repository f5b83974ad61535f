import { expect, test } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { cleanup, startFerry, storedEvents, type FerryProcess } from '../helpers/ferry-process.js';

/**
 * @segment/analytics-next, the library of Segment's own snippet, loaded from a local "CDN"
 * whose settings point its Segment.io integration at Ferry (apiHost).
 */
const KEY = 'next-write-key';
/** A second source whose settings choose analytics-next's batching delivery (POST /v1/b). */
const BATCH_KEY = 'next-batching-key';
const umd = new URL('../../node_modules/@segment/analytics-next/dist/umd/', import.meta.url);
let ferry: FerryProcess;
let cdn: Server;
let cdnUrl: string;

test.beforeAll(async () => {
  ferry = await startFerry({ config: { sources: [{ name: 'standard', writeKeys: [KEY] }, { name: 'batching', writeKeys: [BATCH_KEY] }] } });
  const apiHost = `${new URL(ferry.url).host}/v1`;
  cdn = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const settings = path.match(/^\/v1\/projects\/([^/]+)\/settings$/);
    if (settings) {
      const key = settings[1]!;
      const segmentio: Record<string, unknown> = { apiKey: key, apiHost, protocol: 'http' };
      if (key === BATCH_KEY) segmentio.deliveryStrategy = { strategy: 'batching', config: { size: 10, timeout: 200 } };
      res.writeHead(200, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
      return res.end(JSON.stringify({ integrations: { 'Segment.io': segmentio }, plan: { track: { __default: { enabled: true } } } }));
    }
    if (path === '/page') {
      const key = new URL(req.url ?? '/', 'http://x').searchParams.get('key') ?? KEY;
      res.writeHead(200, { 'Content-Type': 'text/html' });
      return res.end(`<!doctype html><title>analytics-next</title><script>
        window.analytics = []; analytics._writeKey = ${JSON.stringify(key)}; analytics._cdn = ${JSON.stringify(`http://${req.headers.host}`)};
        analytics.push(['page', 'Home']);
      </script><script src="/analytics-next/standalone.js"></script>`);
    }
    const file = path === '/analytics-next/standalone.js' ? 'standalone.js' : path.startsWith('/analytics-next/bundles/') ? path.slice('/analytics-next/bundles/'.length) : undefined;
    if (file && !file.includes('..')) {
      return void readFile(new URL(file, umd)).then(
        (body) => res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(body),
        () => res.writeHead(404).end(),
      );
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => cdn.listen(0, '127.0.0.1', r));
  cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  cdn.closeAllConnections();
  await new Promise((r) => cdn.close(r));
  await ferry.kill();
  cleanup(ferry.dataDir);
});

test('every call type from analytics-next is stored once with its fields', async ({ page }) => {
  const posts: string[] = [];
  const bodies: Record<string, unknown>[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST') {
      posts.push(new URL(r.url()).pathname);
      if (new URL(r.url()).pathname === '/v1/a') bodies.push(JSON.parse(r.postData() ?? '{}'));
    }
  });
  await page.goto(`${cdnUrl}/page`);
  await page.waitForFunction(() => typeof (window as unknown as { analytics: { initialized?: boolean } }).analytics.initialized === 'boolean' && (window as unknown as { analytics: { initialized: boolean } }).analytics.initialized);
  const ids = await page.evaluate(async () => {
    type Ctx = { event: { messageId: string } };
    const a = (window as unknown as { analytics: Record<string, (...args: unknown[]) => Promise<Ctx>> }).analytics;
    const out: string[] = [];
    for (let i = 0; i < 20; i++) out.push((await a.track!('Item Viewed', { i }))!.event.messageId);
    out.push((await a.identify!('user-7', { email: 'seven@example.com' }))!.event.messageId);
    out.push((await a.group!('org-1', { plan: 'team' }))!.event.messageId);
    out.push((await a.alias!('user-8', 'user-7'))!.event.messageId);
    out.push((await a.screen!('Settings'))!.event.messageId);
    out.push((await a.page!('Docs', 'Intro'))!.event.messageId);
    return out;
  });
  await expect.poll(() => storedEvents(ferry.dataDir).length, { timeout: 20_000 }).toBe(26);
  const stored = storedEvents(ferry.dataDir);
  expect(new Set(stored.map((s) => s.messageId)).size).toBe(26);
  for (const id of ids) expect(stored.some((s) => s.messageId === id)).toBe(true);
  expect(stored.map((s) => s.event.type).sort()).toEqual(['alias', 'group', 'identify', 'page', 'page', 'screen', ...Array(20).fill('track')].sort());
  const track = stored.find((s) => s.event.type === 'track')!.event;
  expect(track).toMatchObject({ event: 'Item Viewed', properties: { i: 0 } });
  expect((track.context as { library: { name: string } }).library.name).toBe('analytics.js');
  expect(track.anonymousId).toMatch(/[0-9a-f-]{36}/);
  expect(Date.parse(track.timestamp as string)).not.toBeNaN();
  // Fields arrive as the client sent them (analytics-next's alias carries its own choice of ids).
  const sentAlias = bodies[0]!;
  expect(stored.find((s) => s.event.type === 'alias')!.event).toMatchObject({ messageId: sentAlias.messageId, userId: sentAlias.userId, previousId: sentAlias.previousId, _metadata: sentAlias._metadata });
  // analytics-next posts one event per request to Segment's short paths.
  expect(new Set(posts.filter((p) => p.startsWith('/v1/')))).toEqual(new Set(['/v1/p', '/v1/t', '/v1/i', '/v1/g', '/v1/a', '/v1/s']));
});

test('analytics-next\'s batching delivery posts to /v1/b and every event is stored once', async ({ page }) => {
  const posts: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST') posts.push(new URL(r.url()).pathname);
  });
  const before = storedEvents(ferry.dataDir).length;
  await page.goto(`${cdnUrl}/page?key=${BATCH_KEY}`);
  await page.waitForFunction(() => (window as unknown as { analytics: { initialized?: boolean } }).analytics.initialized === true);
  await page.evaluate(async () => {
    const a = (window as unknown as { analytics: Record<string, (...args: unknown[]) => Promise<unknown>> }).analytics;
    for (let i = 0; i < 35; i++) void a.track!('Batched', { i });
  });
  await expect.poll(() => storedEvents(ferry.dataDir).length - before, { timeout: 20_000 }).toBe(36);
  const mine = storedEvents(ferry.dataDir).slice(before);
  expect(mine.every((s) => s.source === 'batching')).toBe(true);
  expect(mine.filter((s) => s.event.type === 'track').map((s) => (s.event.properties as { i: number }).i)).toEqual(Array.from({ length: 35 }, (_, i) => i));
  expect(posts.filter((p) => p.startsWith('/v1/')).every((p) => p === '/v1/b')).toBe(true);
});
