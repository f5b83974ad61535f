import { DEFAULT_BACKOFF, MAX_BATCH_BYTES } from '../protocol/index.js';
import { FerryError } from '../protocol/errors.js';
import type { ConsentUpdate } from './consent.js';

export interface RetryOptions {
  /** First backoff window; doubles per failed attempt (full jitter). */
  baseMs?: number;
  /** Largest wait between attempts, also the cap applied to Retry-After. */
  capMs?: number;
}

export interface LoadOptions {
  writeKey: string;
  /** Collector base URL, e.g. https://collect.example.com. Defaults to this page's origin. */
  endpoint?: string;
  /** Events per batch. */
  flushAt?: number;
  /** How long an event may wait for company before a batch is sent. */
  flushIntervalMs?: number;
  /** Uncompressed byte limit of one batch (the server takes up to 500 KB). */
  maxBatchBytes?: number;
  /** Queue cap; beyond it the oldest events are evicted and reported as `dropped`. */
  maxQueueEvents?: number;
  /** Events older than this are evicted unsent and reported as `dropped`. */
  maxEventAgeMs?: number;
  retry?: RetryOptions;
  /** Set false to keep the identity in localStorage only. */
  cookie?: boolean;
  /** The identity cookies' domain; default the registrable domain (probed), so subdomains share the ids. '' keeps them to this host. */
  cookieDomain?: string;
  /** A session ends after this long without events (all tabs of the origin count). */
  sessionTimeoutMs?: number;
  /** Force a storage backend (tests, or pages that forbid IndexedDB). */
  storage?: 'auto' | 'localStorage' | 'memory';
  /** Middleware: each event passes through in order; return null to drop it. */
  middleware?: Array<(event: Record<string, unknown>) => Record<string, unknown> | null>;
  /** The visitor's consent as known at load; see consent(). Without it (and nothing stored) events are sent. */
  consent?: ConsentUpdate;
  /** While consent is pending, keep events in storage (true, the default) or in this page's memory only. */
  persistWhilePending?: boolean;
  /** Honour Global Privacy Control: a browser that sends it starts denied. */
  gpc?: boolean;
  /** Log each event, send and answer to the console (also `?ferry_debug=1` in the page's URL). */
  debug?: boolean;
}

export interface ResolvedOptions {
  readonly writeKey: string;
  readonly endpoint: string;
  readonly batchUrl: string;
  readonly flushAt: number;
  readonly flushIntervalMs: number;
  readonly maxBatchBytes: number;
  readonly maxQueueEvents: number;
  readonly maxEventAgeMs: number;
  readonly retry: Readonly<Required<RetryOptions>>;
  readonly cookie: boolean;
  readonly cookieDomain?: string;
  readonly sessionTimeoutMs: number;
  readonly storage: 'auto' | 'localStorage' | 'memory';
  readonly middleware: ReadonlyArray<(event: Record<string, unknown>) => Record<string, unknown> | null>;
  readonly consent?: ConsentUpdate;
  readonly persistWhilePending: boolean;
  readonly gpc: boolean;
  readonly debug?: boolean;
}

/** Numeric options, with their defaults (one place) and largest allowed values. */
const NUMERIC: ReadonlyArray<[name: 'flushAt' | 'flushIntervalMs' | 'maxBatchBytes' | 'maxQueueEvents' | 'maxEventAgeMs' | 'sessionTimeoutMs' | 'baseMs' | 'capMs', fallback: number, max: number]> = [
  ['flushAt', 100, 10_000],
  ['flushIntervalMs', 1000, 2 ** 31],
  // Under the server's 500 KB, leaving room for the envelope.
  ['maxBatchBytes', 450 * 1024, MAX_BATCH_BYTES],
  ['maxQueueEvents', 10_000, 2 ** 31],
  ['maxEventAgeMs', 7 * 24 * 3600_000, 2 ** 53],
  ['sessionTimeoutMs', 30 * 60_000, 2 ** 53],
  ['baseMs', DEFAULT_BACKOFF.baseMs, 2 ** 31],
  ['capMs', DEFAULT_BACKOFF.capMs, 2 ** 31],
];

export function resolveOptions(user: LoadOptions): ResolvedOptions {
  if (typeof user?.writeKey !== 'string' || !user.writeKey) throw new FerryError('invalid_call', 'load(): writeKey is required');
  const numbers = {} as Record<(typeof NUMERIC)[number][0], number>;
  // Read by name, not spread: a page's options may come from a prototype or a class's getters.
  const given = (name: string) => (user as unknown as Record<string, unknown>)[name] ?? (user.retry as Record<string, unknown> | undefined)?.[name];
  for (const [name, fallback, max] of NUMERIC) {
    const value = given(name) ?? fallback;
    if (!Number.isInteger(value) || !((value as number) > 0 && (value as number) <= max)) {
      throw new FerryError('invalid_call', `load(): ${name} must be an integer in 1..${max}, got ${String(value)}`);
    }
    numbers[name] = value as number;
  }
  const endpoint = (user.endpoint ?? globalThis.location?.origin ?? '').replace(/\/+$/, '');
  return Object.freeze({
    writeKey: user.writeKey,
    cookieDomain: user.cookieDomain,
    consent: user.consent,
    debug: user.debug,
    endpoint,
    batchUrl: `${endpoint}/v1/batch`,
    // The numbers, flushAt to sessionTimeoutMs; retry reads baseMs and capMs among them.
    ...numbers,
    retry: Object.freeze(numbers),
    cookie: user.cookie !== false,
    storage: user.storage ?? 'auto',
    middleware: Object.freeze([...(user.middleware ?? [])]),
    persistWhilePending: user.persistWhilePending !== false,
    gpc: !!user.gpc,
  });
}
