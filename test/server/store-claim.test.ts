import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { SqliteStore } from '../../src/server/store/sqlite-store.js';
import { migrations, statements } from '../../src/server/store/sql-files.js';
import type { NewEvent, Outcome } from '../../src/server/store/types.js';
import { cleanup, tempDir } from '../helpers/ferry-process.js';

const DESTINATIONS = ['a', 'b'];
const USERS = ['u0', 'u1', 'u2', 'u3'];
const LEASE_MS = 1000;

/**
 * The per-user barrier, as the claim's specification (the claim statement before lanes):
 * a live delivery is claimable when it is due and unleased and no earlier live delivery of
 * its user is waiting for a retry or leased.
 */
const CLAIMABLE = `SELECT d.id FROM deliveries d
  WHERE d.destination = @destination AND d.state IN ('pending', 'failed') AND d.next_at <= @now AND d.lease_until <= @now
    AND NOT EXISTS (SELECT 1 FROM deliveries b WHERE b.destination = d.destination AND b.user_key = d.user_key
      AND b.state IN ('pending', 'failed') AND b.event_seq < d.event_seq AND (b.next_at > @now OR b.lease_until > @now))
  ORDER BY d.event_seq`;

/** What the lanes must hold: per (destination, user) with live deliveries, its oldest one. */
const LANES_EXPECTED = `SELECT d.destination, d.user_key, MIN(d.event_seq) AS head_seq, MAX(d.next_at, d.lease_until) AS ready_at, e.source
  FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE d.state IN ('pending', 'failed') GROUP BY d.destination, d.user_key ORDER BY d.destination, d.user_key`;
const LANES = 'SELECT destination, user_key, head_seq, ready_at, source FROM delivery_lanes ORDER BY destination, user_key';

type Op =
  | { op: 'ingest'; source: string; users: string[] }
  | { op: 'claim'; destination: string; limit: number; settle: Array<'succeeded' | 'failed' | 'aborted' | 'released' | 'keep'>; retryInMs: number }
  | { op: 'retry'; pick: number[]; includeAborted: boolean }
  | { op: 'abort'; pick: number[] }
  | { op: 'tick'; ms: number }
  | { op: 'prune' }
  | { op: 'renew' }
  | { op: 'settle-held' }
  | { op: 'restart-leases' }
  | { op: 'erase'; user: string }
  | { op: 'replay'; destination: string; steps: number; cancel: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('ingest' as const), source: fc.constantFrom('s1', 's2'), users: fc.array(fc.constantFrom(...USERS), { minLength: 1, maxLength: 6 }) }),
  fc.record({
    op: fc.constant('claim' as const),
    destination: fc.constantFrom(...DESTINATIONS),
    limit: fc.integer({ min: 1, max: 6 }),
    settle: fc.array(fc.constantFrom('succeeded', 'failed', 'aborted', 'released', 'keep'), { minLength: 6, maxLength: 6 }),
    retryInMs: fc.integer({ min: 0, max: 3000 }),
  }),
  fc.record({ op: fc.constant('retry' as const), pick: fc.array(fc.nat(40), { maxLength: 4 }), includeAborted: fc.boolean() }),
  fc.record({ op: fc.constant('abort' as const), pick: fc.array(fc.nat(40), { maxLength: 4 }) }),
  fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 2500 }) }),
  fc.record({ op: fc.constant('prune' as const) }),
  fc.record({ op: fc.constant('renew' as const) }),
  fc.record({ op: fc.constant('settle-held' as const) }),
  fc.record({ op: fc.constant('restart-leases' as const) }),
  fc.record({ op: fc.constant('erase' as const), user: fc.constantFrom(...USERS) }),
  fc.record({ op: fc.constant('replay' as const), destination: fc.constantFrom(...DESTINATIONS), steps: fc.integer({ min: 0, max: 2 }), cancel: fc.boolean() }),
);

