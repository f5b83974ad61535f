import { KEEPALIVE_MAX_BYTES } from '../protocol/limits.js';
import { retryDelayMs } from '../protocol/retry.js';
import { FerryError } from '../protocol/errors.js';

import { rejectedIndexes, verdict, type Verdict } from './answer-policy.js';
import type { SdkState } from './analytics.js';
import type { DebugLog } from './debug.js';
import type { Emitter } from './emitter.js';
import type { FlushLock } from './lock.js';
import type { ResolvedOptions } from './options.js';
import type { NewRecord, QueueRecord, QueueStore } from './queue-store.js';
import type { WriteQueue } from './queue.js';
import { openTabChannel, type TabNews } from './tab-channel.js';
import { beaconBatch, keepaliveWorks, postBatch, type SendResult } from './transport.js';
import { utf8Length } from './compress.js';

export interface FlushResult {
  ok: boolean;
  /** Events acknowledged by the server during this flush. */
  sent: number;
  /** Events still queued afterwards. */
  remaining: number;
  reason?: 'offline' | 'backoff' | 'failed' | 'unauthorized' | 'consent';
}

export interface BackoffState {
  attempt: number;
  nextAttemptAt: number;
  status: number;
}

const BACKOFF_KEY = 'backoff';
/** Part of the 64 KiB keepalive budget that normal sends may use; the rest is kept for page hide. */
const KEEPALIVE_SEND_BYTES = KEEPALIVE_MAX_BYTES / 2;

export interface FlusherDeps {
  store: QueueStore;
  options: ResolvedOptions;
  emitter: Emitter;
  lock: FlushLock;
  compress: (text: string) => Promise<Uint8Array>;
  queue: WriteQueue;
  /** Whether the latest consent decision of the origin allows sending now. */
  consented: () => boolean;
  log?: DebugLog | undefined;
  now?: () => number;
  random?: () => number;
}

type Sendable = NewRecord & { chunk?: number };

export function isOffline(): boolean {
  const nav = (globalThis as { navigator?: Navigator }).navigator;
  return nav?.onLine === false;
}

/** The JSON envelope, assembled from the stored event texts without re-serializing them. */
export function envelope(records: ReadonlyArray<{ json: string }>, writeKey: string, sentAt: string): string {
  return `{"batch":[${records.map((r) => r.json).join()}],"sentAt":${JSON.stringify(sentAt)},"writeKey":${JSON.stringify(writeKey)}}`;
}

const ENVELOPE_BYTES = 128;

/** The oldest records that fit the byte limit; always at least one so a big event cannot stall the queue. */
export function takeBatch<T extends { json: string }>(records: T[], maxBytes: number, atLeastOne = true): T[] {
  let bytes = ENVELOPE_BYTES;
  let n = 0;
  for (; n < records.length; n++) {
    bytes += utf8Length(records[n]!.json) + 1;
    if ((n > 0 || !atLeastOne) && bytes > maxBytes) break;
  }
  return records.slice(0, n);
}

const ids = (records: ReadonlyArray<{ id: string }>) => records.map((r) => r.id);
const messageIds = (records: ReadonlyArray<{ messageId: string }>) => records.map((r) => r.messageId);

/**
 * The send loop: reads the oldest events under the origin-wide lock, sends one batch at a
 * time and settles every answer (its own and page hide's) through the answer policy. Its state
 * lives in closures (the minifier shortens them, unlike property names); the class only keeps
 * the name its callers construct.
 */
export class Flusher {
  constructor(deps: FlusherDeps) {
    Object.assign(this, createFlusher(deps));
  }
}
export interface Flusher extends ReturnType<typeof createFlusher> {}

