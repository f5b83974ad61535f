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
  let body = '{"batch":[';
  for (let i = 0; i < records.length; i++) body += (i ? ',' : '') + records[i]!.json;
  return `${body}],"sentAt":${JSON.stringify(sentAt)},"writeKey":${JSON.stringify(writeKey)}}`;
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
 * time and settles every answer (its own and page hide's) through the answer policy.
 */
export class Flusher {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #pending: Promise<FlushResult> | undefined;
  #again = false;
  /** Local ids this tab has on the wire, with the number of its requests carrying each. */
  #sending = new Map<string, number>();
  /** The batch this tab's drain has on the wire: a page-hide request carries it first. */
  #onWire: QueueRecord[] = [];
  /** Page-hide requests not settled yet, each as the call that settles it once answered. */
  #exits = new Set<() => Promise<unknown>>();
  /** ids of a batch the collector refused by content and not settled yet: the culprit is among them. */
  #suspects = new Set<string>();
  /** Bytes of this tab's keepalive requests on the wire: they count against the page's 64 KiB. */
  #keepaliveBytes = 0;
  #backoff: BackoffState = { attempt: 0, nextAttemptAt: 0, status: 0 };
  #stopped = false;
  #channel: BroadcastChannel | undefined;
  readonly #now: () => number;
  readonly #random: () => number;

  readonly #deps: FlusherDeps;

  constructor(deps: FlusherDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#random = deps.random ?? Math.random;
  }

  /** Restores the persisted backoff, so a reload does not hammer a failing server. */
  async start(): Promise<void> {
    this.#channel = openTabChannel(this.#deps.options.writeKey, (news) => {
      if (news.gone) this.#deps.queue.forget(news.gone);
      if (news.backoff) this.#backoff = news.backoff;
    });
    const saved = await this.#deps.store.getMeta<BackoffState>(BACKOFF_KEY);
    if (saved && typeof saved.nextAttemptAt === 'number') this.#backoff = saved;
    this.schedule(Math.max(0, this.#backoff.nextAttemptAt - this.#now()));
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#channel?.close();
    this.#channel = undefined;
  }

  /** This tab's part of the SDK's state(): `flushing` while this tab has a batch on the wire. */
  status(): Pick<SdkState, 'inFlight' | 'backoff' | 'flushing'> {
    return { inFlight: this.#sending.size, backoff: { ...this.#backoff }, flushing: this.#onWire.length > 0 };
  }

  /** Asks for a flush in `delayMs` unless one is already due sooner. */
  schedule(delayMs: number): void {
    if (this.#stopped) return;
    const at = this.#now() + delayMs;
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      void this.flush(false);
    }, delayMs);
  }

  /**
   * Drains the queue, taking the lock for one batch at a time: a page-hide answer waiting for
   * it (this tab's or another's) is settled before any tab reads the queue again. Requests
   * made while a run is pending share it; those made after it began make it go round once
   * more, or, when it stopped (offline, a failure, the backoff), ask again once it has ended:
   * a retry timer or an `online` event that fired while it was finishing is not lost. `force`
   * ignores the backoff wait (an explicit flush() by the page), never the offline state.
   */
  flush(force: boolean): Promise<FlushResult> {
    // A pending timer-driven drain may stop at the backoff wait, which an explicit flush overrides.
    if (this.#pending) return (this.#again = true), force ? this.#pending.then((r) => (r.reason === 'backoff' ? this.flush(true) : r)) : this.#pending;
    const run = (async () => {
      let sent = 0;
      for (;;) {
        this.#again = false;
        const step = await this.#deps.lock.withLock(() => this.#step(force));
        if (typeof step === 'number') sent += step;
        else if (!this.#again || !step.ok) return { ...step, sent };
      }
    })()
      .catch(async (err: unknown): Promise<FlushResult> => {
        this.#deps.emitter.emit('error', new FerryError('storage_failed', `flush failed: ${String(err)}`, { cause: err }));
        this.schedule(this.#deps.options.retry.capMs);
        return { ok: false, sent: 0, remaining: await this.#deps.store.count().catch(() => -1), reason: 'failed' };
      })
      .finally(() => {
        if (this.#pending !== run) return;
        this.#pending = undefined;
        if (this.#again) this.schedule(0);
      });
    this.#pending = run;
    return run;
  }

  async #setBackoff(state: BackoffState): Promise<void> {
    this.#backoff = state;
    this.#channel?.postMessage({ backoff: state } satisfies TabNews);
    await this.#deps.store.setMeta(BACKOFF_KEY, state);
    this.#deps.emitter.emit('backoff', state);
  }

  /** This tab settled (or evicted) these: no other tab may send them again. */
  announce(gone: string[]): void {
    if (gone.length) this.#channel?.postMessage({ gone } satisfies TabNews);
  }

  /** One batch under the lock: how many were delivered when the queue may go on, else why it stops. */
  async #step(force: boolean): Promise<number | FlushResult> {
    const { store, options } = this.#deps;
    // Another tab may have backed off while this one waited for the lock.
    const shared = await store.getMeta<BackoffState>(BACKOFF_KEY);
    if (shared) this.#backoff = shared;
    const fail = async (reason: FlushResult['reason']): Promise<FlushResult> => ({ ok: false, sent: 0, remaining: await store.count(), reason });
    if (this.#stopped) return fail('failed');
    if (isOffline()) return fail('offline');
    if (!this.#deps.consented()) return fail('consent');
    const wait = this.#backoff.nextAttemptAt - this.#now();
    if (wait > 0 && !force) {
      this.schedule(wait);
      return fail('backoff');
    }
    // A page-hide request of this tab is out: its answer comes first and is settled here, so
    // no event is on the wire twice at once and nothing newer overtakes it.
    if (this.#exits.size) return await Promise.all([...this.#exits].map((settle) => settle())), 0;
    // While a refused batch is being split, send the first half of what is still suspect.
    let oldest = await store.oldest(this.#suspects.size ? Math.ceil(this.#suspects.size / 2) : options.flushAt);
    if (oldest[0] && !this.#suspects.has(oldest[0].id) && this.#suspects.size) {
      // The suspects left the head of the queue (evicted, expired): start over at full size.
      this.#suspects.clear();
      oldest = await store.oldest(options.flushAt);
    }
    if (oldest.length === 0) return { ok: true, sent: 0, remaining: await store.count() };

    const expiredBefore = this.#now() - options.maxEventAgeMs;
    const expired = oldest.filter((r) => r.enqueuedAt < expiredBefore);
    if (expired.length > 0) return await this.#gone(expired, 'expired'), 0;

    const batch = takeBatch(oldest, options.maxBatchBytes);
    const body = await this.#deps.compress(envelope(batch, options.writeKey, new Date(this.#now()).toISOString()));
    if (this.#stopped) return fail('failed');
    // Consent withdrawn (here or in another tab) while this batch was being compressed.
    if (!this.#deps.consented()) return fail('consent');
    // Page hide sent while this batch was being compressed: its answer first, then read again.
    if (this.#exits.size) return 0;
    this.#onWire = batch;
    const settled = await this.#exchange(batch, body, body.byteLength <= KEEPALIVE_SEND_BYTES, true).finally(() => (this.#onWire = []));
    return typeof settled === 'number' ? settled : fail(settled === 'pause' ? 'unauthorized' : 'failed');
  }

  /**
   * One answer, from the drain or from page hide, through the answer policy. Returns how
   * many events were delivered when the queue may go on at once, else the verdict that stops it.
   */
  async #settle(batch: Sendable[], result: SendResult, fromDrain: boolean): Promise<number | Verdict> {
    const { emitter, options, queue } = this.#deps;
    const v = verdict(result, batch.length);
    if (v === 'ack' || v === 'refuse') {
      const rejected = v === 'refuse' ? new Map([[0, result.response?.error ?? `HTTP ${result.status}`]]) : rejectedIndexes(result, batch.length);
      // Events a page-hide request took from the buffer have their chunk once written.
      await this.#gone(batch.map((r) => r.chunk === undefined ? queue.persisted(r.id) : r).filter((r): r is QueueRecord => !!r));
      const delivered = batch.filter((_, i) => !rejected.has(i));
      if (delivered.length) emitter.emit('delivered', { count: delivered.length, messageIds: messageIds(delivered) });
      for (const [i, detail] of rejected) emitter.emit('dropped', { reason: 'rejected_by_server', count: 1, messageIds: [batch[i]!.messageId], detail });
      if (v === 'refuse') this.#suspects.clear();
      for (const r of batch) this.#suspects.delete(r.id);
      if (this.#backoff.attempt || this.#backoff.nextAttemptAt) await this.#setBackoff({ attempt: 0, nextAttemptAt: 0, status: result.status });
      return delivered.length;
    }
    // Nothing settled: keep everything and wait. A split waits too, so finding a refused
    // event is paced like any retry; a refused write key waits the longest.
    if (v === 'split' && fromDrain) this.#suspects = new Set(ids(batch));
    const delay = v === 'pause' ? options.retry.capMs : retryDelayMs(this.#backoff.attempt, result.retryAfterMs, this.#random, options.retry);
    await this.#setBackoff({ attempt: this.#backoff.attempt + 1, nextAttemptAt: this.#now() + delay, status: result.status });
    this.schedule(delay);
    if (v !== 'split') {
      const what = result.status ? `HTTP ${result.status}` : result.error;
      emitter.emit('error', new FerryError(v === 'pause' ? 'unauthorized' : 'send_failed', `${what}: ${batch.length} event(s) kept, next try in ${delay} ms`));
    }
    return v;
  }

  /** Consent denied: every queued event of the origin is deleted unsent and reported. */
  async purge(): Promise<void> {
    await this.#gone(await this.#deps.store.oldest(Infinity), 'consent_denied');
  }

  /** Deletes settled records, here and in every tab's view, and reports a drop when there is a reason. */
  async #gone(records: QueueRecord[], reason?: string): Promise<void> {
    await this.#deps.store.remove(records);
    this.#deps.queue.forget(ids(records));
    this.announce(ids(records));
    if (reason && records.length) this.#deps.emitter.emit('dropped', { reason, count: records.length, messageIds: messageIds(records) });
  }

  /**
   * One request and the settling of its answer, with its events marked as on the wire until
   * they are settled: a page hide meanwhile does not send them again.
   */
  async #exchange(records: Sendable[], body: Uint8Array | string, keepalive: boolean, fromDrain: boolean, settle: (fn: () => Promise<number | Verdict>) => Promise<unknown> = (fn) => fn()): Promise<unknown> {
    const bytes = keepalive ? (typeof body === 'string' ? utf8Length(body) : body.byteLength) : 0;
    const mark = (d: number) => {
      for (const { id } of records) {
        const n = (this.#sending.get(id) ?? 0) + d;
        if (n) this.#sending.set(id, n);
        else this.#sending.delete(id);
      }
    };
    mark(1);
    this.#keepaliveBytes += bytes;
    try {
      this.#deps.log?.('send', messageIds(records));
      const result = await postBatch(this.#deps.options.batchUrl, body, keepalive);
      this.#deps.log?.('answer', result);
      this.#keepaliveBytes -= bytes;
      return await settle(() => this.#settle(records, result, fromDrain));
    } finally {
      mark(-1);
    }
  }

  /**
   * The page is being hidden and may never run again: synchronously hand to one keepalive
   * request everything this tab knows unsettled, oldest first: the batch its drain has on
   * the wire, then its own newer events. The server thus sees this tab's events in order
   * whichever request lands first, and dedupe absorbs the copy. Nothing new since the last
   * request (a tab switch and back) costs nothing. The request goes at once; its answer is
   * settled like any other, under the lock (this tab's drain settles it if it holds the lock),
   * so that no tab reads events it acknowledged before they are deleted.
   */
  flushOnExit(): void {
    if (this.#stopped || isOffline() || this.#backoff.nextAttemptAt > this.#now() || !this.#deps.consented()) return;
    const { options } = this.#deps;
    const known = new Map<string, Sendable>();
    for (const r of [...this.#onWire, ...this.#deps.queue.unsettled()]) known.set(r.id, r);
    const records = takeBatch([...known.values()], KEEPALIVE_MAX_BYTES - this.#keepaliveBytes, false);
    if (records.every((r) => this.#sending.has(r.id))) return;
    const body = envelope(records, options.writeKey, new Date(this.#now()).toISOString());
    if (!keepaliveWorks()) return void beaconBatch(options.batchUrl, body);
    let answered!: (fn: () => Promise<unknown>) => void;
    const answer = new Promise<() => Promise<unknown>>((r) => (answered = r));
    let done: Promise<unknown> | undefined;
    const settle = () => (done ??= answer.then((fn) => fn()));
    this.#exits.add(settle);
    void this.#exchange(records, body, true, false, (fn) => (answered(fn), this.#deps.lock.withLock(settle)))
      .catch(() => undefined)
      .finally(() => this.#exits.delete(settle));
  }
}
