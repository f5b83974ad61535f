/**
 * The storage contract of the server. SQLite (embedded) and PostgreSQL implement it; nothing
 * above this interface sees SQL. Every method that changes rows is one transaction.
 */

export interface NewEvent {
  source: string;
  messageId: string;
  type: string;
  /** userId, else anonymousId: the unit of ordering. */
  userKey: string;
  receivedAt: number;
  /** The enriched event, as JSON text. */
  body: string;
  /** Destinations this event must reach; a delivery row is created for each, in the same transaction. */
  destinations: string[];
  /** Identity links the event makes (see IdentityLink), recorded in the same transaction. */
  links: IdentityLink[];
}

/** A userId's other id: the anonymousId it was seen with, or the previousId an alias merged into it. */
export interface IdentityLink {
  userId: string;
  otherId: string;
  kind: 'anonymousId' | 'previousId';
}

export type DeliveryState = 'pending' | 'failed' | 'succeeded' | 'aborted';

export interface ClaimedDelivery {
  id: number;
  eventSeq: number;
  destination: string;
  userKey: string;
  attempts: number;
  /** First attempt time, for the retry window. */
  firstAttemptAt: number | null;
  body: string;
}

export interface AttemptRecord {
  /** 1 for the first attempt of the delivery. */
  number: number;
  at: number;
  status: number | null;
  error: string | null;
  response: string | null;
  durationMs: number;
}

export type Outcome =
  | { id: number; state: 'succeeded'; attempt: AttemptRecord }
  | { id: number; state: 'failed'; nextAt: number; attempt: AttemptRecord }
  | { id: number; state: 'aborted'; reason: string; attempt: AttemptRecord | null }
  /** Claimed but not attempted: the lease is dropped and the delivery waits as it was. */
  | { id: number; state: 'released' };

export interface EventRow {
  seq: number;
  source: string;
  messageId: string;
  type: string;
  userKey: string;
  receivedAt: number;
  event: Record<string, unknown>;
  /** Set on a replay's copy of an event (see createReplay). */
  replayId: number | null;
}

export interface DeliveryRow {
  id: number;
  eventSeq: number;
  messageId: string;
  destination: string;
  userKey: string;
  state: DeliveryState;
  attempts: number;
  nextAt: number;
  lastStatus: number | null;
  lastError: string | null;
  reason: string | null;
  updatedAt: number;
  /** Set on a delivery a replay created. */
  replayId: number | null;
}

export interface DeliveryLogRow {
  deliveryId: number;
  destination: string;
  attempt: number;
  at: number;
  status: number | null;
  error: string | null;
  response: string | null;
  durationMs: number;
  outcome: string;
}

export interface DeliveryCounts {
  pending: number;
  blocked: number;
  failed: number;
  succeeded: number;
  aborted: number;
  /** When the oldest live delivery was created (its event's receipt, or its replay's start); null when none. */
  oldestLiveAt: number | null;
}

export interface EventQuery {
  source?: string;
  userKey?: string;
  messageId?: string;
  type?: string;
  sinceMs?: number;
  untilMs?: number;
  afterSeq?: number;
  limit?: number;
  /** Newest first instead of oldest first. */
  newestFirst?: boolean;
}

export interface DeliveryQuery {
  destination?: string;
  state?: DeliveryState;
  userKey?: string;
  messageId?: string;
  limit?: number;
}

/**
 * One destination's deliveries of the events received in a window, by outcome. Every delivery
 * counts in exactly one of deliveredFirstTry, deliveredAfterRetry, aborted.total, pending and
 * blocked, so they add up to received.
 */
export interface DeliverySummary {
  received: number;
  deliveredFirstTry: number;
  deliveredAfterRetry: number;
  aborted: { total: number; byReason: Record<string, number> };
  /** Live and free to go (due, or failed and waiting for its own retry). */
  pending: number;
  /** Live behind an earlier delivery of the same user that failed and waits for its retry (G6). */
  blocked: number;
  /** Of pending: failed at least once and waiting for the retry. */
  retrying: number;
  /** Of received: created by a replay. */
  replayed: number;
  /** Receipt (a replay's start for its deliveries) to the settle that recorded the success. */
  latencyMs: { p50: number; p90: number; p99: number; max: number } | null;
}

