import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanup, post, startFerry, type FerryProcess } from '../helpers/ferry-process.js';
import { ferryCli, ferryJson, lacksRoute } from '../helpers/ferry-cli.js';
import { startSink, waitFor, type Sink } from '../helpers/sink.js';

// `ferry status` with the verification summary (GET /admin/summary). Skipped, with the reason, on
// a server without it, after checking the status still works and says so.
let ferry: FerryProcess;
let sink: Sink;
let env: Record<string, string>;
const POISON = 'Poison';

beforeAll(async () => {
  // The first attempt of every "Flaky" event fails; "Poison" is refused for good (400).
  const seen = new Set<string>();
  sink = await startSink((events) => {
    if (events.some((e) => e.event === POISON)) return { status: 400 };
    const first = events.filter((e) => e.event === 'Flaky' && !seen.has(String(e.messageId)));
    first.forEach((e) => seen.add(String(e.messageId)));
    return { status: first.length ? 503 : 200 };
  });
  ferry = await startFerry({
    config: {
      sources: [{ name: 'web', writeKeys: ['k'] }],
      destinations: [{ name: 'crm', type: 'webhook', url: sink.url, maxBatchEvents: 1, retry: { baseMs: 50, capMs: 200 } }],
    },
  });
  env = { FERRY_ADMIN_URL: ferry.adminUrl };
});
afterAll(async () => {
  await ferry?.kill();
  if (ferry) cleanup(ferry.dataDir);
  await sink?.close();
});

interface Summary { destination: string; received: number; deliveredFirstTry: number; deliveredAfterRetry: number; aborted: { total: number; byReason: Record<string, number> }; pending: number; blocked: number }

it('status reports, per destination, first-try, after-retry and aborted deliveries as the API counts them', async (ctx) => {
  const from = new Date(Date.now() - 60_000).toISOString();
  if (await lacksRoute(ferry.admin, 'GET', `/admin/summary?from=${encodeURIComponent(from)}&to=${encodeURIComponent(new Date().toISOString())}`)) {
    const r = await ferryCli(['status'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^crm\s+webhook\s+flowing/m);
    expect(r.stdout).toContain('summary: GET /admin/summary: not available on this server');
    ctx.skip('this server has no GET /admin/summary (issue 17, item 1, on the ops branch)');
  }
  const batch = [
    ...[1, 2, 3].map((i) => ({ type: 'track', event: 'Fine', userId: `u${i}`, messageId: `sum-fine-${i}` })),
    ...[1, 2].map((i) => ({ type: 'track', event: 'Flaky', userId: `v${i}`, messageId: `sum-flaky-${i}` })),
    { type: 'track', event: POISON, userId: 'w', messageId: 'sum-poison' },
  ];
  expect((await post(ferry.url, { batch }, { writeKey: 'k' })).body).toMatchObject({ accepted: 6 });
  const to = () => new Date(Date.now() + 1000).toISOString();
  await waitFor(async () => {
    const s = (await ferryJson<{ summary: { destinations: Summary[] } }>(['status', '--from', from, '--to', to()], env)).summary.destinations[0]!;
    return s.deliveredFirstTry + s.deliveredAfterRetry + s.aborted.total === 6;
  }, 60_000, 'every delivery settled');
  const json = await ferryJson<{ summary: { destinations: Summary[] } }>(['status', '--from', from, '--to', to()], env);
  expect(json.summary.destinations[0]).toMatchObject({ destination: 'crm', received: 6, deliveredFirstTry: 3, deliveredAfterRetry: 2, pending: 0, blocked: 0 });
  expect(json.summary.destinations[0]!.aborted.total).toBe(1);
  const human = await ferryCli(['status', '--from', from, '--to', to()], env);
  expect(human.stdout).toMatch(/^crm\s+6\s+3\s+2\s+1\s+0\s+0\s/m);
  expect(human.stdout).toMatch(/crm: 1 aborted: /);
}, 120_000);
