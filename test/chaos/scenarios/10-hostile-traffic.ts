import { gzipSync } from 'node:zlib';
import { labels, launchProfile, openTracker, trackLabels } from '../../helpers/chaos-browser.js';
import { awaitDelivery, tally } from '../../helpers/chaos-ledger.js';
import { WRITE_KEY, startWorld } from '../../helpers/chaos-world.js';
import { post } from '../../helpers/ferry-process.js';
import type { Scenario } from '../scenario.js';

/**
 * Hostile bodies; `valid` events ride along where the body is a batch and must be kept. They are
 * posted concurrently, so their labels carry no tab (`hostile-n`): counted, not order-checked.
 */
let bomb: Buffer | undefined;

function hostile(round: number): Array<{ what: string; body: unknown; gzip?: boolean; valid: string[] }> {
  const ok = (i: number) => ({ type: 'track', userId: 'h', event: 'chaos', messageId: `h-${round}-${i}`, properties: { label: `hostile-${round * 10 + i}` } });
  const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
  return [
    { what: 'garbage bytes', body: Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff]), valid: [] },
    { what: 'truncated JSON', body: '{"batch":[{"type":"track"', valid: [] },
    // Compressed once: 50 MB through gzip blocks this process (its proxies and sink) for seconds.
    { what: 'gzip bomb', body: (bomb ??= gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20))), valid: [] },
    { what: 'oversized batch', body: { batch: Array.from({ length: 30 }, (_, i) => ({ type: 'track', userId: 'x', event: 'big', messageId: `o-${round}-${i}`, properties: { pad: 'x'.repeat(30_000) } })) }, valid: [] },
    { what: 'an out-of-range date beside a valid event', body: `{"batch":[${JSON.stringify(ok(0))},{"type":"track","userId":"x","event":"d","messageId":"d-${round}","timestamp":"+275760-09-14T00:00:00.000Z","properties":{"at":1e400}}]}`, valid: [`hostile-${round * 10}`] },
    { what: '200,000 levels of nesting beside a valid event', body: `{"batch":[${JSON.stringify(ok(1))},{"type":"track","userId":"x","event":"n","messageId":"n-${round}","properties":{"deep":${deep}}}]}`, valid: [`hostile-${round * 10 + 1}`] },
    { what: 'wrong types beside a valid event', body: { batch: [ok(2), { type: 'track', userId: ['x'], event: 7, messageId: { a: 1 } }, null, 'x'] }, valid: [`hostile-${round * 10 + 2}`] },
  ];
}

export const hostileTraffic: Scenario = {
  id: 10,
  title: 'Hostile traffic from a Node client while a page tracks',
  budgetMs: 100_000,
  async run({ rng, defer, note }) {
    hostile(0); // the bomb, before anything runs beside this process
    const world = await startWorld();
    defer(() => world.close());
    const context = await launchProfile(world.profileDir());
    defer(() => context.close().catch(() => undefined));
    const page = await openTracker(context, world.pageUrl({ flushAt: 20 }));
    const tracked: string[] = [];
    const failures: string[] = [];
    const statuses = new Map<string, Set<number>>();
    for (let round = 0; round < 3; round++) {
      const attacks = hostile(round);
      const batch = labels('page', rng.int(20, 40), tracked.filter((l) => l.startsWith('page:')).length);
      tracked.push(...batch);
      const tracking = trackLabels(page, batch);
      const answers = await Promise.all(
        attacks.map(async (a) => {
          const res = await post(world.site.url, a.body, { writeKey: WRITE_KEY, gzip: a.gzip }).catch((err: Error) => ({ status: 0, body: { error: err.message } }));
          return { a, res };
        }),
      );
      await tracking;
      for (const { a, res } of answers) {
        if (!statuses.has(a.what)) statuses.set(a.what, new Set());
        statuses.get(a.what)!.add(res.status);
        if (res.status === 0 || res.status >= 500) failures.push(`round ${round}, ${a.what}: answered ${res.status || 'no answer'} ${JSON.stringify(res.body).slice(0, 120)}`);
        if (res.status === 200) tracked.push(...a.valid);
        else if (a.valid.length) failures.push(`round ${round}, ${a.what}: the valid sibling was refused with the batch (${res.status})`);
      }
      await page.waitForTimeout(rng.int(100, 400));
    }
    await awaitDelivery(world, tracked, 40_000);
    note(`answers: ${[...statuses].map(([w, s]) => `${w} → ${[...s].join('/')}`).join('; ')}`);
    if (world.ferry.proc.exitCode !== null) failures.push(`the server exited with ${world.ferry.proc.exitCode}`);
    return { tally: tally(world, tracked), failures };
  },
};
