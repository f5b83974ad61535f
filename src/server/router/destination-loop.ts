import type { FerryEvent } from '../../protocol/events.js';
import type { DestinationConfig } from '../config.js';
import type { DeliveryItem, Destination, SendResult } from '../destinations/types.js';
import type { ClaimedDelivery, Outcome, Store } from '../store/types.js';
import { Breaker } from './breaker.js';
import { answerAction } from './destination-answer.js';
import { laneRetryDelayMs } from './lane-retry.js';
import { Lease } from './lease.js';
import type { TransformFn } from './transform.js';

/** Between tries of a settle that failed. */
const SETTLE_RETRY_MS = 500;
const IDLE_POLL_MS = 250;

export interface LoopEvents {
  attempted(destination: string, outcome: 'succeeded' | 'failed' | 'aborted', count: number, ms: number): void;
  error(destination: string, err: unknown): void;
}

interface Claimed extends ClaimedDelivery {
  event: FerryEvent;
}

/** A claimed event with what is sent for it (after the transform). */
type Ready = Claimed & { send: FerryEvent };

/**
 * The pause before each request that isolates a refused event, so a destination that starts
 * refusing everything sees a trickle, not a burst. `retry.baseMs`, capped here.
 */
const MAX_SPLIT_PAUSE_MS = 1000;

/**
 * One destination's delivery loop, independent of every other (G7). It claims due deliveries
 * through the store's per-user lanes (shared between sources, then the users due longest first,
 * each user's in ingestion order), sends them in order, and records one
 * outcome per event. Within a claim, once a user's event fails, that user's later events are
 * released unattempted: they are blocked until it succeeds or is aborted (G6). The claim's
 * lease (lease.ts) keeps every other runner away from its events until it settles.
 */
export class DestinationLoop {
  readonly breaker = new Breaker();
  /** Set by an operator (persisted by the router): while set, nothing is claimed, probes neither. */
  operatorPause: { reason: string | null; at: number } | null = null;
  private stopped = false;
  /** Claims in progress, and who waits for there to be none (a pause answers once quiet). */
  private busy = 0;
  private readonly quiet: Array<() => void> = [];
  private running: Promise<void> | undefined;
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly store: Store,
    private readonly destination: Destination,
    private readonly config: Readonly<DestinationConfig>,
    private readonly transform: TransformFn | undefined,
    private readonly leaseMs: number,
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

