import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, post, startFerry, tempDir, type FerryProcess } from '../helpers/ferry-process.js';
import { databaseFor } from '../helpers/postgres.js';
import { waitFor } from '../helpers/sink.js';

const running: FerryProcess[] = [];
afterEach(async () => {
  for (const f of running.splice(0)) {
    await f.kill('SIGKILL');
    cleanup(f.dataDir);
  }
});

// PostgreSQL only (SQLite's one writer runs an erasure alone): the erasure reads the identity graph,
// then waits for the user's delivery rows (lock-erased-deliveries), held here as a settle holds them.
// An identify(userId X, anonymousId A2) commits meanwhile and adds the link X–A2. Before: the erasure
// deleted that link (user_id = X) but not A2's earlier anonymous event, outside the graph it had read:
// the event stayed, linked to nobody, and a second erasure of X could not find it (G11).
describe.runIf(process.env.FERRY_TEST_STORE === 'postgres')('an identify committed during an erasure (PostgreSQL)', () => {
  it('leaves no event of an anonymousId linked to the erased user', async () => {
    const dataDir = tempDir();
    const f = await startFerry({ dataDir, config: { sources: [{ name: 'web', writeKeys: ['k'] }], destinations: [{ name: 'm', type: 'memory' }] } });
    running.push(f);
    const run = Date.now();
    const X = `x-${run}`;
    const A2 = `a2-${run}`;
    await post(f.url, { batch: [
      { type: 'track', event: 'mine', userId: X, messageId: `${run}-1` },
      { type: 'track', event: 'before login', anonymousId: A2, messageId: `${run}-2` },
    ] }, { writeKey: 'k' });
    const db = new pg.Client({ connectionString: await databaseFor(dataDir) });
    await db.connect();
    try {
      await waitFor(async () => (await db.query('SELECT 1 FROM deliveries WHERE user_key = $1', [X])).rowCount === 1, 20_000, 'X\'s delivery');
      // Another session holds X's delivery row, as a settle writing its attempt would.
      await db.query('BEGIN');
      await db.query('SELECT id FROM deliveries WHERE user_key = $1 FOR UPDATE', [X]);
      const erased = fetch(`${f.adminUrl}/admin/users/${encodeURIComponent(X)}`, { method: 'DELETE' }).then(async (r) => [r.status, await r.json()] as const);
      const watcher = new pg.Client({ connectionString: await databaseFor(dataDir) });
      await watcher.connect();
      await waitFor(async () => (await watcher.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%FOR UPDATE OF d%'")).rowCount! > 0, 20_000, 'the erasure waiting for the delivery lock');
      await watcher.end();
      // The visitor logs in now: the anonymous history A2 becomes X's.
      expect((await post(f.url, { batch: [{ type: 'identify', userId: X, anonymousId: A2, messageId: `${run}-3` }] }, { writeKey: 'k' })).status).toBe(200);
      await db.query('COMMIT');
      const [status] = await erased;
      expect(status).toBe(200);
      const left = async () => (await db.query('SELECT message_id FROM events WHERE user_key = ANY($1::text[]) ORDER BY seq', [[X, A2]])).rows.map((r: { message_id: string }) => r.message_id);
      const firstPass = await left();
      // A second erasure of X, once everything is committed.
      await fetch(`${f.adminUrl}/admin/users/${encodeURIComponent(X)}`, { method: 'DELETE' });
      expect({ firstPass, afterSecond: await left() }).toEqual({ firstPass: [], afterSecond: [] });
    } finally {
      await db.end();
    }
  }, 90_000);
});
