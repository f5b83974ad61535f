import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanup, post, startFerry, type FerryProcess } from '../helpers/ferry-process.js';
import { ferryCli, ferryJson, lacksRoute } from '../helpers/ferry-cli.js';

// `ferry violations` (GET /admin/violations). Skipped, with the reason, on a server without the
// route, after checking the CLI says so.
let ferry: FerryProcess;

/** A tracking plan that flags (keeps) events whose "total" is not a number. */
const source = { name: 'web', writeKeys: ['k'], trackingPlan: { onViolation: 'flag', events: { 'Order Completed': { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] } } } };

beforeAll(async () => {
  ferry = await startFerry({ config: { sources: [{ name: 'web', writeKeys: ['k'] }] } });
});
afterAll(async () => {
  await ferry?.kill();
  if (ferry) cleanup(ferry.dataDir);
});

it('lists violations per source and event name as the API counts them', async (ctx) => {
  if (await lacksRoute(ferry.admin, 'GET', '/admin/violations')) {
    const r = await ferryCli(['violations'], { FERRY_ADMIN_URL: ferry.adminUrl });
    expect([r.code, r.stderr]).toEqual([1, 'ferry violations: GET /admin/violations: not available on this server\n']);
    ctx.skip('this server has no GET /admin/violations (issue 17, item 4, on the ops branch)');
  }
  await ferry.kill();
  cleanup(ferry.dataDir);
  ferry = await startFerry({ config: { sources: [source] } });
  const env = { FERRY_ADMIN_URL: ferry.adminUrl };
  const batch = [
    { type: 'track', event: 'Order Completed', userId: 'u', properties: { total: 'lots' } },
    { type: 'track', event: 'Order Completed', userId: 'u', properties: {} },
    { type: 'track', event: 'Order Completed', userId: 'u', properties: { total: 3 } },
  ];
  expect((await post(ferry.url, { batch }, { writeKey: 'k' })).status).toBe(200);
  const json = await ferryJson<{ violations: Array<{ source: string; event: string; count: number }> }>(['violations', '--source', 'web'], env);
  expect(json.violations.map((v) => [v.source, v.event, v.count])).toEqual([['web', 'Order Completed', 2]]);
  const human = await ferryCli(['violations'], env);
  expect(human.stdout).toMatch(/^web\s+Order Completed\s+2\s/m);
}, 120_000);
