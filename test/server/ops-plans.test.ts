import { afterEach, describe, expect, it } from 'vitest';
import { adminJson, cleanup, post, startFerry, tempDir, type FerryProcess } from '../helpers/ferry-process.js';

const running: FerryProcess[] = [];
afterEach(async () => {
  for (const f of running.splice(0)) {
    await f.kill('SIGKILL');
    cleanup(f.dataDir);
  }
});

const order = { type: 'object', required: ['total'], properties: { total: { type: 'number' } } };
const plan = (onViolation: string) => ({ onViolation, events: { 'Order Completed': order }, identify: { type: 'object', properties: { email: { type: 'string', format: 'email' } } } });
const config = {
  sources: [
    { name: 'web', writeKeys: ['flag-key'], trackingPlan: plan('flag') },
    { name: 'shop', writeKeys: ['reject-key'], trackingPlan: plan('reject') },
  ],
  destinations: [{ name: 'm', type: 'memory' }],
};

interface Violation { source: string; event: string; count: number; rejected: number; lastMessage: string }
interface Stored { messageId: string; event: { context?: { violations?: string[] } } }

describe('tracking plans (issue 17)', () => {
  it('flags or rejects each event that breaks its source\'s plan, alone, and counts it per event name', async () => {
    const f = await startFerry({ dataDir: tempDir(), config });
    running.push(f);
    const run = Date.now();
    const batch = (p: string) => [
      { type: 'track', event: 'Order Completed', userId: 'u', messageId: `${run}-${p}-good`, properties: { total: 3 }, context: { violations: ['forged by the client'] } },
      { type: 'track', event: 'Order Completed', userId: 'u', messageId: `${run}-${p}-bad`, properties: { total: 'three' } },
      { type: 'identify', userId: 'u', messageId: `${run}-${p}-id`, traits: { email: 'not an address' } },
      { type: 'track', event: 'Unplanned', userId: 'u', messageId: `${run}-${p}-other` },
    ];
    const flagged = await post(f.url, { batch: batch('web') }, { writeKey: 'flag-key' });
    expect(flagged.body).toMatchObject({ ok: true, accepted: 4, rejected: [] });
    const rejected = await post(f.url, { batch: batch('shop') }, { writeKey: 'reject-key' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ accepted: 2 });
    expect(rejected.body.rejected).toEqual([
      { index: 1, code: 'invalid_event', reason: 'the tracking plan refuses it: properties/total must be number' },
      { index: 2, code: 'invalid_event', reason: 'the tracking plan refuses it: traits/email must match format "email"' },
    ]);

    const stored = new Map((await adminJson<{ events: Stored[] }>(f, '/events?limit=100')).events.map((e) => [e.messageId, e.event]));
    expect(stored.get(`${run}-web-bad`)!.context!.violations).toEqual(['properties/total must be number']);
    expect(stored.get(`${run}-web-id`)!.context!.violations).toEqual(['traits/email must match format "email"']);
    // Under a plan, context.violations is the server's: the client's own is dropped.
    expect(stored.get(`${run}-web-good`)!.context).not.toHaveProperty('violations');
    expect(stored.get(`${run}-web-other`)!.context?.violations).toBeUndefined();
    expect([...stored.keys()].filter((k) => k.includes('-shop-')).sort()).toEqual([`${run}-shop-good`, `${run}-shop-other`]);

    // A resend of the flagged batch is a duplicate: counted once.
    expect((await post(f.url, { batch: batch('web') }, { writeKey: 'flag-key' })).body).toMatchObject({ accepted: 0, duplicates: 4 });
    const { violations } = await adminJson<{ violations: Violation[] }>(f, '/violations');
    expect(violations.map(({ source, event, count, rejected: r }) => ({ source, event, count, rejected: r }))).toEqual([
      { source: 'shop', event: 'Order Completed', count: 1, rejected: 1 },
      { source: 'shop', event: 'identify', count: 1, rejected: 1 },
      { source: 'web', event: 'Order Completed', count: 1, rejected: 0 },
      { source: 'web', event: 'identify', count: 1, rejected: 0 },
    ]);
    expect((await adminJson<{ violations: Violation[] }>(f, '/violations?source=web&event=identify')).violations).toEqual([
      expect.objectContaining({ source: 'web', event: 'identify', count: 1, lastMessage: 'traits/email must match format "email"' }),
    ]);
    const scrape = await (await f.admin('/metrics')).text();
    expect(scrape).toContain('ferry_plan_violations_total{source="shop",event="Order Completed",outcome="rejected"} 1');
    expect(scrape).toContain('ferry_plan_violations_total{source="web",event="Order Completed",outcome="flagged"} 1');

    // Alone on /v1/track, the refused event is the request's answer.
    const single = await post(f.url, { event: 'Order Completed', userId: 'u', properties: {} }, { writeKey: 'reject-key', path: '/v1/track' });
    expect(single.status).toBe(400);
    expect(single.body).toMatchObject({ code: 'invalid_event', error: "the tracking plan refuses it: properties must have required property 'total'" });
  }, 60_000);

  it('refuses to start on a schema that does not compile, naming it', async () => {
    const bad = { sources: [{ name: 'web', writeKeys: ['k'], trackingPlan: { onViolation: 'flag', events: { Signup: { type: 'nonsense' } } } }] };
    await expect(startFerry({ dataDir: tempDir(), config: bad })).rejects.toThrow(/sources\.web\.trackingPlan\.events\["Signup"\]: not a valid JSON Schema/);
    const wrong = { sources: [{ name: 'web', writeKeys: ['k'], trackingPlan: { onViolation: 'drop', events: {} } }] };
    await expect(startFerry({ dataDir: tempDir(), config: wrong })).rejects.toThrow(/sources\.0\.trackingPlan\.onViolation: must be one of "flag", "reject"/);
  }, 60_000);
});