export interface DestinationPause {
  destination: string;
  reason: string | null;
  at: number;
}

/** Which stored events a replay copies: received in [fromMs, toMs), of these sources, types, names. */
export interface ReplayMatch {
  fromMs: number;
  toMs: number;
  sources: string[];
  /** null: any type. */
  types: string[] | null;
  /** Track event names; null: any event. */
  events: string[] | null;
}

export interface NewReplay {
  destination: string;
  /** What the operator asked, kept as given. */
  filter: Record<string, unknown>;
  match: ReplayMatch;
}

export interface ReplayRecord {
  id: number;
  destination: string;
  filter: Record<string, unknown>;
  /** running: copies being made or deliveries live; done: all settled; cancelled. */
  state: 'running' | 'done' | 'cancelled';
  /** Originals matching when the replay started. */
  total: number;
  /** Copies made (deliveries created). */
  created: number;
  delivered: number;
  aborted: number;
  createdAt: string;
}

/** Tracking-plan violations of one event name of a source (count includes rejected). */
export interface ViolationCount {
  source: string;
  event: string;
  count: number;
  rejected: number;
  lastAt: number;
  lastMessage: string;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Settles, with the reason, only if the store stopped working for good (its writer thread
   * died): from then on every call rejects with a 503 error. The server must stop.
   */
  readonly failed: Promise<Error>;
  /**
   * Appends events, dropping those whose (source, messageId) was seen after `dedupeCutoff`,
   * and creates their deliveries: all in one committed transaction. Returns, per input, its
   * sequence number or null for a duplicate.
   */
  ingest(events: NewEvent[], dedupeCutoff: number): Promise<Array<number | null>>;
  /** Deletes dedupe entries older than the cutoff, at most `limit`; returns how many. */
  pruneDedupe(cutoff: number, limit: number): Promise<number>;

  /**
   * Leases due deliveries of one destination under the per-user barrier, at most `limit`, shared
   * between sources: every source whose users wait here (a user counts for the source of its
   * oldest live delivery) first gets up to ⌈limit / sources⌉, then what some left unused goes to
   * the others. Within a source, users whose oldest live delivery has been due longest first,
   * each user's in order. Returned in ingestion order, leased until `now + leaseMs` under `token`
   * (fresh for each claim): the claim's fencing token.
   */
  claim(destination: string, now: number, limit: number, leaseMs: number, token: string): Promise<ClaimedDelivery[]>;
  /**
   * Extends the lease of the deliveries that still carry `token` (live, not taken over by a newer
   * claim) to `now + leaseMs`; returns their ids. A claim sends nothing else.
   */
  renew(token: string, now: number, leaseMs: number): Promise<number[]>;
  /** Drops leases held by processes that are gone (the embedded store has one process). */
  releaseLeases(): Promise<number>;
  /**
   * Records outcomes and their attempts in one transaction, fenced: an outcome for a row that no
   * longer carries `token` changes nothing and logs nothing. Returns how many were fenced out.
   */
  settle(destination: string, token: string, outcomes: Outcome[], now: number): Promise<number>;
  /** Retry now: failed (or aborted, when asked) deliveries become due. Returns how many. */
  retryNow(filter: { destination?: string; ids?: number[]; includeAborted?: boolean }, now: number): Promise<number>;
  abort(ids: number[], reason: string, now: number): Promise<number>;
  /** Removes succeeded deliveries (and events with no live delivery) older than the cutoff. */
  pruneSucceeded(cutoff: number, limit: number): Promise<number>;

