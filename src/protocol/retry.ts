/**
 * Retry policy as data: what a response means for the events that were sent.
 * Used by the SDK's flusher and by the server's router, so both sides agree.
 */

export type RetryAction =
  /** Delivered: delete / mark succeeded. */
  | 'success'
  /** Transient failure: keep, wait backoffMs (or Retry-After), try again. */
  | 'retry'
  /** The request itself was refused for its content: split a batch to find the culprit, drop a single event. */
  | 'reject'
  /** Nothing will work until a human acts (bad credentials): keep everything, stop trying, report. */
  | 'pause';

/** status 0 stands for a network error or timeout (no HTTP response). */
export function classifyStatus(status: number): RetryAction {
  if (status >= 200 && status < 300) return 'success';
  if (status === 0) return 'retry';
  if (status === 401 || status === 403) return 'pause';
  if (status === 408 || status === 425 || status === 429) return 'retry';
  if (status >= 500) return 'retry';
  if (status >= 400) return 'reject';
  // 1xx/3xx are not valid final answers of a collector: treat as transient.
  return 'retry';
}

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ baseMs: 500, capMs: 5 * 60_000 });

/**
 * Exponential backoff with full jitter: a uniform draw in [0, min(cap, base * 2^attempt)).
 * `random` is injected so callers and tests control it; attempt counts from 0.
 */
export function backoffMs(attempt: number, random: () => number = Math.random, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const exp = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.floor(random() * exp);
}

/**
 * Parses a Retry-After header (delta-seconds or HTTP-date) into milliseconds from `nowMs`.
 * Returns undefined when absent or unparseable; never negative.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  const trimmed = value?.trim() ?? '';
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // An HTTP-date (IMF-fixdate, RFC 850 or asctime) always names a month; this keeps "-3",
  // "0 GMT" or "" from parsing as some year.
  const ms = /jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec/i.test(trimmed) ? Date.parse(trimmed) - nowMs : NaN;
  return Number.isNaN(ms) ? undefined : Math.max(0, ms);
}

/**
 * The wait before the next attempt: Retry-After when the server gave one, else jittered
 * backoff; never above the cap and never below the base, so that `Retry-After: 0`, a date in
 * the past or a zero jitter draw cannot turn retries into a tight loop.
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, random: () => number, options: BackoffOptions): number {
  const wait = retryAfterMs ?? backoffMs(attempt, random, options);
  return Math.max(options.baseMs, Math.min(wait, options.capMs));
}
