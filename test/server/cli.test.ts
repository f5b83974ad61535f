import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminJson, cleanup, post, startFerry, type FerryProcess } from '../helpers/ferry-process.js';
import { ferryCli, ferryJson } from '../helpers/ferry-cli.js';
import { startSink, waitFor, type Sink } from '../helpers/sink.js';

// The operator commands against a real server with a token: a "crm" webhook that refuses the
// "Broken" events until healed, and an "ok" one that takes everything.
const KEY = 'cli-key';
const TOKEN = 'cli-test-admin-token-0123456789';
let ferry: FerryProcess;
let crm: Sink;
let ok: Sink;
let healed = false;
let env: Record<string, string>;
const run = Date.now();
const mid = (name: string) => `cli-${run}-${name}`;

interface Delivery { id: number; messageId: string; destination: string; state: string; userKey: string; attempts: number }
const deliveriesOf = async (q: string) => (await adminJson<{ deliveries: Delivery[] }>(ferry, `/deliveries?${q}`)).deliveries;

beforeAll(async () => {
  crm = await startSink((events) => ({ status: !healed && events.some((e) => e.event === 'Broken') ? 503 : 200 }));
  ok = await startSink();
  // Retries an hour apart: a failed delivery (after the lane's immediate second try) stays failed
  // until the test retries it.
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
  env = { FERRY_ADMIN_URL: ferry.adminUrl, FERRY_ADMIN_TOKEN: TOKEN };
  const batch = [
    { type: 'track', event: 'Broken', userId: 'u-retry', messageId: mid('retry') },
    { type: 'track', event: 'Broken', userId: 'u-abort', messageId: mid('abort') },
    { type: 'track', event: 'Fine', userId: 'u-retry', messageId: mid('fine-1') },
    { type: 'identify', userId: 'u-erase', anonymousId: `anon-${run}`, traits: { email: 'e@example.com' }, messageId: mid('erase-1') },
    { type: 'track', event: 'Fine', userId: 'u-erase', messageId: mid('erase-2') },
  ];
  expect((await post(ferry.url, { batch }, { writeKey: KEY })).body).toMatchObject({ accepted: 5 });
  await waitFor(async () => (await deliveriesOf('destination=ok&state=succeeded')).length === 5, 30_000, 'the ok destination to take all five');
  // A lane's first failure is retried at once; the second waits the hour.
  await waitFor(async () => (await deliveriesOf('destination=crm&state=failed')).filter((d) => d.attempts === 2).length === 2, 30_000, 'the two Broken events to fail twice at crm');
}, 90_000);

afterAll(async () => {
  await ferry?.kill();
  if (ferry) cleanup(ferry.dataDir);
  await crm?.close();
  await ok?.close();
});

