import { KEEPALIVE_MAX_BYTES } from '../protocol/limits.js';
import { classifyStatus, retryDelayMs } from '../protocol/retry.js';
import { FerryError } from '../protocol/errors.js';

import type { Emitter } from './emitter.js';
import type { FlushLock } from './lock.js';
import type { ResolvedOptions } from './options.js';
import type { QueueRecord, QueueStore } from './queue-store.js';
import type { WriteQueue } from './queue.js';
import { postBatch, type SendResult } from './transport.js';
import { utf8Length } from './compress.js';

export interface FlushResult {
  ok: boolean;
  /** Events acknowledged by the server during this flush. */
  sent: number;
  /** Events still queued afterwards. */
  remaining: number;
  reason?: 'offline' | 'backoff' | 'failed' | 'unauthorized';
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
  now?: () => number;
  random?: () => number;
}

function isOffline(): boolean {
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
export function takeBatch(records: QueueRecord[], maxBytes: number): QueueRecord[] {
  let bytes = ENVELOPE_BYTES;
  let n = 0;
  for (; n < records.length; n++) {
    bytes += utf8Length(records[n]!.json) + 1;
    if (n > 0 && bytes > maxBytes) break;
  }
  return records.slice(0, n);
}

/**
 * The send policy: reads the oldest events under the origin-wide lock, sends one batch at a
 * time, deletes exactly what the server acknowledged, backs off on transient failures and
 * splits rejected batches to isolate the bad event.
 */
export class Flusher {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private pending: Promise<FlushResult> | undefined;
  private again = false;
  /**
   * messageIds this tab has on the wire, by the flusher or by a page-hide request: neither
   * path sends them again while they are out (visibilitychange and pagehide both fire on close).
   */
  private sending = new Set<string>();
  /** Bytes of this tab's keepalive requests on the wire: they count against the page's 64 KiB. */
  private keepaliveBytes = 0;
  private draining = false;
  private backoff: BackoffState = { attempt: 0, nextAttemptAt: 0, status: 0 };
  private stopped = false;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly deps: FlusherDeps) {
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
  }

  /** Restores the persisted backoff, so a reload does not hammer a failing server. */
  async start(): Promise<void> {
    const saved = await this.deps.store.getMeta<BackoffState>(BACKOFF_KEY);
    if (saved && typeof saved.nextAttemptAt === 'number') this.backoff = saved;
    this.schedule(Math.max(0, this.backoff.nextAttemptAt - this.now()));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  backoffState(): Readonly<BackoffState> {
    return this.backoff;
  }

  isDraining(): boolean {
    return this.draining;
  }

  inFlightCount(): number {
    return this.sending.size;
  }

  /** Asks for a flush in `delayMs` unless one is already due sooner. */
  schedule(delayMs: number): void {
    if (this.stopped) return;
    const at = this.now() + delayMs;
    if (this.timer !== undefined && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      void this.flush(false);
    }, delayMs);
  }

  /**
   * Drains the queue under the lock. Requests made while one is pending share it; requests
   * made while draining make the drain go round once more. `force` ignores the backoff wait
   * (an explicit flush() by the page), never the offline state.
   */
  flush(force: boolean): Promise<FlushResult> {
    if (this.draining) this.again = true;
    // A pending timer-driven drain may stop at the backoff wait, which an explicit flush overrides.
    if (this.pending) return force ? this.pending.then((r) => (r.reason === 'backoff' ? this.flush(true) : r)) : this.pending;
    const run = this.deps.lock
      .withLock(async () => {
        this.draining = true;
        try {
          let result: FlushResult;
          do {
            this.again = false;
            result = await this.drain(force);
          } while (this.again && result.ok);
          return result;
        } finally {
          this.draining = false;
        }
      })
      .catch(async (err: unknown): Promise<FlushResult> => {
        this.deps.emitter.emit('error', new FerryError('storage_failed', `flush failed: ${String(err)}`, { cause: err }));
        this.schedule(this.deps.options.retry.capMs);
        return { ok: false, sent: 0, remaining: await this.deps.store.count().catch(() => -1), reason: 'failed' };
      })
      .finally(() => {
        if (this.pending === run) this.pending = undefined;
      });
    this.pending = run;
    return run;
  }

  private async setBackoff(state: BackoffState): Promise<void> {
    this.backoff = state;
    await this.deps.store.setMeta(BACKOFF_KEY, state);
    this.deps.emitter.emit('backoff', state);
  }

  private async drain(force: boolean): Promise<FlushResult> {
    const { store, options, emitter } = this.deps;
    // Another tab may have backed off while this one waited for the lock.
    const shared = await store.getMeta<BackoffState>(BACKOFF_KEY);
    if (shared) this.backoff = shared;
    let sent = 0;
    let limit = options.flushAt;
    const fail = async (reason: FlushResult['reason']): Promise<FlushResult> => ({ ok: false, sent, remaining: await store.count(), reason });
    for (;;) {
      if (this.stopped) return fail('failed');
      if (isOffline()) return fail('offline');
      const wait = this.backoff.nextAttemptAt - this.now();
      if (wait > 0 && !force) {
        this.schedule(wait);
        return fail('backoff');
      }
      // Events a page-hide request has on the wire went out first; the answer settles them.
      const oldest = (await store.oldest(limit)).filter((r) => !this.sending.has(r.messageId));
      if (oldest.length === 0) return { ok: true, sent, remaining: await store.count() };

      const expiredBefore = this.now() - options.maxEventAgeMs;
      const expired = oldest.filter((r) => r.enqueuedAt < expiredBefore);
      if (expired.length > 0) {
        await this.drop(expired, 'expired');
        continue;
      }

      const batch = takeBatch(oldest, options.maxBatchBytes);
      const result = await this.send(batch);
      const action = classifyStatus(result.status);
      if (action === 'success') {
        const rejected = Array.isArray(result.response?.rejected) ? result.response.rejected : [];
        await store.remove(batch);
        this.deps.queue.forget(batch);
        if (this.backoff.attempt !== 0 || this.backoff.nextAttemptAt !== 0) await this.setBackoff({ attempt: 0, nextAttemptAt: 0, status: result.status });
        const rejectedIdx = new Set(rejected.map((r) => r.index));
        const delivered = batch.filter((_, i) => !rejectedIdx.has(i));
        sent += delivered.length;
        if (delivered.length > 0) emitter.emit('delivered', { count: delivered.length, messageIds: delivered.map((r) => r.messageId) });
        for (const r of rejected) {
          const rec = batch[r.index];
          if (rec) emitter.emit('dropped', { reason: 'rejected_by_server', count: 1, messageIds: [rec.messageId], detail: r.reason });
        }
        limit = options.flushAt;
        continue;
      }
      if (action === 'reject') {
        if (batch.length > 1) {
          // Halve until the culprit stands alone; its siblings go through in the smaller batches.
          limit = Math.ceil(batch.length / 2);
          continue;
        }
        await this.drop(batch, 'rejected_by_server', result.response?.error ?? `HTTP ${result.status}`);
        limit = options.flushAt;
        continue;
      }
      // retry, or pause (bad write key): keep everything and wait. A 401 waits the longest.
      const attempt = this.backoff.attempt + 1;
      const delay = action === 'pause'
        ? options.retry.capMs
        : retryDelayMs(this.backoff.attempt, result.retryAfterMs, this.random, options.retry);
      await this.setBackoff({ attempt, nextAttemptAt: this.now() + delay, status: result.status });
      this.schedule(delay);
      if (action === 'pause') {
        emitter.emit('error', new FerryError('unauthorized', `write key refused (HTTP ${result.status}); events kept`));
        return fail('unauthorized');
      }
      return fail('failed');
    }
  }

  private async drop(records: QueueRecord[], reason: string, detail?: string): Promise<void> {
    await this.deps.store.remove(records);
    this.deps.queue.forget(records);
    this.deps.emitter.emit('dropped', { reason, count: records.length, messageIds: records.map((r) => r.messageId), ...(detail ? { detail } : {}) });
  }

  private async send(batch: QueueRecord[]): Promise<SendResult> {
    const body = await this.deps.compress(envelope(batch, this.deps.options.writeKey, new Date(this.now()).toISOString()));
    if (this.stopped) return { status: 0, error: 'closed' };
    return this.post(batch, body, body.byteLength <= KEEPALIVE_SEND_BYTES);
  }

  /** One request, with its events marked as on the wire until the answer. */
  private async post(records: ReadonlyArray<{ messageId: string }>, body: Uint8Array | string, keepalive: boolean): Promise<SendResult> {
    const bytes = keepalive ? (typeof body === 'string' ? utf8Length(body) : body.byteLength) : 0;
    for (const r of records) this.sending.add(r.messageId);
    this.keepaliveBytes += bytes;
    try {
      return await postBatch(this.deps.options.batchUrl, body, keepalive);
    } finally {
      for (const r of records) this.sending.delete(r.messageId);
      this.keepaliveBytes -= bytes;
    }
  }

  /**
   * The page is being hidden and may never run again: hand this tab's unsent events to a
   * keepalive request, synchronously. They stay queued until a 2xx is seen; if the page
   * survives and the answer arrives, they are deleted, otherwise the next visit resends them
   * and the server's dedupe absorbs the copy.
   */
  flushOnExit(): void {
    if (this.stopped || isOffline() || this.backoff.nextAttemptAt > this.now()) return;
    const { options, store, queue } = this.deps;
    const budget = KEEPALIVE_MAX_BYTES - this.keepaliveBytes - ENVELOPE_BYTES;
    const records: Array<{ json: string; messageId: string; chunk?: number }> = [];
    let bytes = 0;
    for (const r of queue.unacknowledged()) {
      if (this.sending.has(r.messageId)) continue;
      bytes += utf8Length(r.json) + 1;
      if (bytes > budget) break;
      records.push(r);
    }
    if (records.length === 0) return;
    void this.post(records, envelope(records, options.writeKey, new Date(this.now()).toISOString()), true).then(async (res) => {
      // Not confirmed (the page lived on): the normal flush will send them.
      if (classifyStatus(res.status) !== 'success') return this.schedule(options.flushIntervalMs);
      const persisted = records.filter((r): r is QueueRecord => r.chunk !== undefined);
      await store.remove(persisted).catch(() => undefined);
      queue.forget(persisted);
    });
  }
}
