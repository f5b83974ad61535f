import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { SqliteStore } from '../../src/server/store/sqlite-store.js';
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
  | { op: 'prune' };

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
);

describe('the claim', () => {
  it('claims exactly the deliveries the per-user barrier allows, whatever happened before (lanes stay exact)', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        const dir = tempDir();
        const store = new SqliteStore(dir);
        const db = new Database(join(dir, 'ferry.sqlite'), { readonly: true });
        try {
          let now = 1_000_000;
          for (const o of ops) {
            if (o.op === 'ingest') {
              const events: NewEvent[] = o.users.map((u) => ({ source: o.source, messageId: `m${n++}`, type: 'track', userKey: u, receivedAt: now, body: '{}', destinations: DESTINATIONS, links: [] }));
              await store.ingest(events, 0);
            } else if (o.op === 'claim') {
              const claimed = await store.claim(o.destination, now, o.limit, LEASE_MS, `t${n}`);
              const outcomes: Outcome[] = [];
              claimed.forEach((c, i) => {
                const attempt = { number: c.attempts + 1, at: now, status: 500, error: 'e', response: null, durationMs: 1 };
                const how = o.settle[i % o.settle.length]!;
                if (how === 'succeeded') outcomes.push({ id: c.id, state: 'succeeded', attempt });
                else if (how === 'failed') outcomes.push({ id: c.id, state: 'failed', nextAt: now + o.retryInMs, attempt });
                else if (how === 'aborted') outcomes.push({ id: c.id, state: 'aborted', reason: 'test', attempt });
                else if (how === 'released') outcomes.push({ id: c.id, state: 'released' });
              });
              await store.settle(o.destination, `t${n}`, outcomes, now);
            } else if (o.op === 'retry' || o.op === 'abort') {
              const ids = o.pick.map((p) => p + 1);
              if (o.op === 'retry') await store.retryNow({ ids, includeAborted: o.includeAborted }, now);
              else await store.abort(ids, 'test', now);
            } else if (o.op === 'tick') now += o.ms;
            else await store.pruneSucceeded(now, 1000);

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
      { numRuns: 60 },
    );
  }, 120_000);

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
