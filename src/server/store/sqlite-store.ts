import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { migrations, statements } from './sql-files.js';
import { percentiles } from './percentiles.js';
import { withoutErasedEchoes } from './erased-echoes.js';
import { replayRecord, type ReplayRow } from './replay-records.js';
import type {
  ClaimedDelivery, DeliveryCounts, DeliveryLogRow, DeliveryQuery, DeliveryRow, EventQuery, EventRow, NewEvent, Outcome, Store,
} from './types.js';
import type { ErasureDone, ErasureRecord, ErasureRequest, PendingErasure } from './types.js';
import type { DeliverySummary, DestinationPause, NewReplay, ReplayMatch, ReplayRecord, ViolationCount } from './types.js';

const NAMES = [
  'claim-message-id', 'append-event', 'create-delivery', 'claim-sources', 'claim-lanes', 'claim-deliveries', 'lease-delivery', 'mark-succeeded',
  'mark-failed', 'mark-aborted', 'log-attempt', 'prune-dedupe', 'succeeded-to-prune', 'prune-attempts', 'prune-deliveries',
  'prune-orphan-events', 'release-delivery', 'release-all-leases', 'retry-deliveries-by-id', 'retry-deliveries', 'abort-deliveries',
  'count-live', 'count-done', 'count-blocked', 'suppress-user', 'unsuppress-user', 'renew-lease', 'present-deliveries',
  'index-users', 'set-user-index-mark', 'user-index-lag', 'refresh-lanes', 'close-lanes',
] as const;
type Name = (typeof NAMES)[number];

/** The identity graph and erasure (G11): recorded at ingestion, walked and deleted on request. */
const ERASURE_NAMES = [
  'link-identity', 'erase-identity-graph', 'erase-message-ids', 'erase-attempts', 'scrub-attempt-responses', 'erase-deliveries', 'erase-events',
  'erase-identity-links', 'audit-erasure', 'audit-erasure-pending', 'complete-erasure', 'forget-erasure-pending',
  'list-erasures', 'list-pending-erasures',
] as const;
type ErasureName = (typeof ERASURE_NAMES)[number];

/** Operations (issue 17): pauses, summaries, replays, tracking-plan violations. */
const OPS_NAMES = [
  'pause-destination', 'resume-destination', 'list-paused-destinations', 'summarize-deliveries', 'summarize-aborted',
  'delivery-latencies', 'oldest-live-delivery', 'replay-range', 'create-replay', 'replay-originals', 'copy-event',
  'create-replay-delivery', 'get-replay', 'advance-replay', 'cancel-replay', 'abort-replay-deliveries', 'list-replays', 'running-replays',
  'record-violation', 'list-violations',
] as const;
type OpsName = (typeof OPS_NAMES)[number];

const RESPONSE_EXCERPT = 1000;

/**
 * Claims whose ids the store keeps for their renewals (migration 010). A router settles each claim
 * once, which forgets it; past this many unsettled claims the oldest is forgotten, and a renewal
 * of it then extends nothing, so its holder sends nothing more (as when its lease is taken over).
 */
const KEPT_CLAIMS = 4096;

/**
 * Events per step of the deferred user index (migration 009). A step writes each user's leaf page
 * once, so the larger it is the fewer pages per event; it holds the writer for its duration
 * (a few ms per thousand events), so not too large.
 */
const USER_INDEX_CHUNK = 8192;

