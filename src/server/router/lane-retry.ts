import { retryDelayMs, type BackoffOptions } from '../../protocol/retry.js';

/**
 * How long a user's lane waits after a request failed at the endpoint (5xx, timeout, …), from
 * the lane's consecutive failures (this one included: its head's failed attempts). Such an
 * answer speaks of the endpoint, not of the user, so one failure is retried at once: a
 * destination that fails a third of its requests at random then costs one extra request per
 * failure, not a backoff for every user of the batch. A second failure in a row and beyond wait
 * a jittered exponential backoff (`retry.baseMs` · 2^(failures − 2), at least `baseMs`), and a
 * `Retry-After` is always honoured (within `baseMs`…`capMs`). A destination that fails nearly
 * everything is the breaker's to pause (breaker.ts), whatever the lanes do.
 *
 * `draw` is one random draw per request, shared by its lanes, so the users of a failed batch
 * stay due together and are retried in one request rather than scattered over many.
 */
export function laneRetryDelayMs(failures: number, retryAfterMs: number | undefined, draw: number, options: BackoffOptions): number {
  if (retryAfterMs === undefined && failures <= 1) return 0;
  return retryDelayMs(Math.max(0, failures - 2), retryAfterMs, () => draw, options);
}
