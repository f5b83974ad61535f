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
