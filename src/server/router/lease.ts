import { randomUUID } from 'node:crypto';
import type { Store } from '../store/types.js';

/**
 * One claim's hold on its deliveries, so that no other runner (or process) can send them while
 * this one still may. The scheme:
 * - the claim writes a fresh token with the lease (`now + leaseMs`);
 * - while the claim runs, the lease is renewed every quarter of it, in the background;
 * - before each request, `cover` makes sure the lease outlives the request's bound (a webhook's
 *   timeout, at most half the lease by config), renewing first when it runs low, and answers
 *   only the deliveries that still carry the token: anything taken over, aborted or erased
 *   meanwhile is not sent;
 * - the settle is fenced by the token in the store, so a claim that lost its rows records nothing.
 * A lease therefore runs out only when its holder stalls or dies, and then the holder can no
 * longer start a request nor overwrite what the next claim records.
 */
export class Lease {
  readonly token = randomUUID();
  private until: number;
  private held: Set<number>;
  private renewing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly store: Store,
    private readonly leaseMs: number,
    private readonly onError: (err: unknown) => void,
  ) {
    this.until = 0;
    this.held = new Set();
  }

  /** The claim was made at `claimedAt` for `ids`; renewal starts. */
  start(claimedAt: number, ids: number[]): void {
    this.until = claimedAt + this.leaseMs;
    this.held = new Set(ids);
    this.schedule();
  }

  private schedule(): void {
    if (this.ended) return;
    this.timer = setTimeout(() => {
      this.renew().catch(this.onError).finally(() => this.schedule());
    }, this.leaseMs / 4);
  }

  private renew(): Promise<void> {
    this.renewing ??= (async () => {
      const at = Date.now();
      const ids = await this.store.renew(this.token, at, this.leaseMs);
      this.held = new Set(ids.filter((id) => this.held.has(id)));
      this.until = at + this.leaseMs;
    })().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private covers(boundMs: number): boolean {
    // A quarter of the lease on top: the renewal's own round trip, and clocks read a little apart.
    return Date.now() + boundMs + this.leaseMs / 4 < this.until;
  }

  /**
   * Before a request that may take `boundMs` (0 for an in-process destination, which the
   * background renewal covers while it runs): which of `ids` this claim may send now. Null when
   * the lease cannot be made to outlive the request; the claim then sends nothing more.
   */
  async cover(ids: number[], boundMs: number): Promise<Set<number> | null> {
    if (!this.covers(boundMs)) {
      try {
        await this.renew();
      } catch (err) {
        this.onError(err);
        return null;
      }
      if (!this.covers(boundMs)) return null;
    }
    return new Set(ids.filter((id) => this.held.has(id)));
  }

  /** The claim is about to settle, or gives up: no renewal may land after this. Idempotent. */
  async end(): Promise<void> {
    this.ended = true;
    clearTimeout(this.timer);
    await this.renewing?.catch(() => undefined);
  }
}
