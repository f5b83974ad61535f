import type { FerryEvent } from '../../protocol/events.js';
import { retryDelayMs } from '../../protocol/retry.js';
import type { DestinationConfig } from '../config.js';
import type { DeliveryItem, Destination, SendResult } from '../destinations/types.js';
import type { ClaimedDelivery, Outcome, Store } from '../store/types.js';
import { Breaker } from './breaker.js';
import type { TransformFn } from './transform.js';

const LEASE_MS = 60_000;
const IDLE_POLL_MS = 250;

export interface LoopEvents {
  attempted(destination: string, outcome: 'succeeded' | 'failed' | 'aborted', count: number, ms: number): void;
  error(destination: string, err: unknown): void;
}

interface Claimed extends ClaimedDelivery {
  event: FerryEvent;
}

/**
 * One destination's delivery loop, independent of every other (G7). It claims due deliveries
 * oldest first under the store's per-user barrier, sends them in order, and records one
 * outcome per event. Within a claim, once a user's event fails, that user's later events are
 * released unattempted: they are blocked until it succeeds or is aborted (G6).
 */
export class DestinationLoop {
  readonly breaker = new Breaker();
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly store: Store,
    private readonly destination: Destination,
    private readonly config: Readonly<DestinationConfig>,
    private readonly transform: TransformFn | undefined,
    private readonly events: LoopEvents,
    private readonly random: () => number = Math.random,
  ) {}

  get name(): string {
    return this.destination.name;
  }

  start(): void {
    this.running ??= Promise.all(Array.from({ length: this.config.concurrency }, (_, i) => this.run(i))).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
    await this.destination.close?.();
  }

  wake(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  /** One of `concurrency` runners; while the destination is paused only runner 0 probes. */
  private async run(runner: number): Promise<void> {
    while (!this.stopped) {
      try {
        const now = Date.now();
        if (this.breaker.paused && (runner > 0 || now < this.breaker.probeAt)) {
          await this.sleep(runner > 0 ? IDLE_POLL_MS * 4 : Math.min(this.breaker.probeAt - now, IDLE_POLL_MS * 4));
          continue;
        }
        // A paused destination gets one event: the probe.
        const limit = this.breaker.paused ? 1 : this.config.maxBatchEvents;
        const claimed = await this.store.claim(this.name, now, limit, LEASE_MS);
        if (claimed.length === 0) {
          await this.sleep(IDLE_POLL_MS);
          continue;
        }
        await this.deliver(claimed.map((c) => ({ ...c, event: JSON.parse(c.body) as FerryEvent })));
      } catch (err) {
        this.events.error(this.name, err);
        await this.sleep(1000);
      }
    }
  }

  private async deliver(claimed: Claimed[]): Promise<void> {
    const outcomes: Outcome[] = [];
    const ready: Array<Claimed & { send: FerryEvent }> = [];
    for (const c of claimed) {
      if (!this.transform) {
        ready.push({ ...c, send: c.event });
        continue;
      }
      try {
        const out = await this.transform(structuredClone(c.event));
        if (out === null) outcomes.push({ id: c.id, state: 'aborted', reason: 'dropped by transform', attempt: null });
        else ready.push({ ...c, send: out });
      } catch (err) {
        outcomes.push({ id: c.id, state: 'aborted', reason: `transform failed: ${(err as Error).message ?? String(err)}`, attempt: null });
      }
    }
    const blocked = new Set<string>();
    await this.sendOrdered(ready, blocked, outcomes);
    await this.store.settle(this.name, outcomes, Date.now());
  }

  /**
   * Sends in order. A refused batch of an atomic destination is halved until the refused event
   * stands alone; the halves go in order, and a user blocked in the first half is not attempted
   * in the second.
   */
  private async sendOrdered(items: Array<Claimed & { send: FerryEvent }>, blocked: Set<string>, outcomes: Outcome[]): Promise<void> {
    const pending = items.filter((i) => {
      if (!blocked.has(i.userKey)) return true;
      outcomes.push({ id: i.id, state: 'released' });
      return false;
    });
    if (pending.length === 0) return;
    const started = Date.now();
    let results: SendResult[];
    try {
      results = await this.destination.send(pending.map((p): DeliveryItem => ({ id: p.id, messageId: p.event.messageId, event: p.send })));
    } catch (err) {
      const error = (err as Error).message ?? String(err);
      results = pending.map(() => ({ ok: false, retryable: true, status: null, error, response: null }));
    }
    const durationMs = Date.now() - started;
    const allRefused = results.every((r) => !r.ok && !r.retryable);
    if (this.destination.atomic && pending.length > 1 && allRefused) {
      const half = Math.ceil(pending.length / 2);
      await this.sendOrdered(pending.slice(0, half), blocked, outcomes);
      await this.sendOrdered(pending.slice(half), blocked, outcomes);
      return;
    }
    const now = Date.now();
    const requestFailed = results.some((r) => !r.ok && r.retryable);
    this.breaker.record(requestFailed, now);
    let ok = 0;
    let failed = 0;
    let aborted = 0;
    pending.forEach((item, i) => {
      const r = results[i]!;
      const attempt = { number: item.attempts + 1, at: started, status: r.status, error: r.ok ? null : r.error, response: r.response, durationMs };
      if (r.ok) {
        ok++;
        outcomes.push({ id: item.id, state: 'succeeded', attempt });
        return;
      }
      if (!r.retryable) {
        aborted++;
        outcomes.push({ id: item.id, state: 'aborted', reason: `refused by the destination: ${r.error}`, attempt });
        return;
      }
      const attempts = item.attempts + 1;
      const first = item.firstAttemptAt ?? started;
      const { maxAttempts, windowMs } = this.config.retry;
      if (attempts >= maxAttempts || now - first >= windowMs) {
        aborted++;
        outcomes.push({ id: item.id, state: 'aborted', reason: attempts >= maxAttempts ? `gave up after ${attempts} attempts` : `gave up after the ${windowMs} ms retry window`, attempt });
        return;
      }
      failed++;
      blocked.add(item.userKey);
      outcomes.push({ id: item.id, state: 'failed', nextAt: now + retryDelayMs(item.attempts, r.retryAfterMs, this.random, this.config.retry), attempt });
    });
    if (ok) this.events.attempted(this.name, 'succeeded', ok, durationMs);
    if (failed) this.events.attempted(this.name, 'failed', failed, durationMs);
    if (aborted) this.events.attempted(this.name, 'aborted', aborted, durationMs);
  }
}
