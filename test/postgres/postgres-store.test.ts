import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PostgresStore } from '../../src/server/store/postgres-store.js';
import { routerPartition } from '../../src/server/store/router-partitions.js';
import type { NewEvent } from '../../src/server/store/types.js';
import { statements } from '../../src/server/store/sql-files.js';
import { cleanup, tempDir } from '../helpers/ferry-process.js';
import { databaseFor } from '../helpers/postgres.js';
import { waitFor } from '../helpers/sink.js';

const open: PostgresStore[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  for (const d of dirs.splice(0)) cleanup(d);
});

async function schema(): Promise<string> {
  const dir = tempDir();
  dirs.push(dir);
  return databaseFor(dir);
}

/** A route process's store. Its heartbeat is every 20 s: the test moves ownership itself. */
async function routeStore(url: string): Promise<PostgresStore> {
  const s = await PostgresStore.open({ url, poolSize: 3, connectTimeoutMs: 10_000, routing: true, partitionLeaseMs: 60_000 });
  open.push(s);
  return s;
}

function events(userKey: string, n: number, receivedAt: number, tag: string): NewEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    source: 's', messageId: `${tag}-${i}`, type: 'track', userKey, receivedAt, body: JSON.stringify({ i }), destinations: ['d'], links: [],
  }));
}

async function sql<R extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(text, params)).rows;
  } finally {
    await c.end();
  }
}

const attempt = (at: number) => ({ number: 1, at, status: 200, error: null, response: null, durationMs: 1 });

describe('router partitions across processes', () => {
  it('hands a stalled owner\'s users to another process: the late owner can neither renew nor settle, the new one claims at once', async () => {
    const url = await schema();
    const a = await routeStore(url);
    const b = await routeStore(url);
    expect(a.partitions!.held.size).toBe(64); // first in: every partition
    expect(b.partitions!.held.size).toBe(0); // A still renews them all (until its next heartbeat gives half back)
    const now = Date.now();
    await a.ingest(events('alice', 3, now, `stall-${now}`), 0);
    const claimedByA = await a.claim('d', now, 10, 60_000, 'token-a');
    expect(claimedByA.map((c) => c.userKey)).toEqual(['alice', 'alice', 'alice']);
    expect(await b.claim('d', now, 10, 60_000, 'token-b')).toEqual([]);

    // A stalls: its ownership of alice's partition runs out, and B's heartbeat takes it over.
    await sql(url, 'UPDATE router_partitions SET until = 0 WHERE part = $1', [routerPartition('alice')]);
    await b.partitions!.beat();
    expect(b.partitions!.held.has(routerPartition('alice'))).toBe(true);

    expect(await a.renew('token-a', Date.now(), 60_000)).toEqual([]);
    expect(await a.claim('d', Date.now(), 10, 60_000, 'token-a2')).toEqual([]);
    // The takeover cleared A's leases: B does not wait for them to run out.
    const claimedByB = await b.claim('d', Date.now(), 10, 60_000, 'token-b');
    expect(claimedByB.map((c) => c.id)).toEqual(claimedByA.map((c) => c.id));

    const at = Date.now();
    expect(await a.settle('d', 'token-a', claimedByA.map((c) => ({ id: c.id, state: 'succeeded', attempt: attempt(at) })), at)).toBe(3);
    expect(await b.settle('d', 'token-b', claimedByB.map((c) => ({ id: c.id, state: 'succeeded', attempt: attempt(at) })), at)).toBe(0);
    expect(await a.counts('d', Date.now())).toMatchObject({ succeeded: 3, pending: 0 });
    const log = await sql<{ n: number }>(url, 'SELECT COUNT(*)::integer AS n FROM delivery_log');
    expect(log[0]!.n).toBe(3); // B's attempts only
  });

  it('shares the partitions between live processes and gives a stopped one\'s back at once', async () => {
    const url = await schema();
    const a = await routeStore(url);
    const b = await routeStore(url);
    // A user of the upper half, which A gives back (it keeps the lowest-numbered partitions).
    const user = Array.from({ length: 100 }, (_, i) => `user-${i}`).find((u) => routerPartition(u) >= 32)!;
    const now = Date.now();
    await a.ingest(events(user, 2, now, `share-${now}`), 0);
    expect(await a.claim('d', now, 10, 60_000, 'token-a')).toHaveLength(2);
    await a.partitions!.beat(); // two live: gives half back
    await b.partitions!.beat(); // takes them
    expect([a.partitions!.held.size, b.partitions!.held.size]).toEqual([32, 32]);
    // Given back, not expired: A's claim keeps its token (it may settle what it already sent) but
    // can no longer renew, so it starts no new request for that user.
    expect(await a.renew('token-a', Date.now(), 60_000)).toEqual([]);
    await a.close();
    open.splice(open.indexOf(a), 1);
    await b.partitions!.beat();
    expect(b.partitions!.held.size).toBe(64);
  });
});

