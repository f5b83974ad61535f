import pg from 'pg';
import { ConfigError } from '../config.js';
import { httpError } from '../errors.js';
import { migrations, statements } from './sql-files.js';
import { RouterPartitions, routerPartition, type PartitionEvents } from './router-partitions.js';
import type {
  ClaimedDelivery, DeliveryCounts, DeliveryLogRow, DeliveryQuery, DeliveryRow, ErasureDone, ErasureRecord, ErasureRequest, EventQuery, EventRow,
  ArchiveLock, NewEvent, Outcome, PendingErasure, Store,
} from './types.js';
import type { DeliverySummary, DestinationPause, NewReplay, ReplayMatch, ReplayRecord, ViolationCount } from './types.js';
import { percentileRanks, percentilesAt } from './percentiles.js';
import { replayRecord, type ReplayRow } from './replay-records.js';
import { withoutErasedEchoes } from './erased-echoes.js';

const NAMES = [
  'claim-message-id', 'next-seqs', 'append-event', 'create-delivery', 'link-identity', 'claim-lanes', 'claim-deliveries', 'lease-delivery',
  'renew-lease', 'lock-deliveries', 'mark-succeeded', 'mark-failed', 'mark-aborted', 'release-delivery', 'log-attempt', 'retry-deliveries-by-id',
  'retry-deliveries', 'abort-deliveries', 'count-live', 'count-done', 'count-blocked', 'prune-dedupe', 'suppress-user', 'unsuppress-user',
  'ensure-day', 'list-days', 'prune-lock', 'carry-over-deliveries', 'carry-over-events', 'carry-over-attempts', 'count-day', 'drop-day',
  'lock-running-replays', 'erase-identity-graph', 'erase-message-ids', 'lock-erased-deliveries', 'erase-attempts', 'erase-deliveries', 'erase-events', 'erase-identity-links', 'audit-erasure',
  'audit-erasure-pending', 'complete-erasure', 'forget-erasure-pending', 'list-erasures', 'list-pending-erasures', 'scrub-attempt-responses',
  // Operations (issue 17): pauses, summaries, replays, tracking-plan violations.
  'pause-destination', 'resume-destination', 'list-paused-destinations', 'summarize-deliveries', 'summarize-aborted',
  'delivery-latencies', 'oldest-live-delivery', 'replay-range', 'create-replay', 'replay-originals', 'copy-event',
  'create-replay-delivery', 'get-replay', 'advance-replay', 'cancel-replay', 'abort-replay-deliveries', 'list-replays', 'running-replays',
  'record-violation', 'list-violations',
  // File archives shared by the processes (destinations/file.ts).
  'lock-archive', 'live-deliveries',
] as const;
type Name = (typeof NAMES)[number];

const RESPONSE_EXCERPT = 1000;
const DAY_MS = 86_400_000;
/** Held while migrating, so that processes starting together migrate once. */
const MIGRATION_LOCK = 4242000;

/** bigint columns (ids, sequence numbers, times in ms) as numbers: exact up to 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export interface PostgresOptions {
  url: string;
  poolSize: number;
  /** A new connection not ready for queries within it fails (a server that accepts and never answers). */
  connectTimeoutMs: number;
  /** This process routes: it owns router partitions (router-partitions.ts) and claims in them. */
  routing: boolean;
  partitionLeaseMs: number;
  partitionEvents?: PartitionEvents;
}

/** Errors that say the database cannot be reached or is going away: an outage, answered 503. */
function unavailable(err: unknown): Error {
  const code = String((err as { code?: unknown })?.code ?? '');
  if (/^(08|57P|53)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code) || /Connection terminated|timeout expired/.test((err as Error)?.message ?? '')) {
    return httpError('storage_unavailable', `the database is unavailable (${code || (err as Error).message}); nothing was acknowledged, retry later`);
  }
  return err as Error;
}

type Client = pg.PoolClient;

/** PostgreSQL's deadlock_detected: one of the transactions in the cycle was rolled back. */
const DEADLOCK = '40P01';

/**
 * Text as a PostgreSQL text column takes it: NUL is the one character it refuses, and a
 * destination's answer or a validator's message quoting a hostile property name may hold one.
 * U+FFFD keeps the length and says something was there; refusing would fail the whole settle.
 */
const pgText = (s: string): string => (s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s);
const pgTextOrNull = (s: string | null): string | null => (s === null ? null : pgText(s));