describe('the claim', () => {
  it('claims exactly the deliveries the per-user barrier allows, whatever happened before (lanes stay exact through settles, renewals, restarts, retries, aborts, erasures, replays and prunes)', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        const dir = tempDir();
        const store = new SqliteStore(dir);
        const db = new Database(join(dir, 'ferry.sqlite'), { readonly: true });
        try {
          let now = 1_000_000;
          // Claims with a row to keep are held, as a router holds a claim while its request is out:
          // renew extends them, settle-held settles what they did not keep.
          const held: Array<{ token: string; destination: string; outcomes: Outcome[] }> = [];
          let claims = 0;
          for (const o of ops) {
            if (o.op === 'ingest') {
              const events: NewEvent[] = o.users.map((u) => ({ source: o.source, messageId: `m${n++}`, type: 'track', userKey: u, receivedAt: now, body: '{}', destinations: DESTINATIONS, links: [] }));
              await store.ingest(events, 0);
            } else if (o.op === 'claim') {
              const token = `t${claims++}`;
              const claimed = await store.claim(o.destination, now, o.limit, LEASE_MS, token);
              const outcomes: Outcome[] = [];
              claimed.forEach((c, i) => {
                const attempt = { number: c.attempts + 1, at: now, status: 500, error: 'e', response: null, durationMs: 1 };
                const how = o.settle[i % o.settle.length]!;
                if (how === 'succeeded') outcomes.push({ id: c.id, state: 'succeeded', attempt });
                else if (how === 'failed') outcomes.push({ id: c.id, state: 'failed', nextAt: now + o.retryInMs, attempt });
                else if (how === 'aborted') outcomes.push({ id: c.id, state: 'aborted', reason: 'test', attempt });
                else if (how === 'released') outcomes.push({ id: c.id, state: 'released' });
              });
              if (o.settle.slice(0, claimed.length).includes('keep')) held.push({ token, destination: o.destination, outcomes });
              else await store.settle(o.destination, token, outcomes, now);
            } else if (o.op === 'retry' || o.op === 'abort') {
              const ids = o.pick.map((p) => p + 1);
              if (o.op === 'retry') await store.retryNow({ ids, includeAborted: o.includeAborted }, now);
              else await store.abort(ids, 'test', now);
            } else if (o.op === 'tick') now += o.ms;
            else if (o.op === 'prune') await store.pruneSucceeded(now, 1000);
            else if (o.op === 'renew') for (const h of held) await store.renew(h.token, now, LEASE_MS);
            else if (o.op === 'settle-held') for (const h of held.splice(0)) await store.settle(h.destination, h.token, h.outcomes, now);
            else if (o.op === 'restart-leases') await store.releaseLeases();
            else if (o.op === 'erase') await store.eraseUser({ userKey: o.user, suppress: false, at: now, by: 'loopback', address: null });
            else {
              const match = { fromMs: 0, toMs: now + 1, sources: ['s1', 's2'], types: null, events: null };
              const id = await store.createReplay({ destination: o.destination, filter: {}, match }, now);
              for (let i = 0; i < o.steps; i++) await store.replayStep(id, 3, now);
              if (o.cancel) await store.cancelReplay(id, now);
            }

            expect(db.prepare(LANES).all()).toEqual(db.prepare(LANES_EXPECTED).all());
            for (const destination of DESTINATIONS) {
              const expected = db.prepare(CLAIMABLE).pluck().all({ destination, now });
              const claimed = await store.claim(destination, now, 1000, LEASE_MS, 'check');
              expect(claimed.map((c) => c.id)).toEqual(expected);
              await store.settle(destination, 'check', claimed.map((c) => ({ id: c.id, state: 'released' as const })), now);
            }
          }
        } finally {
          db.close();
          await store.close();
          cleanup(dir);
        }
      }),
      {
        numRuns: 60,
        // Rare at random, so always run: a kept head renewed later (found after 366 runs with renew's
        // lane refresh left out), and a cancelled replay whose copy heads its lane (missed in 60).
        examples: [
          [[
            { op: 'ingest', source: 's1', users: ['u0', 'u0', 'u0'] },
            { op: 'claim', destination: 'a', limit: 3, settle: ['succeeded', 'succeeded', 'keep', 'succeeded', 'succeeded', 'succeeded'], retryInMs: 0 },
            { op: 'tick', ms: 1 },
            { op: 'renew' },
          ]],
          [[
            { op: 'ingest', source: 's1', users: ['u0'] },
            { op: 'claim', destination: 'a', limit: 1, settle: ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded'], retryInMs: 0 },
            { op: 'replay', destination: 'a', steps: 1, cancel: true },
          ]],
        ],
      },
    );
  }, 120_000);

  it('keeps lanes exact after the upgrade from a database of migrations 001–009 with pending, leased and failed deliveries', async () => {
    const dir = tempDir();
    const T = 1_000_000;
    // The database as migration 009 left it, its rows written through the statements and triggers of then.
    const old = new Database(join(dir, 'ferry.sqlite'));
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (const m of migrations('sqlite').filter((m) => m.version <= 9)) {
      old.exec(m.sql);
      old.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, T);
    }
    const sql = statements('sqlite', ['append-event', 'create-delivery', 'lease-delivery', 'mark-failed']);
    const seqs: Record<string, number[]> = { u0: [], u1: [], u2: [] };
    for (const user of ['u0', 'u0', 'u0', 'u1', 'u1', 'u2', 'u2']) {
      const seq = Number(old.prepare(sql['append-event']).run('s1', `m-${user}-${seqs[user]!.length}`, 'track', user, T, '{}').lastInsertRowid);
      old.prepare(sql['create-delivery']).run(seq, 'a', user, T, T);
      seqs[user]!.push(seq);
    }
    const idOf = (seq: number) => old.prepare('SELECT id FROM deliveries WHERE event_seq = ?').pluck().get(seq) as number;
    const u0Head = idOf(seqs.u0![0]!);
    // u0's head is leased by a claim still at work; u1's head failed and waits 5 s; u2's wait.
    old.prepare(sql['lease-delivery']).run({ ids: JSON.stringify([u0Head]), leaseUntil: T + 60_000, token: 'old' });
    old.prepare(sql['lease-delivery']).run({ ids: JSON.stringify([idOf(seqs.u1![0]!)]), leaseUntil: T + 60_000, token: 'gone' });
    old.prepare(sql['mark-failed']).run({ id: idOf(seqs.u1![0]!), token: 'gone', nextAt: T + 5_000, status: 503, error: 'HTTP 503', at: T, now: T });
    old.close();

    const store = new SqliteStore(dir);
    const db = new Database(join(dir, 'ferry.sqlite'), { readonly: true });
    const lanesExact = () => expect(db.prepare(LANES).all()).toEqual(db.prepare(LANES_EXPECTED).all());
    const attempt = { number: 1, at: T, status: 200, error: null, response: null, durationMs: 1 };
    try {
      expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name = 'delivery_lanes_on_update'").all()).toEqual([]);
      lanesExact();
      const first = await store.claim('a', T, 10, LEASE_MS, 'new');
      expect(first.map((c) => c.eventSeq)).toEqual(seqs.u2);
      lanesExact();
      // The claim from before the upgrade still settles under its token.
      expect(await store.settle('a', 'old', [{ id: u0Head, state: 'succeeded', attempt }], T)).toBe(0);
      expect(await store.settle('a', 'new', first.map((c) => ({ id: c.id, state: 'succeeded' as const, attempt })), T)).toBe(0);
      lanesExact();
      const second = await store.claim('a', T + 5_000, 10, LEASE_MS, 'later');
      expect(second.map((c) => c.eventSeq)).toEqual([...seqs.u0!.slice(1), ...seqs.u1!]);
      lanesExact();
      expect(await store.settle('a', 'later', second.map((c) => ({ id: c.id, state: 'succeeded' as const, attempt })), T + 5_000)).toBe(0);
      lanesExact();
      expect(db.prepare(LANES).all()).toEqual([]);
      expect((await store.counts('a', T + 5_000)).succeeded).toBe(7);
    } finally {
      db.close();
      await store.close();
      cleanup(dir);
    }
  });

  it('claims at most the limit, the earliest-due users first, each user in ingestion order', async () => {
    const dir = tempDir();
    const store = new SqliteStore(dir);
    try {
      const events = (user: string, k: number, at: number): NewEvent[] =>
        Array.from({ length: k }, (_, i) => ({ source: 's', messageId: `${user}-${at}-${i}`, type: 'track', userKey: user, receivedAt: at, body: '{}', destinations: ['a'], links: [] }));
      await store.ingest(events('late', 3, 2000), 0);
      await store.ingest(events('early', 3, 1000), 0);
      const claimed = await store.claim('a', 5000, 4, LEASE_MS, 't');
      expect(claimed.map((c) => c.userKey)).toEqual(['late', 'early', 'early', 'early']);
      expect(claimed.map((c) => c.eventSeq)).toEqual([...claimed.map((c) => c.eventSeq)].sort((x, y) => x - y));
    } finally {
      await store.close();
      cleanup(dir);
    }
  });
});