describe('retention by day partitions', () => {
  it('drops a whole old day, carrying over what is not succeeded (still claimable, with its event and attempts)', async () => {
    const url = await schema();
    const s = await routeStore(url);
    const old = Date.now() - 3 * 86_400_000;
    const [done, waiting] = await s.ingest([...events('bob', 1, old, `old-done-${old}`), ...events('carol', 1, old, `old-wait-${old}`)], 0);
    const claimed = await s.claim('d', Date.now(), 10, 60_000, 'tok');
    expect(claimed.map((c) => c.eventSeq).sort()).toEqual([done, waiting].sort());
    const at = Date.now();
    await s.settle('d', 'tok', claimed.map((c) => (c.eventSeq === done ? { id: c.id, state: 'succeeded' as const, attempt: attempt(at) } : { id: c.id, state: 'failed' as const, nextAt: at, attempt: { ...attempt(at), status: 503 } })), at);
    const oldDay = Math.floor(old / 86_400_000);
    expect((await sql<{ d: number }>(url, 'SELECT DISTINCT day AS d FROM events')).map((r) => r.d)).toContain(oldDay);

    expect(await s.pruneSucceeded(Date.now() - 86_400_000, 10)).toBe(2); // the day's 2 events, plus one
    expect(await s.pruneSucceeded(Date.now() - 86_400_000, 10)).toBe(0);
    expect((await sql<{ t: string | null }>(url, 'SELECT to_regclass($1)::text AS t', [`events_d${oldDay}`]))[0]!.t).toBeNull();
    const left = await s.events({});
    expect(left.map((e) => e.seq)).toEqual([waiting]);
    const [again] = await s.claim('d', Date.now(), 10, 60_000, 'tok2');
    expect(again).toMatchObject({ eventSeq: waiting, userKey: 'carol', attempts: 1 });
    expect((await s.deliveryLog(`old-wait-${old}-0`)).map((l) => l.status)).toEqual([503]);
  });
});

describe('replays across processes', () => {
  it('two processes stepping the same replay at once (both resumed it at their start) copy each original exactly once, in per-user order', async () => {
    const url = await schema();
    const a = await routeStore(url);
    const b = await PostgresStore.open({ url, poolSize: 3, connectTimeoutMs: 10_000, routing: false, partitionLeaseMs: 60_000 });
    open.push(b);
    const now = Date.now();
    const users = ['u0', 'u1', 'u2', 'u3', 'u4'];
    for (let round = 0; round < 8; round++) {
      for (const u of users) await a.ingest(events(u, 2, now - 5000, `rp-${now}-${u}-${round}`), 0);
    }
    const id = await a.createReplay({ destination: 'd', filter: {}, match: { fromMs: now - 10_000, toMs: now, sources: ['s'], types: null, events: null } }, now);
    // Small steps: many turns in which the two walks could read the same cursor.
    const walk = async (s: PostgresStore) => {
      for (let i = 0; i < 500 && (await s.replayStep(id, 3, Date.now())).more; i++);
    };
    await Promise.all([walk(a), walk(b), walk(a)]);
    const copies = await sql<{ messageId: string; userKey: string; seq: number }>(url, 'SELECT message_id AS "messageId", user_key AS "userKey", seq FROM events WHERE replay_id = $1 ORDER BY seq', [id]);
    const originals = await sql<{ messageId: string; userKey: string }>(url, 'SELECT message_id AS "messageId", user_key AS "userKey" FROM events WHERE replay_id IS NULL ORDER BY seq');
    expect(copies.map((c) => c.messageId)).toEqual(originals.map((o) => o.messageId));
    const deliveries = await sql<{ n: number }>(url, 'SELECT COUNT(*)::integer AS n FROM deliveries WHERE replay_id = $1', [id]);
    expect(deliveries[0]!.n).toBe(80);
    const [record] = await a.replays({ id });
    expect(record).toMatchObject({ total: 80, created: 80, state: 'running' });
  });
});

