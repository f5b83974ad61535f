import { expect, test } from '@playwright/test';
import Fastify, { type FastifyInstance } from 'fastify';
import { identityCookie } from '../../src/server/http/identity-cookie.js';
import { closeDisplay } from '../helpers/engine-display.js';
import { startSite, type Site } from '../helpers/fault-proxy.js';
import { chromium } from './chromium.js';
import { firefox } from './firefox.js';
import { webkit } from './webkit.js';
import type { Engine } from './engine.js';
import { pageUrl, ready } from './scenarios.js';

// The optional server-set anonymousId cookie, in each engine: the collector's Set-Cookie replaces
// the SDK's script-written cookie (capped at seven days by Safari) with a 400-day one.
const wanted = new Set((process.env.ENGINES ?? 'chromium,firefox,webkit').split(','));
const ENGINES: Engine[] = [chromium, firefox, webkit].filter((e) => wanted.has(e.name));
const CONFIG = { name: 'ferry_aid', maxAgeDays: 400, secure: false };

let collector: FastifyInstance;
let collectorUrl: string;
let site: Site;

test.beforeAll(async () => {
  collector = Fastify();
  await collector.register(identityCookie, CONFIG);
  collectorUrl = await collector.listen({ host: '127.0.0.1', port: 0 });
});
test.afterAll(async () => {
  await collector.close();
  await closeDisplay();
});
test.beforeEach(async () => {
  site = await startSite();
});
test.afterEach(async () => {
  await site.close();
});

test('only a plain id is re-issued, with the configured lifetime', async () => {
  const ask = (query: string, cookie?: string) => fetch(`${collectorUrl}/v1/identity${query}`, { headers: cookie ? { cookie } : {} });
  expect((await ask('', 'other=1; ferry_aid=abc-123')).headers.get('set-cookie')).toBe('ferry_aid=abc-123; Max-Age=34560000; Path=/; SameSite=Lax');
  expect((await ask('?anonymousId=q-1')).headers.get('set-cookie')).toContain('ferry_aid=q-1;');
  for (const bad of ['?anonymousId=a%3Bb', '?anonymousId=' + 'x'.repeat(129), '']) {
    const res = await ask(bad);
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toBeNull();
  }
  expect((await ask('', 'ferry_aid=%E0%A4%A')).headers.get('set-cookie')).toBeNull();
});

for (const engine of ENGINES) {
  test(`${engine.name}: the collector's cookie outlives the script's`, async ({}, info) => {
    const session = await engine.start();
    try {
      // The collector is same-site (127.0.0.1, another port): its Set-Cookie applies to the page's cookies.
      const tab = await session.newTab(pageUrl(site, { flushIntervalMs: 50 }));
      await ready(tab);
      const id = await tab.evaluate((url) => {
        const f = (window as unknown as { ferry: { user(): { anonymousId: string } } }).ferry;
        return fetch(`${url}/v1/identity`, { mode: 'no-cors', credentials: 'include' }).then(() => f.user().anonymousId);
      }, collectorUrl);
      const cookie = (await session.cookies(site.url)).find((c) => c.name === 'ferry_aid');
      expect(cookie?.value).toBe(id);
      const days = ((cookie?.expires ?? 0) - Date.now() / 1000) / 86_400;
      info.annotations.push({ type: engine.name, description: `ferry_aid expires in ${days.toFixed(1)} days` });
      // The SDK writes 365 days; only the server's answer makes it 400.
      expect(days).toBeGreaterThan(399);
      await tab.close();
    } finally {
      await session.close();
    }
  });
}