/**
 * The embedded store: one SQLite file in WAL mode with synchronous=FULL, so that a commit
 * has reached the disk before the HTTP answer goes out (G4). better-sqlite3 is synchronous:
 * a transaction runs to completion without interleaving, which is what makes group commit
 * in the ingester simple.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  /** Inline, a failure is an exception in the caller's own thread: this never settles. */
  readonly failed = new Promise<Error>(() => {});
  private readonly db: Database.Database;
  private readonly stmt: Record<Name, Database.Statement>;
  private readonly erasure: Record<ErasureName, Database.Statement>;
  private readonly ops: Record<OpsName, Database.Statement>;
  private checkpointer: Worker | undefined;
  /** Statements built from code (admin queries), compiled once each. */
  private readonly compiled = new Map<string, Database.Statement>();
  /** Events ingested since the user index was last brought up (replays' copies are not counted: the next step takes them too). */
  private unindexed = 0;
  private userIndexScheduled = false;
  /** The ids (a JSON array) of each unsettled claim, by token: what a renewal extends. */
  private readonly claimed = new Map<string, string>();

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'ferry.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${process.env.FERRY_SQLITE_SYNCHRONOUS === 'NORMAL' ? 'NORMAL' : 'FULL'}`); // NORMAL only for G4's proof to show it can fail (test/server/durability-fsync.test.ts); never in production
    // Every delete and update overwrites what it frees with zeros: an erasure (G11) must leave no
    // trace, and earlier changes (a delivery settling moves its index entries) free pages too.
    this.db.pragma('secure_delete = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('cache_size = -65536');
    this.db.pragma('temp_store = MEMORY');
    // Checkpoints copy WAL pages back into the main file; done by this connection they stall
    // every request waiting for its commit. A worker thread does them beside the writer.
    const worker = checkpointerPath();
    if (worker) {
      this.db.pragma('wal_autocheckpoint = 0');
      this.checkpointer = new Worker(worker, { workerData: { file: join(dataDir, 'ferry.sqlite'), everyMs: 250 } });
      this.checkpointer.unref();
    }
    this.migrate();
    const sql = statements('sqlite', NAMES);
    this.stmt = Object.fromEntries(NAMES.map((n) => [n, this.db.prepare(sql[n])])) as Record<Name, Database.Statement>;
    const erasureSql = statements('sqlite', ERASURE_NAMES);
    this.erasure = Object.fromEntries(ERASURE_NAMES.map((n) => [n, this.db.prepare(erasureSql[n])])) as Record<ErasureName, Database.Statement>;
    const opsSql = statements('sqlite', OPS_NAMES);
    this.ops = Object.fromEntries(OPS_NAMES.map((n) => [n, this.db.prepare(opsSql[n])])) as Record<OpsName, Database.Statement>;
  }

  private sql(text: string): Database.Statement {
    let stmt = this.compiled.get(text);
    if (!stmt) this.compiled.set(text, (stmt = this.db.prepare(text)));
    return stmt;
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const applied = new Set(this.db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
    for (const m of migrations('sqlite')) {
      if (applied.has(m.version)) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      })();
    }
  }

  async ingest(events: NewEvent[], dedupeCutoff: number): Promise<Array<number | null>> {
    const now = Date.now();
    const run = this.db.transaction((list: NewEvent[]) => {
      // Most events of an identified visitor repeat the same link: write each pair once per commit.
      const linked = new Set<string>();
      return list.map((e) => {
        if (this.stmt['claim-message-id'].run(e.source, e.messageId, now, dedupeCutoff).changes === 0) return null;
        const seq = Number(this.stmt['append-event'].run(e.source, e.messageId, e.type, e.userKey, e.receivedAt, e.body).lastInsertRowid);
        for (const destination of e.destinations) this.stmt['create-delivery'].run(seq, destination, e.userKey, e.receivedAt, e.receivedAt);
        for (const l of e.links) {
          const pair = `${l.userId}\u0000${l.otherId}`;
          if (linked.has(pair)) continue;
          linked.add(pair);
          this.erasure['link-identity'].run(l.userId, l.otherId, l.kind, e.receivedAt);
        }
        return seq;
      });
    });
    const seqs = run(events);
    for (const seq of seqs) if (seq !== null) this.unindexed++;
    if (this.unindexed >= USER_INDEX_CHUNK) this.scheduleUserIndex();
    return seqs;
  }

  /**
   * Brings events_by_user (migration 009) up by one chunk after the answers already due went out:
   * the step runs after the current call settles (a worker's reply is posted from a microtask).
   * A failed step (a busy or full disk) is left to the next one, or to the reader that needs it.
   */
  private scheduleUserIndex(): void {
    if (this.userIndexScheduled) return;
    this.userIndexScheduled = true;
    setImmediate(() => {
      this.userIndexScheduled = false;
      if (!this.db.open) return;
      try {
        this.unindexed = this.db.transaction(() => this.indexUsers(USER_INDEX_CHUNK))();
      } catch {
        return;
      }
      if (this.unindexed >= USER_INDEX_CHUNK) this.scheduleUserIndex();
    });
  }

  /** Adds up to `limit` events after the mark to events_by_user; returns how many are still behind. Call inside a transaction. */
  private indexUsers(limit: number): number {
    const { mark, last } = this.stmt['user-index-lag'].get() as { mark: number; last: number };
    const upTo = Math.min(last, mark + limit);
    if (upTo > mark) {
      this.stmt['index-users'].run({ upTo });
      this.stmt['set-user-index-mark'].run({ upTo });
    }
    return last - upTo;
  }

  async pruneDedupe(cutoff: number, limit: number): Promise<number> {
    return this.stmt['prune-dedupe'].run({ cutoff, limit }).changes;
  }

  /**
   * Shares the claim between the sources that have lanes here: each first gets up to an equal
   * share of `limit`, then what some left unused goes to those that had more, so one source's
   * flood cannot hold back another's trickle. Within a source it walks the due lanes (users whose
   * oldest live delivery came from it and can go now), earliest due first, and takes each user's
   * deliveries in order until one is not due or is leased. Its cost follows `limit` and the number
   * of sources, not how many deliveries wait.
   */
  async claim(destination: string, now: number, limit: number, leaseMs: number, token: string): Promise<ClaimedDelivery[]> {
    return this.db.transaction(() => {
      const rows: ClaimedDelivery[] = [];
      const fromLane = new Map<string, number>();
      const sources = this.stmt['claim-sources'].pluck().all({ destination }) as string[];
      const share = Math.ceil(limit / Math.max(1, sources.length));
      const hadMore = sources.filter((source) => this.claimFrom(destination, source, now, share, limit, rows, fromLane));
      for (const source of hadMore) {
        if (rows.length >= limit) break;
        this.claimFrom(destination, source, now, limit - rows.length, limit, rows, fromLane);
      }
      rows.sort((a, b) => a.eventSeq - b.eventSeq);
      if (rows.length > 0) {
        const ids = JSON.stringify(rows.map((r) => r.id));
        this.stmt['lease-delivery'].run({ ids, leaseUntil: now + leaseMs, token });
        this.refreshLanes(ids);
        this.claimed.set(token, ids);
        if (this.claimed.size > KEPT_CLAIMS) this.claimed.delete(this.claimed.keys().next().value!);
      }
      return rows;
    })();
  }

  /**
   * Adds to `rows` up to `want` due deliveries of one source's lanes, skipping what an earlier
   * pass took from a lane (`fromLane` counts them). True when the source filled `want`: it may
   * have more.
   */
  private claimFrom(destination: string, source: string, now: number, want: number, limit: number, rows: ClaimedDelivery[], fromLane: Map<string, number>): boolean {
    let got = 0;
    const lanes = this.stmt['claim-lanes'].pluck().all({ destination, source, now, limit }) as string[];
    for (const userKey of lanes) {
      const skip = fromLane.get(userKey) ?? 0;
      const lane = this.stmt['claim-deliveries'].all({ destination, userKey, limit: skip + want - got }) as Array<ClaimedDelivery & { nextAt: number; leaseUntil: number }>;
      let taken = 0;
      for (const { nextAt, leaseUntil, ...delivery } of lane.slice(skip)) {
        if (nextAt > now || leaseUntil > now) break;
        rows.push(delivery);
        taken++;
      }
      if (taken > 0) fromLane.set(userKey, skip + taken);
      got += taken;
      if (got >= want) return true;
    }
    return false;
  }

  async renew(token: string, now: number, leaseMs: number): Promise<number[]> {
    const ids = this.claimed.get(token);
    if (ids === undefined) return [];
    return this.db.transaction(() => this.refreshed(this.stmt['renew-lease'].pluck().all({ ids, token, leaseUntil: now + leaseMs }) as number[]))();
  }

  async releaseLeases(): Promise<number> {
    return this.db.transaction(() => this.refreshed(this.stmt['release-all-leases'].pluck().all() as number[]).length)();
  }

  /**
   * Brings the lanes of the deliveries `ids` (a JSON array) up to date after a statement changed
   * their state, next_at or lease_until: the store's part of migration 010, where no trigger does
   * it. Once per statement, whatever the number of rows. Call inside the statement's transaction.
   */
  private refreshLanes(ids: string): void {
    this.stmt['refresh-lanes'].run({ ids });
    this.stmt['close-lanes'].run({ ids });
  }

  /** refreshLanes for the ids a statement returned; returns them. */
  private refreshed(ids: number[]): number[] {
    if (ids.length > 0) this.refreshLanes(JSON.stringify(ids));
    return ids;
  }

  async settle(_destination: string, token: string, outcomes: Outcome[], now: number): Promise<number> {
    this.claimed.delete(token);
    return this.db.transaction(() => {
      let fenced = 0;
      const ids = outcomes.map((o) => o.id);
      const present = new Set(this.stmt['present-deliveries'].pluck().all({ ids: JSON.stringify(ids) }) as number[]);
      const gone = new Set(ids.filter((id) => !present.has(id)));
      for (const o of withoutErasedEchoes(outcomes, gone)) {
        if (o.state === 'released') {
          fenced += 1 - this.stmt['release-delivery'].run({ id: o.id, token }).changes;
          continue;
        }
        const a = o.attempt;
        const base = { id: o.id, token, now, at: a?.at ?? now, status: a?.status ?? null, error: a?.error ?? null };
        const changed = o.state === 'succeeded'
          ? this.stmt['mark-succeeded'].run(base.status, base.at, now, o.id, token).changes
          : o.state === 'failed'
            ? this.stmt['mark-failed'].run({ ...base, nextAt: o.nextAt }).changes
            : this.stmt['mark-aborted'].run({ ...base, reason: o.reason, attempted: a ? 1 : 0 }).changes;
        // Fenced out: a newer claim holds the row (what it records stands), or the delivery was erased
        // while in flight (G11: gone, its attempt too). Either way this attempt is not logged.
        if (changed === 0) {
          fenced++;
          continue;
        }
        if (a) {
          const response = a.response === null ? null : a.response.slice(0, RESPONSE_EXCERPT);
          this.stmt['log-attempt'].run(o.id, a.number, a.at, a.status, a.error, response, Math.round(a.durationMs), o.state);
        }
      }
      if (ids.length > 0) this.refreshLanes(JSON.stringify(ids));
      return fenced;
    })();
  }

  async retryNow(filter: { destination?: string; ids?: number[]; includeAborted?: boolean }, now: number): Promise<number> {
    if (filter.ids?.length === 0) return 0;
    const params = { now, destination: filter.destination ?? null, includeAborted: filter.includeAborted ? 1 : 0 };
    return this.db.transaction(() => {
      if (!filter.ids) return this.refreshed(this.stmt['retry-deliveries'].pluck().all(params) as number[]).length;
      const ids = JSON.stringify(filter.ids);
      const changed = this.stmt['retry-deliveries-by-id'].run({ ...params, ids }).changes;
      if (changed > 0) this.refreshLanes(ids);
      return changed;
    })();
  }

  async abort(ids: number[], reason: string, now: number): Promise<number> {
    return this.db.transaction(() => {
      const list = JSON.stringify(ids);
      const changed = this.stmt['abort-deliveries'].run({ ids: list, reason, now }).changes;
      if (changed > 0) this.refreshLanes(list);
      return changed;
    })();
  }

  async pruneSucceeded(cutoff: number, limit: number): Promise<number> {
    return this.db.transaction(() => {
      const ids = JSON.stringify(this.stmt['succeeded-to-prune'].pluck().all({ cutoff, limit }));
      this.stmt['prune-attempts'].run({ ids });
      const n = this.stmt['prune-deliveries'].run({ ids }).changes;
      return n + this.stmt['prune-orphan-events'].run({ cutoff, limit }).changes;
    })();
  }

  async counts(destination: string, now: number): Promise<DeliveryCounts> {
    const live = this.stmt['count-live'].get({ destination, now }) as { failed: number | null; due: number | null };
    const done = this.stmt['count-done'].get({ destination }) as { succeeded: number | null; aborted: number | null };
    const blocked = this.stmt['count-blocked'].pluck().get({ destination, now }) as number;
    const oldest = this.ops['oldest-live-delivery'].pluck().get({ destination }) as number | undefined;
    return {
      oldestLiveAt: oldest ?? null,
      pending: (live.due ?? 0) - blocked,
      blocked,
      failed: live.failed ?? 0,
      succeeded: done.succeeded ?? 0,
      aborted: done.aborted ?? 0,
    };
  }

  async eventCount(source?: string): Promise<number> {
    return (source
      ? this.sql('SELECT COUNT(*) FROM events WHERE source = ?').pluck().get(source)
      : this.sql('SELECT COUNT(*) FROM events').pluck().get()) as number;
  }

  async events(q: EventQuery): Promise<EventRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (cond: string, v: unknown) => {
      where.push(cond);
      params.push(v);
    };
    if (q.source) add('source = ?', q.source);
    if (q.userKey) {
      // events_by_user is deferred (migration 009): brought up to the last event first.
      this.unindexed = this.db.transaction(() => this.indexUsers(Infinity))();
      add('seq IN (SELECT seq FROM events_by_user WHERE user_key = ?)', q.userKey);
    }
    if (q.messageId) add('message_id = ?', q.messageId);
    if (q.type) add('type = ?', q.type);
    if (q.sinceMs !== undefined) add('received_at >= ?', q.sinceMs);
    if (q.untilMs !== undefined) add('received_at < ?', q.untilMs);
    if (q.afterSeq !== undefined) add('seq > ?', q.afterSeq);
    const sql = `SELECT seq, source, message_id AS messageId, type, user_key AS userKey, received_at AS receivedAt, replay_id AS replayId, body FROM events
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${q.newestFirst ? 'DESC' : 'ASC'} LIMIT ?`;
    const rows = this.sql(sql).all(...params, q.limit ?? 1000) as Array<Omit<EventRow, 'event'> & { body: string }>;
    return rows.map(({ body, ...r }) => ({ ...r, event: JSON.parse(body) as Record<string, unknown> }));
  }

  async deliveries(q: DeliveryQuery): Promise<DeliveryRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.destination) (where.push('d.destination = ?'), params.push(q.destination));
    if (q.state) (where.push('d.state = ?'), params.push(q.state));
    if (q.userKey) (where.push('d.user_key = ?'), params.push(q.userKey));
    if (q.messageId) (where.push('e.message_id = ?'), params.push(q.messageId));
    const sql = `SELECT d.id, d.event_seq AS eventSeq, e.message_id AS messageId, d.destination, d.user_key AS userKey, d.state,
        d.attempts, d.next_at AS nextAt, d.last_status AS lastStatus, d.last_error AS lastError, d.reason, d.updated_at AS updatedAt,
        d.replay_id AS replayId
      FROM deliveries d JOIN events e ON e.seq = d.event_seq
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.event_seq, d.destination LIMIT ?`;
    return this.sql(sql).all(...params, q.limit ?? 1000) as DeliveryRow[];
  }

  async deliveryLog(messageId: string): Promise<DeliveryLogRow[]> {
    return this.sql(
        `SELECT l.delivery_id AS deliveryId, d.destination, l.attempt, l.at, l.status, l.error, l.response, l.duration_ms AS durationMs, l.outcome
         FROM delivery_log l JOIN deliveries d ON d.id = l.delivery_id JOIN events e ON e.seq = d.event_seq
         WHERE e.message_id = ? ORDER BY l.id`,
      )
      .all(messageId) as DeliveryLogRow[];
  }

  async suppress(userKey: string, reason: string | null, now: number): Promise<void> {
    this.stmt['suppress-user'].run({ userKey, now, reason });
  }

  async unsuppress(userKey: string): Promise<boolean> {
    return this.stmt['unsuppress-user'].run({ userKey }).changes > 0;
  }

  async suppressed(): Promise<string[]> {
    return this.sql('SELECT user_key FROM suppressed_users').pluck().all() as string[];
  }

  async eraseUser(r: ErasureRequest): Promise<ErasureDone> {
    // One transaction; what it deletes is zeroed on disk (secure_delete, set in the constructor).
    return this.db.transaction(() => {
      // The erase statements find events through events_by_user (migration 009): up to the last event first.
      this.unindexed = this.indexUsers(Infinity);
      const e = this.erasure;
      const ids = e['erase-identity-graph'].pluck().all({ key: r.userKey }) as string[];
      const idList = JSON.stringify(ids);
      const messageIds = e['erase-message-ids'].pluck().all({ ids: idList }) as string[];
      e['scrub-attempt-responses'].run({ ids: idList });
      const counts = {
        identities: ids.length,
        attempts: e['erase-attempts'].run({ ids: idList }).changes,
        deliveries: e['erase-deliveries'].run({ ids: idList }).changes,
        events: e['erase-events'].run({ ids: idList }).changes,
        links: e['erase-identity-links'].run({ ids: idList }).changes,
      };
      const id = Number(e['audit-erasure'].run({ ...r, suppress: r.suppress ? 1 : 0, ...counts }).lastInsertRowid);
      e['audit-erasure-pending'].run({ erasureId: id, ids: idList, messageIds: JSON.stringify(messageIds) });
      return { id, ids, messageIds, counts };
    })();
  }

  async completeErasure(id: number, archiveLines: number, now: number): Promise<void> {
    this.db.transaction(() => {
      this.erasure['complete-erasure'].run({ id, archiveLines, now });
      this.erasure['forget-erasure-pending'].run({ id });
    })();
    // The erased rows' old page images are still in WAL frames: copy the zeroed pages back and
    // empty the WAL. The checkpointer thread's own PASSIVE round, or a reader on an old
    // snapshot, makes it busy for a moment: try again for up to a second (this thread may wait,
    // erasures are rare); past that the frames are left to the next erasure.
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let tries = 0; tries < 40; tries++) {
      const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
      if (!result?.busy) return;
      Atomics.wait(pause, 0, 0, 25);
    }
  }

  async pendingErasures(): Promise<PendingErasure[]> {
    const rows = this.erasure['list-pending-erasures'].all() as Array<{ id: number; ids: string; messageIds: string }>;
    return rows.map((p) => ({ id: p.id, ids: JSON.parse(p.ids) as string[], messageIds: JSON.parse(p.messageIds) as string[] }));
  }

  async erasures(q: { beforeId?: number; limit?: number }): Promise<ErasureRecord[]> {
    const rows = this.erasure['list-erasures'].all({ beforeId: q.beforeId ?? Number.MAX_SAFE_INTEGER, limit: q.limit ?? 100 }) as Array<
      Omit<ErasureRecord, 'at' | 'suppress' | 'completedAt'> & { at: number; suppress: number; completedAt: number | null }
    >;
    return rows.map((r) => ({ ...r, at: new Date(r.at).toISOString(), suppress: r.suppress === 1, completedAt: r.completedAt === null ? null : new Date(r.completedAt).toISOString() }));
  }

  async setPause(destination: string, pause: { reason: string | null; at: number } | null): Promise<void> {
    if (pause) this.ops['pause-destination'].run({ destination, ...pause });
    else this.ops['resume-destination'].run({ destination });
  }

  async pauses(): Promise<DestinationPause[]> {
    return this.ops['list-paused-destinations'].all() as DestinationPause[];
  }

  async summary(destination: string, fromMs: number, toMs: number): Promise<DeliverySummary> {
    const window = { destination, from: fromMs, to: toMs };
    // One read transaction: the counts, the reasons and the latencies see the same rows.
    return this.db.transaction(() => {
      const c = this.ops['summarize-deliveries'].get(window) as Omit<DeliverySummary, 'aborted' | 'latencyMs'> & { aborted: number };
      const byReason: Record<string, number> = {};
      for (const r of this.ops['summarize-aborted'].all(window) as Array<{ reason: string; n: number }>) byReason[r.reason] = r.n;
      return { ...c, aborted: { total: c.aborted, byReason }, latencyMs: percentiles(() => this.ops['delivery-latencies'].pluck().iterate(window) as Iterable<number>, c.deliveredFirstTry + c.deliveredAfterRetry) };
    })();
  }

  async createReplay(r: NewReplay, now: number): Promise<number> {
    return this.db.transaction(() => {
      const range = this.ops['replay-range'].get(matchParams(r.match)) as { total: number; firstSeq: number | null; lastSeq: number | null };
      return Number(this.ops['create-replay'].run({
        destination: r.destination, filter: JSON.stringify(r.filter), match: JSON.stringify(r.match), total: range.total,
        // Nothing matches: the walk is over before it starts.
        cursorSeq: range.firstSeq === null ? 0 : range.firstSeq - 1, lastSeq: range.lastSeq ?? 0, now,
      }).lastInsertRowid);
    })();
  }

  async replayStep(id: number, maxScan: number, now: number): Promise<{ created: number; more: boolean }> {
    return this.db.transaction(() => {
      const r = this.ops['get-replay'].get({ id }) as
        | { destination: string; match: string; state: string; cursor: number; lastSeq: number } | undefined;
      if (!r || r.state !== 'running') return { created: 0, more: false };
      const upTo = Math.min(r.lastSeq, r.cursor + maxScan);
      const originals = this.ops['replay-originals'].all({ ...matchParams(JSON.parse(r.match) as ReplayMatch), cursor: r.cursor, upTo }) as Array<{ seq: number; userKey: string }>;
      for (const o of originals) {
        const seq = Number(this.ops['copy-event'].run({ seq: o.seq, replayId: id }).lastInsertRowid);
        this.ops['create-replay-delivery'].run({ seq, destination: r.destination, userKey: o.userKey, now, replayId: id });
      }
      this.ops['advance-replay'].run({ id, cursor: upTo, created: originals.length, now });
      return { created: originals.length, more: upTo < r.lastSeq };
    })();
  }

  async cancelReplay(id: number, now: number): Promise<boolean> {
    return this.db.transaction(() => {
      if (this.ops['cancel-replay'].run({ id, now }).changes === 0) return false;
      this.refreshed(this.ops['abort-replay-deliveries'].pluck().all({ id, now, reason: `replay ${id} cancelled by an operator` }) as number[]);
      return true;
    })();
  }

  async replays(q: { id?: number; limit?: number }): Promise<ReplayRecord[]> {
    return (this.ops['list-replays'].all({ id: q.id ?? null, limit: q.limit ?? 100 }) as ReplayRow[]).map(replayRecord);
  }

  async runningReplays(): Promise<number[]> {
    return this.ops['running-replays'].pluck().all() as number[];
  }

  async recordViolations(counts: ViolationCount[]): Promise<void> {
    this.db.transaction(() => {
      for (const c of counts) this.ops['record-violation'].run({ source: c.source, event: c.event, count: c.count, rejected: c.rejected, at: c.lastAt, message: c.lastMessage });
    })();
  }

  async violations(q: { source?: string; event?: string }): Promise<ViolationCount[]> {
    return this.ops['list-violations'].all({ source: q.source ?? null, event: q.event ?? null }) as ViolationCount[];
  }

  async close(): Promise<void> {
    const worker = this.checkpointer;
    if (worker) {
      worker.ref();
      await new Promise<void>((resolve) => {
        worker.once('message', () => resolve());
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
      });
      await worker.terminate();
    }
    this.db.close();
  }
}

/** The statement parameters of a replay's match (JSON arrays, null for any). */
function matchParams(m: ReplayMatch) {
  return { from: m.fromMs, to: m.toMs, sources: JSON.stringify(m.sources), types: m.types && JSON.stringify(m.types), events: m.events && JSON.stringify(m.events) };
}

/** The built checkpointer beside this module (dist/server); absent when running from sources. */
function checkpointerPath(): URL | undefined {
  const url = new URL('./checkpointer.js', import.meta.url);
  return existsSync(url) ? url : undefined;
}