describe('erasure', () => {
  it('scrubs the erased user from the attempt logs of other users\' deliveries, where a destination echoed a shared batch', async () => {
    const url = await schema();
    const a = await routeStore(url);
    const now = Date.now();
    await a.ingest([...events('keeper', 1, now, `keep-${now}`), ...events('victim-echo', 1, now, `victim-${now}`)], 0);
    const claimed = await a.claim('d', now, 10, 60_000, 'token-a');
    expect(claimed).toHaveLength(2);
    const echo = JSON.stringify({ echo: ['keeper', 'victim-echo'] });
    await a.settle('d', 'token-a', claimed.map((c) => ({ id: c.id, state: 'succeeded' as const, attempt: { ...attempt(now), response: echo } })), now);
    await a.eraseUser({ userKey: 'victim-echo', suppress: false, at: now, by: 'loopback', address: null });
    const log = await sql<{ status: number; response: string; userKey: string }>(url, 'SELECT l.status, l.response, d.user_key AS "userKey" FROM delivery_log l JOIN deliveries d ON d.id = l.delivery_id ORDER BY l.id');
    // The keeper's receipt stays (status, outcome); the excerpt that quoted the erased user goes.
    expect(log).toEqual([{ status: 200, response: '[erased]', userKey: 'keeper' }]);
  });

  it('erases the whole identity graph (anonymous history, alias chain) and nothing of another user of a shared device, through indexes', async () => {
    const url = await schema();
    const a = await routeStore(url);
    const now = Date.now();
    const ev = (userKey: string, tag: string, links: NewEvent['links'] = []): NewEvent => ({ ...events(userKey, 1, now, `${tag}-${now}`)[0]!, links });
    await a.ingest([
      ev('anon-a', 'page'),
      ev('user-1', 'identify', [{ userId: 'user-1', otherId: 'anon-a', kind: 'anonymousId' }]),
      ev('user-2', 'alias', [{ userId: 'user-2', otherId: 'user-1', kind: 'previousId' }]),
      ev('other', 'shared', [{ userId: 'other', otherId: 'anon-a', kind: 'anonymousId' }]),
    ], 0);
    const done = await a.eraseUser({ userKey: 'user-1', suppress: false, at: now, by: 'loopback', address: null });
    expect([...done.ids].sort()).toEqual(['anon-a', 'user-1', 'user-2']);
    expect(done.counts).toMatchObject({ identities: 3, events: 3, deliveries: 3, links: 2 });
    expect(await sql(url, 'SELECT user_key AS "userKey" FROM events')).toEqual([{ userKey: 'other' }]);
    expect(await sql(url, 'SELECT user_id AS "userId", other_id AS "otherId" FROM identity_links')).toEqual([{ userId: 'other', otherId: 'anon-a' }]);
    expect((await a.erasures({})).map((e) => ({ userKey: e.userKey, events: e.events }))).toEqual([{ userKey: 'user-1', events: 3 }]);

    // With sequential scans priced out, a plan still holding one has no index to use.
    const names = ['erase-identity-graph', 'erase-message-ids', 'lock-erased-deliveries', 'erase-attempts', 'erase-deliveries', 'erase-events', 'erase-identity-links'] as const;
    const text = statements('postgres', names);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query('SET enable_seqscan = off');
      for (const name of names) {
        const params = name === 'erase-identity-graph' ? ['user-1'] : [['user-1']];
        const plan = (await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text[name]}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n');
        expect(plan, `${name}:\n${plan}`).not.toMatch(/Seq Scan on (events|deliveries|delivery_log|identity_links)/);
      }
    } finally {
      await c.end();
    }
  });

  const keeperLog = (url: string) => sql<{ status: number; response: string }>(url, "SELECT l.status, l.response FROM delivery_log l JOIN deliveries d ON d.id = l.delivery_id WHERE d.user_key = 'keeper'");

  it('scrubs the answer of a request in flight during the erasure when its settle comes afterwards', async () => {
    const url = await schema();
    const a = await routeStore(url);
    const now = Date.now();
    await a.ingest([...events('keeper', 1, now, `keep-${now}`), ...events('victim-wire', 1, now, `victim-${now}`)], 0);
    const claimed = await a.claim('d', now, 10, 60_000, 'token-a');
    expect(claimed).toHaveLength(2);
    await a.eraseUser({ userKey: 'victim-wire', suppress: false, at: now, by: 'loopback', address: null });
    const echo = JSON.stringify({ echo: ['keeper', 'victim-wire'] });
    // The victim's outcome is fenced out (its row is gone); the keeper's is recorded, without the echo.
    const fenced = await a.settle('d', 'token-a', claimed.map((c) => ({ id: c.id, state: 'succeeded' as const, attempt: { ...attempt(now), response: echo } })), now);
    expect(fenced).toBe(1);
    expect(await keeperLog(url)).toEqual([{ status: 200, response: '[erased]' }]);
  });

  it('an erasure waits for a settle already writing the attempt log, then scrubs what it wrote', async () => {
    const url = await schema();
    const a = await routeStore(url);
    const now = Date.now();
    await a.ingest([...events('keeper', 1, now, `keep-${now}`), ...events('victim-race', 1, now, `victim-${now}`)], 0);
    const claimed = await a.claim('d', now, 10, 60_000, 'token-a');
    expect(claimed).toHaveLength(2);
    // A settle half done, as PostgresStore.settle runs it: the rows locked, both attempts logged, not yet committed.
    const settling = new pg.Client({ connectionString: url });
    await settling.connect();
    try {
      await settling.query('BEGIN');
      await settling.query('SELECT id FROM deliveries WHERE id = ANY($1::bigint[]) ORDER BY destination, user_key, event_seq FOR UPDATE', [claimed.map((c) => c.id)]);
      const echo = JSON.stringify({ echo: ['keeper', 'victim-race'] });
      await settling.query("INSERT INTO delivery_log (delivery_id, day, attempt, at, status, error, response, duration_ms, outcome) SELECT id, day, 1, $2, 200, NULL, $3, 1, 'succeeded' FROM deliveries WHERE id = ANY($1::bigint[])", [claimed.map((c) => c.id), now, echo]);
      const erasing = a.eraseUser({ userKey: 'victim-race', suppress: false, at: now, by: 'loopback', address: null });
      await waitFor(async () => (await sql<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%deliveries%'"))[0]!.n > 0, 15_000, 'the erasure waiting on the settle');
      await settling.query('COMMIT');
      await erasing;
    } finally {
      await settling.end();
    }
    expect(await keeperLog(url)).toEqual([{ status: 200, response: '[erased]' }]);
  });

  it('an erasure waits for a replay step copying the user\'s events, then erases the copies too', async () => {
    const url = await schema();
    const a = await routeStore(url);
    const now = Date.now();
    await a.ingest([...events('keeper', 1, now, `keep-${now}`), ...events('victim-replay', 1, now, `victim-${now}`)], 0);
    const replay = await a.createReplay({ destination: 'd', filter: {}, match: { fromMs: now - 1, toMs: now + 1, sources: ['s'], types: null, events: null } }, now);
    const sqlOf = statements('postgres', ['get-replay', 'replay-originals', 'next-seqs', 'copy-event'] as const);
    // A replay step half done, as PostgresStore.replayStep runs it: its replay row locked, the copies written, not yet committed.
    const stepping = new pg.Client({ connectionString: url });
    await stepping.connect();
    try {
      await stepping.query('BEGIN');
      await stepping.query(sqlOf['get-replay'], [replay]);
      const originals = (await stepping.query<{ seq: number }>(sqlOf['replay-originals'], [now - 1, now + 1, ['s'], null, null, 0, Number.MAX_SAFE_INTEGER])).rows;
      expect(originals).toHaveLength(2);
      const seqs = (await stepping.query<{ seq: string }>(sqlOf['next-seqs'], [originals.length])).rows.map((x) => x.seq);
      const day = (await stepping.query<{ day: number }>('SELECT day FROM events WHERE seq = $1', [originals[0]!.seq])).rows[0]!.day;
      await stepping.query(sqlOf['copy-event'], [seqs, originals.map((o) => o.seq), day, replay]);
      let erased = false;
      const erasing = a.eraseUser({ userKey: 'victim-replay', suppress: false, at: now, by: 'loopback', address: null }).finally(() => (erased = true));
      await waitFor(async () => erased || (await sql<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%replays%'"))[0]!.n > 0, 15_000, 'the erasure, done or waiting on the step');
      await stepping.query('COMMIT');
      await erasing;
    } finally {
      await stepping.end();
    }
    expect(await sql(url, 'SELECT user_key AS "userKey", replay_id IS NOT NULL AS copy FROM events ORDER BY seq')).toEqual([
      { userKey: 'keeper', copy: false },
      { userKey: 'keeper', copy: true },
    ]);
  });
});