export function createFlusher({ store, options, emitter, lock, compress, queue, consented, log, now = Date.now, random = Math.random }: FlusherDeps) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = Infinity;
  let pending: Promise<FlushResult> | undefined;
  let again = false;
  /** The records of each request this tab has on the wire, until its answer is settled. */
  const sending = new Set<Sendable[]>();
  const sendingIds = () => new Set([...sending].flat().map((r) => r.id));
  /** The batch this tab's drain has on the wire: a page-hide request carries it first. */
  let onWire: QueueRecord[] = [];
  /** Page-hide requests not settled yet, each as the call that settles it once answered. */
  const exits = new Set<() => Promise<unknown>>();
  /** ids of a batch the collector refused by content and not settled yet: the culprit is among them. */
  let suspects = new Set<string>();
  /** Bytes of this tab's keepalive requests on the wire: they count against the page's 64 KiB. */
  let keepaliveBytes = 0;
  let backoff: BackoffState = { attempt: 0, nextAttemptAt: 0, status: 0 };
  let stopped = false;
  let channel: BroadcastChannel | undefined;

  /** The request's JSON text, sent now. */
  const bodyOf = (records: ReadonlyArray<{ json: string }>) => envelope(records, options.writeKey, new Date(now()).toISOString());

  /** Asks for a flush in `delayMs` unless one is already due sooner. */
  const schedule = (delayMs: number): void => {
    if (stopped) return;
    const at = now() + delayMs;
    if (timer !== undefined && timerAt <= at) return;
    clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(() => {
      timer = undefined;
      timerAt = Infinity;
      void flush(false);
    }, delayMs);
  };

  /**
   * Drains the queue, taking the lock for one batch at a time: a page-hide answer waiting for
   * it (this tab's or another's) is settled before any tab reads the queue again. Requests
   * made while a run is pending share it; those made after it began make it go round once
   * more, or, when it stopped (offline, a failure, the backoff), ask again once it has ended:
   * a retry timer or an `online` event that fired while it was finishing is not lost. `force`
   * ignores the backoff wait (an explicit flush() by the page), never the offline state.
   */
  const flush = (force: boolean): Promise<FlushResult> => {
    // A pending timer-driven drain may stop at the backoff wait, which an explicit flush overrides.
    if (pending) return (again = true), force ? pending.then((r) => (r.reason === 'backoff' ? flush(true) : r)) : pending;
    const run = (async () => {
      let sent = 0;
      for (;;) {
        again = false;
        const result = await lock.withLock(() => step(force));
        if (typeof result === 'number') sent += result;
        else if (!again || !result.ok) return { ...result, sent };
      }
    })()
      .catch(async (err: unknown): Promise<FlushResult> => {
        emitter.emit('error', new FerryError('storage_failed', `flush failed: ${String(err)}`, { cause: err }));
        schedule(options.retry.capMs);
        return { ok: false, sent: 0, remaining: await store.count().catch(() => -1), reason: 'failed' };
      })
      .finally(() => {
        // Only this run can be pending now: a request made while it was pending returned it.
        pending = undefined;
        if (again) schedule(0);
      });
    pending = run;
    return run;
  };

  const setBackoff = async (state: BackoffState): Promise<void> => {
    backoff = state;
    channel?.postMessage({ backoff: state } satisfies TabNews);
    await store.setMeta(BACKOFF_KEY, state);
    emitter.emit('backoff', state);
  };

  /** This tab settled (or evicted) these: no other tab may send them again. */
  const announce = (gone: string[]): void => {
    if (gone.length) channel?.postMessage({ gone } satisfies TabNews);
  };

  /** One batch under the lock: how many were delivered when the queue may go on, else why it stops. */
  const step = async (force: boolean): Promise<number | FlushResult> => {
    // Another tab may have backed off while this one waited for the lock.
    const shared = await store.getMeta<BackoffState>(BACKOFF_KEY);
    if (shared) backoff = shared;
    const fail = async (reason: FlushResult['reason']): Promise<FlushResult> => ({ ok: false, sent: 0, remaining: await store.count(), reason });
    if (stopped) return fail('failed');
    if (isOffline()) return fail('offline');
    if (!consented()) return fail('consent');
    const wait = backoff.nextAttemptAt - now();
    if (wait > 0 && !force) {
      schedule(wait);
      return fail('backoff');
    }
    // A page-hide request of this tab is out: its answer comes first and is settled here, so
    // no event is on the wire twice at once and nothing newer overtakes it.
    if (exits.size) return await Promise.all([...exits].map((settle) => settle())), 0;
    // While a refused batch is being split, send the first half of what is still suspect.
    let oldest = await store.oldest(suspects.size ? Math.ceil(suspects.size / 2) : options.flushAt);
    if (oldest[0] && !suspects.has(oldest[0].id) && suspects.size) {
      // The suspects left the head of the queue (evicted, expired): start over at full size.
      suspects.clear();
      oldest = await store.oldest(options.flushAt);
    }
    if (oldest.length === 0) return { ok: true, sent: 0, remaining: await store.count() };

    const expiredBefore = now() - options.maxEventAgeMs;
    const expired = oldest.filter((r) => r.enqueuedAt < expiredBefore);
    if (expired.length > 0) return await gone(expired, 'expired'), 0;

    const batch = takeBatch(oldest, options.maxBatchBytes);
    const body = await compress(bodyOf(batch));
    if (stopped) return fail('failed');
    // Consent withdrawn (here or in another tab) while this batch was being compressed.
    if (!consented()) return fail('consent');
    // Page hide sent while this batch was being compressed: its answer first, then read again.
    if (exits.size) return 0;
    onWire = batch;
    const settled = await exchange(batch, body, body.byteLength <= KEEPALIVE_SEND_BYTES ? body.byteLength : 0, true)
      .then((settleIt) => settleIt())
      .finally(() => (onWire = []));
    return typeof settled === 'number' ? settled : fail(settled === 'pause' ? 'unauthorized' : 'failed');
  };

  /**
   * One answer, from the drain or from page hide, through the answer policy. Returns how
   * many events were delivered when the queue may go on at once, else the verdict that stops it.
   */
  const settle = async (batch: Sendable[], result: SendResult, fromDrain: boolean): Promise<number | Verdict> => {
    const v = verdict(result, batch.length);
    if (v === 'ack' || v === 'refuse') {
      const rejected = v === 'refuse' ? new Map([[0, result.response?.error ?? `HTTP ${result.status}`]]) : rejectedIndexes(result, batch.length);
      // Events a page-hide request took from the buffer have their chunk once written.
      await gone(batch.map((r) => r.chunk === undefined ? queue.persisted(r.id) : r).filter((r): r is QueueRecord => !!r));
      const delivered = batch.filter((_, i) => !rejected.has(i));
      if (delivered.length) emitter.emit('delivered', { count: delivered.length, messageIds: messageIds(delivered) });
      for (const [i, detail] of rejected) emitter.emit('dropped', { reason: 'rejected_by_server', count: 1, messageIds: [batch[i]!.messageId], detail });
      // The refused event found, the others suspected with it are innocent; an acknowledged part is too.
      if (v === 'refuse') suspects.clear();
      for (const r of batch) suspects.delete(r.id);
      // Every stored backoff comes from setBackoff: no attempt means no wait either.
      if (backoff.attempt) await setBackoff({ attempt: 0, nextAttemptAt: 0, status: result.status });
      return delivered.length;
    }
    // Nothing settled: keep everything and wait. A split waits too, so finding a refused
    // event is paced like any retry; a refused write key waits the longest.
    if (v === 'split' && fromDrain) suspects = new Set(ids(batch));
    const delay = v === 'pause' ? options.retry.capMs : retryDelayMs(backoff.attempt, result.retryAfterMs, random, options.retry);
    await setBackoff({ attempt: backoff.attempt + 1, nextAttemptAt: now() + delay, status: result.status });
    schedule(delay);
    if (v !== 'split') {
      const what = result.status ? `HTTP ${result.status}` : result.error;
      emitter.emit('error', new FerryError(v === 'pause' ? 'unauthorized' : 'send_failed', `${what}: ${batch.length} event(s) kept, next try in ${delay} ms`));
    }
    return v;
  };

  /** Deletes settled records, here and in every tab's view, and reports a drop when there is a reason. */
  const gone = async (records: QueueRecord[], reason?: string): Promise<void> => {
    await store.remove(records);
    queue.forget(ids(records));
    announce(ids(records));
    if (reason && records.length) emitter.emit('dropped', { reason, count: records.length, messageIds: messageIds(records) });
  };

  /**
   * One request, with its events marked as on the wire until they are settled: a page hide
   * meanwhile does not send them again. `bytes` is the body's size when it goes as a keepalive
   * request, else 0. Resolves, once answered, to the call that settles the answer.
   */
  const exchange = async (records: Sendable[], body: Uint8Array | string, bytes: number, fromDrain: boolean): Promise<() => Promise<number | Verdict>> => {
    sending.add(records);
    keepaliveBytes += bytes;
    log?.('send', messageIds(records));
    const result = await postBatch(options.batchUrl, body, bytes > 0);
    log?.('answer', result);
    keepaliveBytes -= bytes;
    return () => settle(records, result, fromDrain).finally(() => sending.delete(records));
  };

  return {
    /** Restores the persisted backoff, so a reload does not hammer a failing server. */
    async start(): Promise<void> {
      channel = openTabChannel(options.writeKey, (news) => {
        if (news.gone) queue.forget(news.gone);
        if (news.backoff) backoff = news.backoff;
      });
      const saved = await store.getMeta<BackoffState>(BACKOFF_KEY);
      if (saved && typeof saved.nextAttemptAt === 'number') backoff = saved;
      schedule(Math.max(0, backoff.nextAttemptAt - now()));
    },

    stop(): void {
      stopped = true;
      clearTimeout(timer);
      channel?.close();
      channel = undefined;
    },

    /** This tab's part of the SDK's state(): `flushing` while this tab has a batch on the wire. */
    status(): Pick<SdkState, 'inFlight' | 'backoff' | 'flushing'> {
      return { inFlight: sendingIds().size, backoff: { ...backoff }, flushing: onWire.length > 0 };
    },

    schedule,
    flush,
    announce,

    /** Consent denied: every queued event of the origin is deleted unsent and reported. */
    async purge(): Promise<void> {
      await gone(await store.oldest(Infinity), 'consent_denied');
    },

    /**
     * The page is being hidden and may never run again: synchronously hand to one keepalive
     * request everything this tab knows unsettled, oldest first: the batch its drain has on
     * the wire, then its own newer events. The server thus sees this tab's events in order
     * whichever request lands first, and dedupe absorbs the copy. Nothing new since the last
     * request (a tab switch and back) costs nothing. The request goes at once, and its turn at
     * the lock is taken at once too: its answer is settled under the lock (this tab's drain
     * settles it if it holds the lock), so that no tab reads the events it carries while its
     * answer is on the way, nor before they are deleted.
     */
    flushOnExit(): void {
      if (stopped || isOffline() || backoff.nextAttemptAt > now() || !consented()) return;
      const known = new Map<string, Sendable>([...onWire, ...queue.unsettled()].map((r) => [r.id, r]));
      const records = takeBatch([...known.values()], KEEPALIVE_MAX_BYTES - keepaliveBytes, false);
      const out = sendingIds();
      if (records.every((r) => out.has(r.id))) return;
      const body = bodyOf(records);
      if (!keepaliveWorks()) return void beaconBatch(options.batchUrl, body);
      const answer = exchange(records, body, utf8Length(body), false);
      let done: Promise<unknown> | undefined;
      const settleExit = () => (done ??= answer.then((settleIt) => settleIt()));
      exits.add(settleExit);
      // The lock is asked for now, not once answered: a drain that asks after this (any tab's)
      // waits for the answer to be settled instead of reading these events while it is on the way.
      void lock
        .withLock(settleExit)
        .catch(() => undefined)
        .finally(() => exits.delete(settleExit));
    },
  };
}