describe('ferry operator commands against a real server', () => {
  it('status shows each destination with the counts the API reports, as a table and as JSON', async () => {
    const api = await adminJson<{ destinations: Array<{ name: string; counts: Record<string, number> }> }>(ferry, '/destinations');
    const json = await ferryJson<{ destinations: typeof api.destinations }>(['status'], env);
    expect(json.destinations.map((d) => [d.name, d.counts])).toEqual(api.destinations.map((d) => [d.name, d.counts]));
    const human = await ferryCli(['status'], env);
    expect(human.code).toBe(0);
    const crmLine = human.stdout.split('\n').find((l) => l.startsWith('crm '))!;
    // crm: 1 failed per Broken user, u-retry's Fine blocked behind its failure, u-erase's two through.
    const c = api.destinations.find((d) => d.name === 'crm')!.counts;
    expect(crmLine.split(/\s{2,}/).slice(-5).map(Number)).toEqual([c.pending, c.blocked, c.failed, c.succeeded, c.aborted]);
    expect(c).toMatchObject({ failed: 2, blocked: 1, succeeded: 2 });
  }, 120_000);

  it('deliveries --state failed --destination crm lists exactly the failed ones', async () => {
    const json = await ferryJson<{ deliveries: Delivery[] }>(['deliveries', '--state', 'failed', '--destination', 'crm'], env);
    expect(json.deliveries.map((d) => d.messageId).sort()).toEqual([mid('abort'), mid('retry')]);
    const human = await ferryCli(['deliveries', '--state', 'failed', '--destination', 'crm'], env);
    expect(human.code).toBe(0);
    const rows = human.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^ID\s+DESTINATION\s+STATE/);
    expect(rows.slice(1).map((r) => r.match(/cli-\S+/)![0]).sort()).toEqual([mid('abort'), mid('retry')]);
  }, 120_000);

  it('abort and retry change the server\'s state, and the events and story commands show it', async () => {
    const [toAbort] = await deliveriesOf(`destination=crm&messageId=${mid('abort')}`);
    const aborted = await ferryCli(['abort', '--id', String(toAbort!.id), '--reason', 'bad payload'], env);
    expect([aborted.code, aborted.stdout]).toEqual([0, 'aborted 1 delivery\n']);
    expect((await deliveriesOf(`destination=crm&messageId=${mid('abort')}`))[0]).toMatchObject({ state: 'aborted' });

    healed = true;
    const [toRetry] = await deliveriesOf(`destination=crm&messageId=${mid('retry')}`);
    const retried = await ferryCli(['retry', '--id', String(toRetry!.id)], env);
    expect([retried.code, retried.stdout]).toEqual([0, 'retried 1 delivery\n']);
    // The retried event goes through, and u-retry's blocked event after it, in order.
    await waitFor(async () => (await deliveriesOf('destination=crm&user=u-retry&state=succeeded')).length === 2, 30_000, 'u-retry delivered at crm');
    const order = crm.received.filter((e) => e.userId === 'u-retry').map((e) => e.messageId);
    expect(order).toEqual([mid('retry'), mid('fine-1')]);

    const events = await ferryJson<{ events: Array<{ messageId: string }> }>(['events', '--user', 'u-retry'], env);
    expect(events.events.map((e) => e.messageId)).toEqual([mid('fine-1'), mid('retry')]); // newest first
    const story = await ferryJson<{ deliveries: Delivery[]; attempts: Array<{ outcome: string; destination: string }> }>(['story', mid('retry')], env);
    expect(story.deliveries.map((d) => [d.destination, d.state]).sort()).toEqual([['crm', 'succeeded'], ['ok', 'succeeded']]);
    expect(story.attempts.filter((a) => a.destination === 'crm').map((a) => a.outcome)).toEqual(['failed', 'failed', 'succeeded']);
    const human = await ferryCli(['story', mid('retry')], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${mid('retry')}: track Broken from source web, user u-retry`);
    expect(human.stdout).toMatch(/crm\s+succeeded\s+3/);
  }, 120_000);

  it('erase asks for --yes off a terminal, then erases the identity graph and shows the audit record', async () => {
    const refused = await ferryCli(['erase', 'u-erase'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect((await adminJson<{ events: unknown[] }>(ferry, '/events?user=u-erase')).events).toHaveLength(2);

    const receipt = await ferryJson<{ erasureId: number; events: number; identities: number }>(['erase', 'u-erase', '--yes'], env);
    expect(receipt).toMatchObject({ events: 2, identities: 2 });
    expect((await adminJson<{ events: unknown[] }>(ferry, '/events?user=u-erase')).events).toEqual([]);
    expect((await adminJson<{ events: unknown[] }>(ferry, `/events?user=anon-${run}`)).events).toEqual([]);
    const audit = await ferryCli(['erasures'], env);
    expect(audit.code).toBe(0);
    expect(audit.stdout.split('\n')[1]).toMatch(new RegExp(`^\\s*${receipt.erasureId}\\s+\\S+\\s+u-erase\\s+token\\s+no\\s+2\\s+2\\b`));
  }, 120_000);

  it('exits 1 when the server says no, 2 on a usage error, 3 when nothing answers', async () => {
    const noToken = await ferryCli(['status'], { FERRY_ADMIN_URL: ferry.adminUrl });
    expect([noToken.code, noToken.stdout]).toEqual([1, '']);
    expect(noToken.stderr).toContain('FERRY_ADMIN_TOKEN');
    const wrongToken = await ferryCli(['status', '--token', 'not-the-token-at-all'], { FERRY_ADMIN_URL: ferry.adminUrl });
    expect(wrongToken.code).toBe(1);
    const missing = await ferryCli(['story', 'no-such-message'], env);
    expect([missing.code, missing.stderr]).toEqual([1, 'ferry story: no event with messageId no-such-message\n']);

    for (const args of [['bogus'], ['events', '--bogus'], ['retry'], ['abort'], ['abort', '--id', 'x'], ['deliveries', '--state', 'lost'], ['story'], ['events', '--since', 'yesterday'], ['status', '--admin-url', 'not a url']]) {
      const r = await ferryCli(args, env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
    }

    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as { port: number };
    await new Promise((r) => probe.close(r));
    const down = await ferryCli(['deliveries', '--admin-url', `http://127.0.0.1:${port}`], env);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('cannot reach the operator API');
  }, 120_000);

  it('documents the commands and the exit codes in --help', async () => {
    const help = await ferryCli(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['status', 'deliveries', 'retry', 'abort', 'replay', 'pause', 'resume', 'erase', 'events', 'story', 'FERRY_ADMIN_URL', 'FERRY_ADMIN_TOKEN', '--json']) expect(help.stdout).toContain(c);
    expect(help.stdout).toMatch(/Exit codes:\n\s+0 .*\n\s+1 .*\n\s+2 .*\n\s+3 /);
  }, 120_000);
});