/**
 * The PostgreSQL store: several `ferry serve` processes share one database. Every change is one
 * transaction on a pooled connection; a commit returns once PostgreSQL has flushed its WAL
 * (synchronous_commit on, set for Ferry's sessions: G4). The ingest group commit (ingester.ts) is written by
 * a handful of multi-row statements whatever its size; dedupe is the unique key of `dedupe`,
 * claimed with INSERT … ON CONFLICT, so two processes never both accept one messageId. Routing
 * is split across processes by router partitions (router-partitions.ts). Retention drops whole
 * day partitions (pruneSucceeded).
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  /** The pool reconnects by itself: an outage fails calls (503), never the store for good. */
  readonly failed = new Promise<Error>(() => {});
  private readonly sql: Record<Name, string> = statements('postgres', NAMES);
  private readonly days = new Set<number>();

  private constructor(
    private readonly pool: pg.Pool,
    readonly partitions: RouterPartitions | undefined,
  ) {}

  /** Throws, in one line without the URL's password: a ConfigError for a URL pg cannot read, storage_unavailable when the database cannot be used. */
  static async open(options: PostgresOptions): Promise<PostgresStore> {
    const where = databaseAt(options.url);
    const pool = new pg.Pool({
      connectionString: withSynchronousCommit(options.url), max: options.poolSize, types, application_name: 'ferry',
      Client: clientTimingOut(options.connectTimeoutMs),
    });
    // An idle connection that the server dropped: the next query gets another one.
    pool.on('error', () => {});
    try {
      await migrate(pool);
      const partitions = options.routing
        ? new RouterPartitions(pool, options.partitionLeaseMs, options.partitionEvents ?? { taken() {}, error() {} })
        : undefined;
      const store = new PostgresStore(pool, partitions);
      await store.ensureDay(dayOf(Date.now()));
      await partitions?.start();
      return store;
    } catch (err) {
      await pool.end().catch(() => undefined);
      const message = (err as Error)?.message ?? String(err);
      const reason = /timeout expired/.test(message) ? `no answer within ${options.connectTimeoutMs} ms (store.connectTimeoutMs)` : message;
      throw httpError('storage_unavailable', `cannot open the PostgreSQL store at ${where}: ${reason}`);
    }
  }

  private async tx<T>(work: (c: Client) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    let client: Client;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw unavailable(err);
    }
    try {
      await client.query(begin);
      const out = await work(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw unavailable(err);
    } finally {
      client.release();
    }
  }

  private async q<R extends pg.QueryResultRow>(name: Name, params: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(this.sql[name], params);
    } catch (err) {
      throw unavailable(err);
    }
  }

  private async ensureDay(day: number): Promise<void> {
    if (this.days.has(day)) return;
    await this.q('ensure-day', [day]);
    this.days.add(day);
  }

  async ingest(events: NewEvent[], dedupeCutoff: number): Promise<Array<number | null>> {
    if (events.length === 0) return [];
    const now = Date.now();
    for (const day of new Set(events.map((e) => dayOf(e.receivedAt)))) await this.ensureDay(day);
    // A pair twice in one commit: the first is the event, the others its duplicates.
    const first = new Map<string, number>();
    events.forEach((e, i) => {
      const key = pairKey(e.source, e.messageId);
      if (!first.has(key)) first.set(key, i);
    });
    const pairs = [...first.keys()].sort().map((k) => events[first.get(k)!]!);
    return this.tx(async (c) => {
      const claimed = await c.query<{ source: string; messageId: string }>(this.sql['claim-message-id'], [pairs.map((e) => e.source), pairs.map((e) => e.messageId), now, dedupeCutoff]);
      const fresh = new Set(claimed.rows.map((r) => pairKey(r.source, r.messageId)));
      const accepted = events.map((e, i) => first.get(pairKey(e.source, e.messageId)) === i && fresh.has(pairKey(e.source, e.messageId)));
      const list = events.filter((_, i) => accepted[i]);
      const seqs: Array<number | null> = events.map(() => null);
      if (list.length === 0) return seqs;
      const allocated = (await c.query<{ seq: number }>(this.sql['next-seqs'], [list.length])).rows.map((r) => r.seq);
      await c.query(this.sql['append-event'], [
        allocated, list.map((e) => dayOf(e.receivedAt)), list.map((e) => e.source), list.map((e) => e.messageId), list.map((e) => e.type),
        list.map((e) => e.userKey), list.map((e) => e.receivedAt), list.map((e) => e.body),
      ]);
      const d = { seq: [] as number[], day: [] as number[], destination: [] as string[], userKey: [] as string[], part: [] as number[], at: [] as number[] };
      list.forEach((e, i) => {
        for (const destination of e.destinations) {
          d.seq.push(allocated[i]!);
          d.day.push(dayOf(e.receivedAt));
          d.destination.push(destination);
          d.userKey.push(e.userKey);
          d.part.push(routerPartition(e.userKey));
          d.at.push(e.receivedAt);
        }
      });
      if (d.seq.length > 0) await c.query(this.sql['create-delivery'], [d.seq, d.day, d.destination, d.userKey, d.part, d.at]);
      // Each pair once per commit, in one order for every process (concurrent commits of the same
      // new pair wait on each other; the same order keeps that from becoming a deadlock).
      const links = new Map<string, { userId: string; otherId: string; kind: string; at: number }>();
      for (const e of list) for (const l of e.links) if (!links.has(pairKey(l.userId, l.otherId))) links.set(pairKey(l.userId, l.otherId), { ...l, at: e.receivedAt });
      const sorted = [...links.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, l]) => l);
      if (sorted.length > 0) await c.query(this.sql['link-identity'], [sorted.map((l) => l.userId), sorted.map((l) => l.otherId), sorted.map((l) => l.kind), sorted.map((l) => l.at)]);
      let n = 0;
      events.forEach((_, i) => {
        if (accepted[i]) seqs[i] = allocated[n++]!;
      });
      return seqs;
    });
  }

  async pruneDedupe(cutoff: number, limit: number): Promise<number> {
    return (await this.q('prune-dedupe', [cutoff, limit])).rowCount ?? 0;
  }

  /**
   * Walks the due users of the router partitions this process owns, earliest due first, and takes
   * each user's deliveries in order until one is not due or is leased. The rows read are locked
   * until the lease is written, users in key order (as settles lock them).
   */
  async claim(destination: string, now: number, limit: number, leaseMs: number, token: string): Promise<ClaimedDelivery[]> {
    const partitions = this.partitions;
    if (!partitions) return [];
    return this.tx(async (c) => {
      const lanes = (await c.query<{ userKey: string }>(this.sql['claim-lanes'], [destination, now, limit, partitions.owner])).rows.map((r) => r.userKey).sort();
      const rows: ClaimedDelivery[] = [];
      for (const userKey of lanes) {
        const lane = (await c.query<ClaimedDelivery & { nextAt: number; leaseUntil: number }>(this.sql['claim-deliveries'], [destination, userKey, limit - rows.length])).rows;
        for (const { nextAt, leaseUntil, ...delivery } of lane) {
          if (nextAt > now || leaseUntil > now) break;
          rows.push(delivery);
        }
        if (rows.length >= limit) break;
      }
      rows.sort((a, b) => a.eventSeq - b.eventSeq);
      if (rows.length > 0) await c.query(this.sql['lease-delivery'], [rows.map((r) => r.id), now + leaseMs, token]);
      return rows;
    });
  }

  async renew(token: string, now: number, leaseMs: number): Promise<number[]> {
    if (!this.partitions) return [];
    return (await this.q<{ id: number }>('renew-lease', [token, now + leaseMs, this.partitions.owner])).rows.map((r) => r.id);
  }

  /** Leases of gone processes are cleared when their router partitions are taken over (router-partitions.ts). */
  async releaseLeases(): Promise<number> {
    return 0;
  }

  async settle(_destination: string, token: string, outcomes: Outcome[], now: number): Promise<number> {
    if (outcomes.length === 0) return 0;
    return this.tx(async (c) => {
      const locked = new Set((await c.query<{ id: number }>(this.sql['lock-deliveries'], [outcomes.map((o) => o.id)])).rows.map((r) => r.id));
      // Rows claimed and gone were erased while in flight (erase-user locks them first, so it
      // either ran before this or waits for it): the answers they shared lose their echo.
      const attempts = new Map(withoutErasedEchoes(outcomes, new Set(outcomes.filter((o) => !locked.has(o.id)).map((o) => o.id))).map((o) => [o.id, o]));
      let fenced = 0;
      const log = { id: [] as number[], day: [] as number[], attempt: [] as number[], at: [] as number[], status: [] as Array<number | null>, error: [] as Array<string | null>, response: [] as Array<string | null>, ms: [] as number[], outcome: [] as string[] };
      const logged = (id: number, day: number) => {
        const o = attempts.get(id)!;
        if (o.state === 'released' || !o.attempt) return;
        const a = o.attempt;
        log.id.push(id);
        log.day.push(day);
        log.attempt.push(a.number);
        log.at.push(a.at);
        log.status.push(a.status);
        log.error.push(pgTextOrNull(a.error));
        log.response.push(pgTextOrNull(a.response?.slice(0, RESPONSE_EXCERPT) ?? null));
        log.ms.push(Math.round(a.durationMs));
        log.outcome.push(o.state);
      };
      const released = outcomes.filter((o) => o.state === 'released').map((o) => o.id);
      if (released.length > 0) fenced += released.length - ((await c.query(this.sql['release-delivery'], [released, token])).rowCount ?? 0);
      const succeeded = outcomes.filter((o): o is Extract<Outcome, { state: 'succeeded' }> => o.state === 'succeeded');
      if (succeeded.length > 0) {
        const rows = (await c.query<{ id: number; day: number }>(this.sql['mark-succeeded'], [token, succeeded.map((o) => o.id), succeeded.map((o) => o.attempt.status), succeeded.map((o) => o.attempt.at), now])).rows;
        fenced += succeeded.length - rows.length;
        for (const r of rows) logged(r.id, r.day);
      }
      // Fenced out: a newer claim holds the row (what it records stands), the partition was taken
      // over, or the delivery was erased while in flight (G11). Either way this attempt is not logged.
      for (const o of outcomes) {
        if (o.state !== 'failed' && o.state !== 'aborted') continue;
        const res = o.state === 'failed'
          ? await c.query<{ day: number }>(this.sql['mark-failed'], [o.id, token, now, o.attempt.at, o.attempt.status, pgTextOrNull(o.attempt.error), o.nextAt])
          : await c.query<{ day: number }>(this.sql['mark-aborted'], [o.id, token, now, o.attempt?.at ?? now, o.attempt?.status ?? null, pgTextOrNull(o.attempt?.error ?? null), pgText(o.reason), o.attempt ? 1 : 0]);
        if (res.rows.length === 0) fenced++;
        else logged(o.id, res.rows[0]!.day);
      }
      if (log.id.length > 0) await c.query(this.sql['log-attempt'], [log.id, log.day, log.attempt, log.at, log.status, log.error, log.response, log.ms, log.outcome]);
      return fenced;
    });
  }

  async retryNow(filter: { destination?: string; ids?: number[]; includeAborted?: boolean }, now: number): Promise<number> {
    if (filter.ids?.length === 0) return 0;
    const includeAborted = filter.includeAborted === true;
    const res = filter.ids
      ? await this.q('retry-deliveries-by-id', [filter.ids, now, includeAborted, filter.destination ?? null])
      : await this.q('retry-deliveries', [now, includeAborted, filter.destination ?? null]);
    return res.rowCount ?? 0;
  }

  async abort(ids: number[], reason: string, now: number): Promise<number> {
    return (await this.q('abort-deliveries', [ids, reason, now])).rowCount ?? 0;
  }

  /**
   * Retention by day partitions: the oldest day wholly before the cutoff is dropped whole, after
   * its deliveries that are not succeeded (live, or aborted and kept until handled) and their
   * events and attempts are carried over to today. One day per call; returns the events dropped
   * plus one, or 0 when no day is old enough. `limit` does not apply: a DROP costs the same
   * whatever the day holds.
   */
  async pruneSucceeded(cutoff: number, _limit: number): Promise<number> {
    const old = (await this.q<{ day: number }>('list-days', [])).rows.map((r) => r.day).filter((d) => d < Math.floor(cutoff / DAY_MS));
    const day = old[0];
    if (day === undefined) return 0;
    const today = dayOf(Date.now());
    await this.ensureDay(today);
    return this.tx(async (c) => {
      await c.query(this.sql['prune-lock'], []);
      const carried = (await c.query<{ id: number; eventSeq: number }>(this.sql['carry-over-deliveries'], [day, today])).rows;
      if (carried.length > 0) {
        await c.query(this.sql['carry-over-events'], [day, today, [...new Set(carried.map((r) => r.eventSeq))]]);
        await c.query(this.sql['carry-over-attempts'], [day, today, carried.map((r) => r.id)]);
      }
      const dropped = (await c.query<{ events: number }>(this.sql['count-day'], [day])).rows[0]!.events;
      await c.query(this.sql['drop-day'], [day]);
      this.days.delete(day);
      return dropped + 1;
    });
  }

  async counts(destination: string, now: number): Promise<DeliveryCounts> {
    const [live, done, blocked, oldest] = await Promise.all([
      this.q<{ failed: number; due: number }>('count-live', [destination, now]),
      this.q<{ succeeded: number; aborted: number }>('count-done', [destination]),
      this.q<{ blocked: number }>('count-blocked', [destination, now]),
      this.q<{ at: number }>('oldest-live-delivery', [destination]),
    ]);
    const b = blocked.rows[0]!.blocked;
    return {
      oldestLiveAt: oldest.rows[0]?.at ?? null,
      pending: live.rows[0]!.due - b,
      blocked: b,
      failed: live.rows[0]!.failed,
      succeeded: done.rows[0]!.succeeded,
      aborted: done.rows[0]!.aborted,
    };
  }

  private async select<R extends pg.QueryResultRow>(text: string, params: unknown[]): Promise<R[]> {
    try {
      return (await this.pool.query<R>(text, params)).rows;
    } catch (err) {
      throw unavailable(err);
    }
  }

  async eventCount(source?: string): Promise<number> {
    const rows = source
      ? await this.select<{ n: number }>('SELECT COUNT(*) AS n FROM events WHERE source = $1', [source])
      : await this.select<{ n: number }>('SELECT COUNT(*) AS n FROM events', []);
    return rows[0]!.n;
  }

  async events(q: EventQuery): Promise<EventRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (column: string, op: string, v: unknown) => {
      params.push(v);
      where.push(`${column} ${op} $${params.length}`);
    };
    if (q.source) add('source', '=', q.source);
    if (q.userKey) add('user_key', '=', q.userKey);
    if (q.messageId) add('message_id', '=', q.messageId);
    if (q.type) add('type', '=', q.type);
    if (q.sinceMs !== undefined) add('received_at', '>=', q.sinceMs);
    if (q.untilMs !== undefined) add('received_at', '<', q.untilMs);
    if (q.afterSeq !== undefined) add('seq', '>', q.afterSeq);
    params.push(q.limit ?? 1000);
    const rows = await this.select<Omit<EventRow, 'event'> & { body: string }>(
      `SELECT seq, source, message_id AS "messageId", type, user_key AS "userKey", received_at AS "receivedAt", replay_id AS "replayId", body FROM events
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${q.newestFirst ? 'DESC' : 'ASC'} LIMIT $${params.length}`,
      params,
    );
    return rows.map(({ body, ...r }) => ({ ...r, event: JSON.parse(body) as Record<string, unknown> }));
  }

  async deliveries(q: DeliveryQuery): Promise<DeliveryRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (column: string, v: unknown) => {
      params.push(v);
      where.push(`${column} = $${params.length}`);
    };
    if (q.destination) add('d.destination', q.destination);
    if (q.state) add('d.state', q.state);
    if (q.userKey) add('d.user_key', q.userKey);
    if (q.messageId) add('e.message_id', q.messageId);
    params.push(q.limit ?? 1000);
    return this.select<DeliveryRow>(
      `SELECT d.id, d.event_seq AS "eventSeq", e.message_id AS "messageId", d.destination, d.user_key AS "userKey", d.state,
          d.attempts, d.next_at AS "nextAt", d.last_status AS "lastStatus", d.last_error AS "lastError", d.reason, d.updated_at AS "updatedAt",
          d.replay_id AS "replayId"
       FROM deliveries d JOIN events e ON e.seq = d.event_seq AND e.day = d.day
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.event_seq, d.destination LIMIT $${params.length}`,
      params,
    );
  }

  async deliveryLog(messageId: string): Promise<DeliveryLogRow[]> {
    return this.select<DeliveryLogRow>(
      `SELECT l.delivery_id AS "deliveryId", d.destination, l.attempt, l.at, l.status, l.error, l.response, l.duration_ms AS "durationMs", l.outcome
       FROM delivery_log l JOIN deliveries d ON d.id = l.delivery_id AND d.day = l.day JOIN events e ON e.seq = d.event_seq AND e.day = d.day
       WHERE e.message_id = $1 ORDER BY l.id`,
      [messageId],
    );
  }

  async suppress(userKey: string, reason: string | null, now: number): Promise<void> {
    await this.q('suppress-user', [userKey, now, reason]);
  }

  async unsuppress(userKey: string): Promise<boolean> {
    return ((await this.q('unsuppress-user', [userKey])).rowCount ?? 0) > 0;
  }

  async suppressed(): Promise<string[]> {
    return (await this.select<{ user_key: string }>('SELECT user_key FROM suppressed_users', [])).map((r) => r.user_key);
  }

  /**
   * One transaction. The deleted rows stay in the table files as dead tuples until VACUUM reclaims
   * them (autovacuum, or completeErasure's VACUUM): PostgreSQL has no secure_delete.
   */
  /**
   * One transaction on its own connection, holding the directory's advisory lock until it ends
   * (a crashed process's lock goes with its connection). `live` reads after the lock is granted,
   * so it sees every erasure whose rewrite came before this turn.
   */
  readonly archiveLock: ArchiveLock = (path, work) =>
    this.tx(async (c) => {
      await c.query(this.sql['lock-archive'], [path]);
      return work(async (ids) => new Set((await c.query<{ id: number }>(this.sql['live-deliveries'], [ids])).rows.map((r) => r.id)));
    });

  /**
   * The graph is read first, then its deliveries are locked (waiting for a settle that holds
   * some). An identify committed meanwhile links a new id to the user: the links are deleted with
   * RETURNING, and every id a deleted link named is erased too (its deliveries locked in turn), so
   * no link goes while the events it led to stay. A link committed after that delete stays, and a
   * later erasure finds what it leads to. Locking ids found late can deadlock with a settle that
   * holds them and waits for the first ones: PostgreSQL then aborts one side, and the erasure is
   * tried again from the start.
   */
  async eraseUser(r: ErasureRequest): Promise<ErasureDone> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.eraseOnce(r);
      } catch (err) {
        if ((err as { code?: unknown }).code !== DEADLOCK || attempt >= 3) throw err;
      }
    }
  }

  private eraseOnce(r: ErasureRequest): Promise<ErasureDone> {
    return this.tx(async (c) => {
      const run = async (name: Name, params: unknown[]) => (await c.query(this.sql[name], params)).rowCount ?? 0;
      await c.query(this.sql['lock-running-replays'], []);
      const ids = (await c.query<{ id: string }>(this.sql['erase-identity-graph'], [r.userKey])).rows.map((x) => x.id);
      const known = new Set(ids);
      let links = 0;
      // A settle in progress holds some of these rows: wait for it, so that the scrub below sees the
      // answers it logs; a later settle finds the rows gone and scrubs its own (settle above).
      for (let found = ids; found.length > 0; ) {
        await c.query(this.sql['lock-erased-deliveries'], [found]);
        const named = (await c.query<{ id: string }>(this.sql['erase-identity-links'], [found])).rows.map((x) => x.id);
        links += named.length;
        found = [...new Set(named)].filter((id) => !known.has(id));
        for (const id of found) known.add(id);
        ids.push(...found);
      }
      const messageIds = (await c.query<{ messageId: string }>(this.sql['erase-message-ids'], [ids])).rows.map((x) => x.messageId);
      await c.query(this.sql['scrub-attempt-responses'], [ids]);
      const counts = {
        identities: ids.length,
        attempts: await run('erase-attempts', [ids]),
        deliveries: await run('erase-deliveries', [ids]),
        events: await run('erase-events', [ids]),
        links,
      };
      const id = (await c.query<{ id: number }>(this.sql['audit-erasure'], [r.at, r.by, r.address, r.userKey, r.suppress, counts.identities, counts.events, counts.deliveries, counts.attempts, counts.links])).rows[0]!.id;
      await c.query(this.sql['audit-erasure-pending'], [id, JSON.stringify(ids), JSON.stringify(messageIds)]);
      return { id, ids, messageIds, counts };
    });
  }

  async completeErasure(id: number, archiveLines: number, now: number): Promise<void> {
    await this.tx(async (c) => {
      await c.query(this.sql['complete-erasure'], [id, archiveLines, now]);
      await c.query(this.sql['forget-erasure-pending'], [id]);
    });
    // The erased rows' dead tuples: reclaimed now rather than whenever autovacuum passes.
    await this.select('VACUUM events, deliveries, delivery_log, identity_links', []).catch(() => undefined);
  }

  async pendingErasures(): Promise<PendingErasure[]> {
    const rows = (await this.q<{ id: number; ids: string; messageIds: string }>('list-pending-erasures', [])).rows;
    return rows.map((p) => ({ id: p.id, ids: JSON.parse(p.ids) as string[], messageIds: JSON.parse(p.messageIds) as string[] }));
  }

  async erasures(q: { beforeId?: number; limit?: number }): Promise<ErasureRecord[]> {
    const rows = (await this.q<Omit<ErasureRecord, 'at' | 'completedAt'> & { at: number; completedAt: number | null }>('list-erasures', [q.beforeId ?? Number.MAX_SAFE_INTEGER, q.limit ?? 100])).rows;
    return rows.map((r) => ({ ...r, at: new Date(r.at).toISOString(), completedAt: r.completedAt === null ? null : new Date(r.completedAt).toISOString() }));
  }

  async setPause(destination: string, pause: { reason: string | null; at: number } | null): Promise<void> {
    if (pause) await this.q('pause-destination', [destination, pause.reason, pause.at]);
    else await this.q('resume-destination', [destination]);
  }

  async pauses(): Promise<DestinationPause[]> {
    return (await this.q<DestinationPause>('list-paused-destinations', [])).rows;
  }

  async summary(destination: string, fromMs: number, toMs: number): Promise<DeliverySummary> {
    const window = [destination, fromMs, toMs];
    // One snapshot: the counts, the reasons and the latencies see the same rows.
    return this.tx(async (c) => {
      const counts = (await c.query<Omit<DeliverySummary, 'aborted' | 'latencyMs'> & { aborted: number }>(this.sql['summarize-deliveries'], window)).rows[0]!;
      const byReason: Record<string, number> = {};
      for (const r of (await c.query<{ reason: string; n: number }>(this.sql['summarize-aborted'], window)).rows) byReason[r.reason] = r.n;
      const ranks = percentileRanks(counts.deliveredFirstTry + counts.deliveredAfterRetry);
      let latencyMs: DeliverySummary['latencyMs'] = null;
      if (ranks) {
        const wanted = [...new Set(Object.values(ranks))];
        const values = (await c.query<{ ms: number }>(this.sql['delivery-latencies'], [...window, wanted])).rows.map((r) => Number(r.ms));
        latencyMs = percentilesAt(ranks, new Map(wanted.sort((a, b) => a - b).map((rank, i) => [rank, values[i] ?? 0])));
      }
      return { ...counts, aborted: { total: counts.aborted, byReason }, latencyMs };
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  async createReplay(r: NewReplay, now: number): Promise<number> {
    return this.tx(async (c) => {
      const range = (await c.query<{ total: number; firstSeq: number | null; lastSeq: number | null }>(this.sql['replay-range'], matchParams(r.match))).rows[0]!;
      // Nothing matches: the walk is over before it starts.
      const cursor = range.firstSeq === null ? 0 : range.firstSeq - 1;
      return (await c.query<{ id: number }>(this.sql['create-replay'], [r.destination, JSON.stringify(r.filter), JSON.stringify(r.match), range.total, cursor, range.lastSeq ?? 0, now])).rows[0]!.id;
    });
  }

  /**
   * The replay's row stays locked until the step commits (get-replay.sql): route processes that
   * all resumed the replay at their start take turns, each continuing from the cursor the last
   * one left, so no original is copied twice.
   */
  async replayStep(id: number, maxScan: number, now: number): Promise<{ created: number; more: boolean }> {
    const today = dayOf(now);
    await this.ensureDay(today);
    return this.tx(async (c) => {
      const r = (await c.query<{ destination: string; match: string; state: string; cursor: number; lastSeq: number }>(this.sql['get-replay'], [id])).rows[0];
      if (!r || r.state !== 'running') return { created: 0, more: false };
      const upTo = Math.min(r.lastSeq, r.cursor + maxScan);
      const originals = (await c.query<{ seq: number; userKey: string }>(this.sql['replay-originals'], [...matchParams(JSON.parse(r.match) as ReplayMatch), r.cursor, upTo])).rows;
      if (originals.length > 0) {
        // New seqs in the originals' order: each user's copies queue in the order of the originals.
        const seqs = (await c.query<{ seq: number }>(this.sql['next-seqs'], [originals.length])).rows.map((x) => x.seq);
        await c.query(this.sql['copy-event'], [seqs, originals.map((o) => o.seq), today, id]);
        await c.query(this.sql['create-replay-delivery'], [seqs, originals.map((o) => o.userKey), originals.map((o) => routerPartition(o.userKey)), today, r.destination, now, id]);
      }
      await c.query(this.sql['advance-replay'], [id, upTo, originals.length, now]);
      return { created: originals.length, more: upTo < r.lastSeq };
    });
  }

  async cancelReplay(id: number, now: number): Promise<boolean> {
    return this.tx(async (c) => {
      if (((await c.query(this.sql['cancel-replay'], [id, now])).rowCount ?? 0) === 0) return false;
      await c.query(this.sql['abort-replay-deliveries'], [id, `replay ${id} cancelled by an operator`, now]);
      return true;
    });
  }

  async replays(q: { id?: number; limit?: number }): Promise<ReplayRecord[]> {
    return (await this.q<ReplayRow>('list-replays', [q.id ?? null, q.limit ?? 100])).rows.map(replayRecord);
  }

  async runningReplays(): Promise<number[]> {
    return (await this.q<{ id: number }>('running-replays', [])).rows.map((r) => r.id);
  }

  /** One event name at a time, in key order: two processes counting the same names never deadlock. */
  async recordViolations(counts: ViolationCount[]): Promise<void> {
    if (counts.length === 0) return;
    const sorted = [...counts].sort((a, b) => (a.source === b.source ? (a.event < b.event ? -1 : a.event > b.event ? 1 : 0) : a.source < b.source ? -1 : 1));
    await this.tx(async (c) => {
      for (const v of sorted) await c.query(this.sql['record-violation'], [v.source, v.event, v.count, v.rejected, v.lastAt, pgText(v.lastMessage)]);
    });
  }

  async violations(q: { source?: string; event?: string }): Promise<ViolationCount[]> {
    return (await this.q<ViolationCount>('list-violations', [q.source ?? null, q.event ?? null])).rows;
  }

  async close(): Promise<void> {
    try {
      await this.partitions?.stop();
    } finally {
      await this.pool.end();
    }
  }
}

/** The statement parameters of a replay's match ($1..$5 of replay-range.sql; null for any). */
function matchParams(m: ReplayMatch): unknown[] {
  return [m.fromMs, m.toMs, m.sources, m.types, m.events];
}

/** host:port/database of a connection URL, read by pg's own parser; a URL it cannot read is a config error. */
/**
 * The URL with `-c synchronous_commit=on` added to its session options (the URL's own, else
 * PGOPTIONS), whatever the cluster's default (G4: a 2xx only after the WAL is flushed), unless
 * those options set synchronous_commit themselves: pg takes a URL's `options` whole, so Ferry's
 * setting has to travel inside it rather than beside it.
 */
function withSynchronousCommit(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url; // databaseAt and pg report a URL they cannot read
  }
  const given = u.searchParams.get('options') ?? process.env.PGOPTIONS ?? '';
  if (/synchronous_commit/.test(given)) return url;
  u.searchParams.set('options', `${given} -c synchronous_commit=on`.trim());
  return u.toString();
}

function databaseAt(url: string): string {
  try {
    const c = new pg.Client({ connectionString: url });
    return `${c.host}:${c.port}/${c.database ?? ''}`;
  } catch {
    throw new ConfigError(`invalid config: store.url is not a valid PostgreSQL URL: ${url.replace(/^([a-z]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@')}`);
  }
}

/**
 * pg's clients with a connect timeout: the pool's own option would also fail a query that waits
 * for a free connection of a busy pool, which must wait instead.
 */
function clientTimingOut(connectTimeoutMs: number): typeof pg.Client {
  return class extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super({ ...(typeof config === 'string' ? { connectionString: config } : config), connectionTimeoutMillis: connectTimeoutMs });
    }
  };
}

function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

function pairKey(a: string, b: string): string {
  return `${a}\u0000${b}`;
}

/** Numbered, add-only: each migration once, in order, under an advisory lock. */
async function migrate(pool: pg.Pool): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
    const applied = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const m of migrations('postgres')) {
      if (applied.has(m.version)) continue;
      await c.query('BEGIN');
      try {
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK');
        throw err;
      }
    }
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    c.release();
  }
}