  /** Resolves once no claim of this loop is in progress (each ends within its lease). */
  idle(): Promise<void> {
    if (this.busy === 0) return Promise.resolve();
    return new Promise((resolve) => this.quiet.push(resolve));
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
        if (this.operatorPause) {
          await this.sleep(IDLE_POLL_MS * 4);
          continue;
        }
        const now = Date.now();
        if (this.breaker.paused && (runner > 0 || now < this.breaker.probeAt)) {
          await this.sleep(runner > 0 ? IDLE_POLL_MS * 4 : Math.min(this.breaker.probeAt - now, IDLE_POLL_MS * 4));
          continue;
        }
        // A paused destination gets one event: the probe.
        const limit = this.breaker.paused ? 1 : this.config.maxBatchEvents;
        // From the pause check to the claim's request nothing awaits: a pause set after the check
        // finds this claim counted in `busy`, and the store answers it before any later write.
        if (await this.claimAndDeliver(now, limit)) continue;
        await this.sleep(IDLE_POLL_MS);
      } catch (err) {
        this.events.error(this.name, err);
        await this.sleep(1000);
      }
    }
  }

  /** One claim and its delivery; false when nothing was due. */
  private async claimAndDeliver(now: number, limit: number): Promise<boolean> {
    this.busy++;
    try {
      const lease = new Lease(this.store, this.leaseMs, (err) => this.events.error(this.name, err));
      const claimed = await this.store.claim(this.name, now, limit, this.leaseMs, lease.token);
      if (claimed.length === 0) return false;
      lease.start(now, claimed.map((c) => c.id));
      try {
        await this.deliver(claimed.map((c) => ({ ...c, event: JSON.parse(c.body) as FerryEvent })), lease);
      } finally {
        // Whatever happened, the renewal stops: an abandoned claim's lease must run out.
        await lease.end();
      }
      return true;
    } finally {
      if (--this.busy === 0) for (const done of this.quiet.splice(0)) done();
    }
  }

  private async deliver(claimed: Claimed[], lease: Lease): Promise<void> {
    const outcomes: Outcome[] = [];
    const ready: Ready[] = [];
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
    try {
      await this.sendOrdered(ready, new Set(), outcomes, lease);
    } finally {
      await lease.end();
    }
    const fenced = await this.settle(lease.token, outcomes);
    if (fenced > 0) this.events.error(this.name, new Error(`${fenced} outcome(s) not recorded: a newer claim holds those deliveries (this claim's lease ran out)`));
  }

  /**
   * Records what the requests did. A settle that fails (the disk full, the database gone for a
   * moment) is tried again with what is known, rather than leaving the claim leased until it
   * runs out while its users' later events wait behind it. The token still fences it.
   */
  private async settle(token: string, outcomes: Outcome[]): Promise<number> {
    for (;;) {
      try {
        return await this.store.settle(this.name, token, outcomes, Date.now());
      } catch (err) {
        if (this.stopped) throw err;
        this.events.error(this.name, err);
        await this.sleep(SETTLE_RETRY_MS);
      }
    }
  }

  /**
   * Sends in order. A batch refused for its content (see destination-answer.ts) is halved until
   * the refused event stands alone: one culprit among n costs ⌈log2 n⌉ refused requests beyond
   * the first, each after a pause. The halves go in order, and a user blocked in the first half
   * is not attempted in the second. Each request first has the lease cover it.
   */
  private async sendOrdered(items: Ready[], blocked: Set<string>, outcomes: Outcome[], lease: Lease): Promise<void> {
    const unblocked = items.filter((i) => {
      if (!blocked.has(i.userKey)) return true;
      outcomes.push({ id: i.id, state: 'released' });
      return false;
    });
    if (unblocked.length === 0) return;
    const held = await lease.cover(unblocked.map((i) => i.id), this.destination.maxSendMs ?? 0);
    if (held === null) {
      // The lease could not be made to outlive the request: send nothing more; others may claim.
      for (const i of unblocked) outcomes.push({ id: i.id, state: 'released' });
      return;
    }
    const pending = unblocked.filter((i) => {
      if (held.has(i.id) && !blocked.has(i.userKey)) return true;
      // Not ours any more (taken over, aborted or erased): no outcome. The user's later events in
      // this claim must not overtake it, so they are released.
      if (!held.has(i.id)) blocked.add(i.userKey);
      else outcomes.push({ id: i.id, state: 'released' });
      return false;
    });
    if (pending.length === 0) return;
    const started = Date.now();
    let results: SendResult[];
    try {
      results = await this.destination.send(pending.map((p): DeliveryItem => ({ id: p.id, messageId: p.event.messageId, event: p.send })));
    } catch (err) {
      results = pending.map(() => ({ answer: { kind: 'no-answer' }, error: (err as Error).message ?? String(err), response: null }));
    }
    const durationMs = Date.now() - started;
    const actions = results.map((r) => answerAction(r.answer));
    if (this.destination.atomic && pending.length > 1 && actions.every((a) => a === 'content')) {
      this.breaker.record(false, Date.now());
      await pause(Math.min(this.config.retry.baseMs, MAX_SPLIT_PAUSE_MS));
      const half = Math.ceil(pending.length / 2);
      await this.sendOrdered(pending.slice(0, half), blocked, outcomes, lease);
      await this.sendOrdered(pending.slice(half), blocked, outcomes, lease);
      return;
    }
    const now = Date.now();
    this.breaker.record(actions.includes('endpoint'), now);
    let ok = 0;
    let failed = 0;
    let aborted = 0;
    // One wait per user lane (set by its first failed event here, the oldest), one draw per request.
    const laneNextAt = new Map<string, number>();
    const draw = this.random();
    pending.forEach((item, i) => {
      const r = results[i]!;
      const action = actions[i]!;
      const status = r.answer.kind === 'http' ? r.answer.status : null;
      const error = action === 'delivered' ? null : (r.error ?? (status === null ? 'no answer' : `HTTP ${status}`));
      const attempt = { number: item.attempts + 1, at: started, status, error, response: r.response, durationMs };
      if (action === 'delivered') {
        ok++;
        outcomes.push({ id: item.id, state: 'succeeded', attempt });
        return;
      }
      if (action === 'content') {
        aborted++;
        outcomes.push({ id: item.id, state: 'aborted', reason: `refused by the destination: ${error}`, attempt });
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
      let nextAt = laneNextAt.get(item.userKey);
      if (nextAt === undefined) {
        const retryAfterMs = r.answer.kind === 'http' ? r.answer.retryAfterMs : undefined;
        nextAt = now + laneRetryDelayMs(attempts, retryAfterMs, draw, this.config.retry);
        laneNextAt.set(item.userKey, nextAt);
      }
      outcomes.push({ id: item.id, state: 'failed', nextAt, attempt });
    });
    if (ok) this.events.attempted(this.name, 'succeeded', ok, durationMs);
    if (failed) this.events.attempted(this.name, 'failed', failed, durationMs);
    if (aborted) this.events.attempted(this.name, 'aborted', aborted, durationMs);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
