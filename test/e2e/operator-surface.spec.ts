import { expect, test } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cleanup, post, startFerry, type FerryProcess } from '../helpers/ferry-process.js';
import { startSink, waitFor, type Sink } from '../helpers/sink.js';
import config from '../../playwright.config.js';

const KEY = 'attacked-key';
let ferry: FerryProcess;
let sink: Sink;
let attacker: Server;
let attackerUrl: string;

// evil.test resolves to 127.0.0.1 inside this browser: a DNS-rebinding attacker's name. Chromium's
// Private Network Access checks are off, as in browsers that have none (Firefox, Safari): the
// server must refuse on its own.
const PNA_OFF = '--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks';
test.use({ launchOptions: { ...config.use!.launchOptions, args: [...(config.use!.launchOptions!.args ?? []), '--host-resolver-rules=MAP evil.test 127.0.0.1', PNA_OFF] } });

test.beforeAll(async () => {
  // A destination that keeps failing, so a delivery stays there for the page to try to abort.
  sink = await startSink(() => ({ status: 503 }));
  ferry = await startFerry({
    config: {
      sources: [{ name: 'web', writeKeys: [KEY] }],
      destinations: [{ name: 'down', type: 'webhook', url: sink.url, retry: { baseMs: 60_000, capMs: 60_000 } }],
    },
  });
  // The attacker: a page on another origin (another port of 127.0.0.1).
  attacker = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>attacker</title>'));
  await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
});

test.afterAll(async () => {
  await ferry.kill();
  cleanup(ferry.dataDir);
  await sink.close();
  await new Promise((r) => attacker.close(r));
});

interface Attempt { what: string; outcome: string }

/** What the page tries against the operator listener; each outcome is what the page could see. */
async function attack(page: import('@playwright/test').Page, base: string, deliveryId: number): Promise<Attempt[]> {
  return page.evaluate(async ({ base, deliveryId }) => {
    const results: Attempt[] = [];
    const tryIt = async (what: string, run: () => Promise<Response>) => {
      try {
        const res = await run();
        results.push({ what, outcome: res.type === 'opaque' ? 'opaque' : `${res.status} ${await res.text()}` });
      } catch (err) {
        results.push({ what, outcome: `threw ${(err as Error).name}` });
      }
    };
    const json = { 'Content-Type': 'application/json' };
    await tryIt('read events', () => fetch(`${base}/admin/events`));
    await tryIt('read metrics', () => fetch(`${base}/metrics`));
    await tryIt('suppress (JSON)', () => fetch(`${base}/admin/users/victim/suppress`, { method: 'POST', headers: json, body: '{"reason":"attack"}' }));
    await tryIt('abort (JSON)', () => fetch(`${base}/admin/deliveries/abort`, { method: 'POST', headers: json, body: JSON.stringify({ ids: [deliveryId] }) }));
    // Simple requests: sent without a preflight, the answer unreadable; only the server can refuse them.
    await tryIt('suppress (no-cors text)', () => fetch(`${base}/admin/users/victim/suppress`, { method: 'POST', mode: 'no-cors', body: '{"reason":"attack"}' }));
    await tryIt('suppress (no-cors empty)', () => fetch(`${base}/admin/users/victim/suppress`, { method: 'POST', mode: 'no-cors' }));
    await tryIt('abort (no-cors text)', () => fetch(`${base}/admin/deliveries/abort`, { method: 'POST', mode: 'no-cors', body: JSON.stringify({ ids: [deliveryId] }) }));
    await tryIt('erase (DELETE)', () => fetch(`${base}/admin/users/victim`, { method: 'DELETE' }));
    return results;
  }, { base, deliveryId });
}

/** Nothing the page tried changed anything: the delivery is not aborted, the user is neither suppressed nor erased. */
async function expectNothingChanged(deliveryId: number, victimMessageId: string) {
  const { deliveries } = (await (await ferry.admin(`/admin/deliveries?destination=down`)).json()) as { deliveries: Array<{ id: number; state: string }> };
  expect(deliveries.find((d) => d.id === deliveryId)?.state).not.toBe('aborted');
  const story = await ferry.admin(`/admin/events/${victimMessageId}`);
  expect(story.status).toBe(200);
  const again = await post(ferry.url, { batch: [{ type: 'track', event: 'still here', userId: 'victim' }] }, { writeKey: KEY });
  expect(again.body).toMatchObject({ accepted: 1, rejected: [] });
}

test('a page of another origin can neither read nor change the admin API', async ({ page }) => {
  const victim = { type: 'track', event: 'Secret', userId: 'victim', messageId: `victim-${Date.now()}`, properties: { email: 'v@example.com' } };
  expect((await post(ferry.url, { batch: [victim] }, { writeKey: KEY })).body).toMatchObject({ accepted: 1 });
  let deliveryId = 0;
  await waitFor(async () => {
    const { deliveries } = (await (await ferry.admin(`/admin/deliveries?messageId=${victim.messageId}`)).json()) as { deliveries: Array<{ id: number }> };
    deliveryId = deliveries[0]?.id ?? 0;
    return deliveryId > 0;
  }, 10_000, 'the delivery');

  await page.goto(attackerUrl);
  // The page can reach the server at all: the public ingestion API answers it (CORS is open there).
  const ingest = await page.evaluate(async ({ url, key }) => {
    const res = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ writeKey: key, batch: [{ type: 'track', event: 'from the page', anonymousId: 'a' }] }) });
    return (await res.json()) as { accepted: number };
  }, { url: ferry.url, key: KEY });
  expect(ingest.accepted).toBe(1);

  const results = await attack(page, ferry.adminUrl, deliveryId);
  for (const r of results) {
    expect(r.outcome, r.what).not.toMatch(/^\d/); // no readable answer, ever
    expect(r.outcome, r.what).not.toContain('v@example.com');
  }
  await expectNothingChanged(deliveryId, victim.messageId);
});

test('a DNS-rebinding page (its own name, resolved to 127.0.0.1) is refused by the Host check', async ({ page }) => {
  const victim = { type: 'track', event: 'Secret', userId: 'victim', messageId: `rebind-${Date.now()}`, properties: { email: 'v@example.com' } };
  await post(ferry.url, { batch: [victim] }, { writeKey: KEY });
  const rebound = `http://evil.test:${ferry.adminPort}`;
  // The attacker's page is served under its own name and port; after rebinding, its same-origin
  // requests reach the operator listener, with the attacker's name in the Host header.
  await page.route(`${rebound}/`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>rebound</title>' }));
  await page.goto(`${rebound}/`);
  const results = await attack(page, rebound, 1);
  const answers = results.map((r) => r.outcome);
  // Same origin now, so the page does see the answers: every one a refusal.
  for (const r of results) expect(r.outcome, r.what).toMatch(/^403 .*"code":"forbidden"/);
  expect(answers.join('\n')).not.toContain('v@example.com');
  await expectNothingChanged(1, victim.messageId);
});