  counts(destination: string, now: number): Promise<DeliveryCounts>;
  eventCount(source?: string): Promise<number>;
  events(query: EventQuery): Promise<EventRow[]>;
  deliveries(query: DeliveryQuery): Promise<DeliveryRow[]>;
  deliveryLog(messageId: string): Promise<DeliveryLogRow[]>;
  /** Suppression: events naming a suppressed user (userId or anonymousId) are refused at ingestion. */
  suppress(userKey: string, reason: string | null, now: number): Promise<void>;
  unsuppress(userKey: string): Promise<boolean>;
  suppressed(): Promise<string[]>;
  /**
   * GDPR/CCPA erasure, one transaction: every event, delivery, attempt and identity link of the
   * user's identity graph, and the audit row. Returns what the file archives still need (the
   * erasure stays pending until completeErasure).
   */
  eraseUser(request: ErasureRequest): Promise<ErasureDone>;
  /** The archives are rewritten too: the audit row is completed and the pending ids are dropped. */
  completeErasure(id: number, archiveLines: number, now: number): Promise<void>;
  /** Erasures whose archives were not rewritten (a crash or a failed write), oldest first. */
  pendingErasures(): Promise<PendingErasure[]>;
  /** The audit log, newest first. */
  erasures(query: { beforeId?: number; limit?: number }): Promise<ErasureRecord[]>;

  /** A pause set by an operator (null: resumed); kept across restarts. */
  setPause(destination: string, pause: { reason: string | null; at: number } | null): Promise<void>;
  pauses(): Promise<DestinationPause[]>;
  /** Exact, from one read of the delivery rows. */
  summary(destination: string, fromMs: number, toMs: number): Promise<DeliverySummary>;
  /** Counts the matching originals and records the replay (state running); returns its id. */
  createReplay(replay: NewReplay, now: number): Promise<number>;
  /**
   * Copies the next matching originals, among at most `maxScan` seqs, in seq order, each with a
   * delivery to the replay's destination, in one transaction. `more`: false once the walk is over
   * (or the replay was cancelled).
   */
  replayStep(id: number, maxScan: number, now: number): Promise<{ created: number; more: boolean }>;
  /** Stops a replay and aborts its waiting deliveries; false when there is none to cancel. */
  cancelReplay(id: number, now: number): Promise<boolean>;
  replays(query: { id?: number; limit?: number }): Promise<ReplayRecord[]>;
  /** Ids of replays still making copies (resumed at start). */
  runningReplays(): Promise<number[]>;
  recordViolations(counts: ViolationCount[]): Promise<void>;
  /**
   * Several processes share one config, so one file destination's directory: `archiveLock` makes
   * their archive appends and erasure rewrites take turns (PostgreSQL: an advisory lock held for
   * the whole of `work`). Absent on the embedded store: one process, whose turns are in memory.
   */
  readonly archiveLock?: ArchiveLock;
  violations(query: { source?: string; event?: string }): Promise<ViolationCount[]>;
  close(): Promise<void>;
}

/** What an operator asked for, and who asked. */
export interface ErasureRequest {
  userKey: string;
  suppress: boolean;
  at: number;
  /** How the operator was admitted: a Bearer adminToken, or a loopback client without one. */
  by: 'token' | 'loopback';
  address: string | null;
}

export interface ErasureCounts {
  /** Ids in the identity graph (the asked one included). */
  identities: number;
  events: number;
  deliveries: number;
  attempts: number;
  links: number;
}

/** What the file archives still have to lose: the graph's ids and the erased messageIds. */
export interface PendingErasure {
  id: number;
  ids: string[];
  messageIds: string[];
}

export interface ErasureDone extends PendingErasure {
  counts: ErasureCounts;
}

/** One audit row: never the erased data, only who, when, what was asked and how much went. */
export interface ErasureRecord extends ErasureCounts {
  id: number;
  at: string;
  by: 'token' | 'loopback';
  address: string | null;
  userKey: string;
  suppress: boolean;
  /** Null while the archives are not rewritten yet. */
  archiveLines: number | null;
  completedAt: string | null;
}

/**
 * Runs `work` while this process holds the archive directory `path` against every other process
 * of the store. `live` answers which of the given delivery ids still exist, as of a moment inside
 * the turn: an erasure committed since their claim removed the others, and rewrote the archive
 * before this turn began or rewrites it after.
 */
export type ArchiveLock = <T>(path: string, work: (live: (deliveryIds: readonly number[]) => Promise<ReadonlySet<number>>) => Promise<T>) => Promise<T>;
