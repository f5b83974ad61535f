/**
 * Tells a dead destination from a bad message. Only answers about the endpoint count against
 * the destination (destination-answer.ts: 401, 403, 404, 5xx, 429, timeouts, refused
 * connections, HTML error pages, …); a content refusal (400, 413, 422) is that event's problem
 * and shows the endpoint alive. When most recent requests failed at the endpoint, the destination
 * is paused: nothing is attempted but a single probe at growing intervals, and the first request
 * that is not an endpoint failure resumes it.
 */
export interface BreakerOptions {
  window: number;
  minRequests: number;
  failureRatio: number;
  firstProbeMs: number;
  maxProbeMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { window: 20, minRequests: 5, failureRatio: 0.8, firstProbeMs: 1000, maxProbeMs: 60_000 };

export type BreakerState = 'closed' | 'open' | 'half-open';

export class Breaker {
  private recent: boolean[] = [];
  private probeMs = 0;
  paused = false;
  probeAt = 0;

  constructor(private readonly options: BreakerOptions = DEFAULT_BREAKER) {}

  /** closed: requests flow; open: paused until the probe is due; half-open: the probe is due or in flight. */
  state(now: number): BreakerState {
    if (!this.paused) return 'closed';
    return now < this.probeAt ? 'open' : 'half-open';
  }

  /** `failed`: the request's answer speaks of the endpoint. */
  record(failed: boolean, now: number): void {
    if (this.paused) {
      if (failed) {
        this.probeMs = Math.min(this.probeMs * 2, this.options.maxProbeMs);
        this.probeAt = now + this.probeMs;
      } else {
        this.paused = false;
        this.recent = [];
      }
      return;
    }
    this.recent.push(failed);
    if (this.recent.length > this.options.window) this.recent.shift();
    const failures = this.recent.filter(Boolean).length;
    if (this.recent.length >= this.options.minRequests && failures / this.recent.length >= this.options.failureRatio) {
      this.paused = true;
      this.probeMs = this.options.firstProbeMs;
      this.probeAt = now + this.probeMs;
    }
  }
}
