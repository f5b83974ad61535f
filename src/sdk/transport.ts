import type { BatchResponse } from '../protocol/events.js';
import { parseRetryAfter } from '../protocol/retry.js';
import { isPlainObject } from '../protocol/json.js';

export interface SendResult {
  /** HTTP status, or 0 for a network error / timeout / no answer to be had. */
  status: number;
  retryAfterMs?: number;
  /** The body, when it was a JSON object. */
  response?: Omit<Partial<BatchResponse>, 'ok'> & { ok?: boolean; code?: string; error?: string };
  /** There was a body and it was not a JSON object (an HTML error page, say). */
  opaque?: boolean;
  error?: string;
}

const TIMEOUT_MS = 30_000;

/**
 * POSTs as text/plain: a CORS "simple request", so no preflight round trip. The server
 * recognises gzip by its magic bytes. keepalive lets the request outlive the page.
 */
export async function postBatch(url: string, body: Uint8Array | string, keepalive: boolean): Promise<SendResult> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      body: body as BodyInit,
      headers: { 'Content-Type': 'text/plain' },
      keepalive,
      credentials: 'omit',
      // A 301/302/303 followed becomes a GET without the batch, whose answer acknowledges
      // nothing: a redirect is no answer (the collector's URL is the page's to fix).
      redirect: 'manual',
      // Where AbortSignal.timeout is missing (before 2022) the browser's own timeout applies.
      signal: AbortSignal.timeout?.(TIMEOUT_MS),
    });
    if (res.type === 'opaqueredirect') return { status: 0, error: 'redirected: not delivered' };
    const text = await res.text();
    let response: unknown;
    try {
      response = JSON.parse(text);
    } catch {
      // not JSON, or no body: `opaque` below tells them apart
    }
    const isObject = isPlainObject(response);
    return { status: res.status, retryAfterMs: parseRetryAfter(res.headers.get('Retry-After')), response: isObject ? (response as SendResult['response']) : undefined, opaque: !!text && !isObject };
  } catch (err) {
    return { status: 0, error: String(err) };
  }
}

/**
 * Whether fetch's keepalive works here (Firefox before 133 and older Safari ignore it, so a
 * request started at page hide dies with the page): there, page hide uses sendBeacon.
 */
export function keepaliveWorks(): boolean {
  return typeof Request === 'function' && 'keepalive' in Request.prototype;
}

/**
 * The page-hide request where keepalive is missing: the same text/plain body handed to
 * sendBeacon. No answer can be read, so the events stay queued whether or not it was taken.
 */
export function beaconBatch(url: string, body: string): void {
  try {
    navigator.sendBeacon(url, new Blob([body], { type: 'text/plain' }));
  } catch {
    // refused: the events stay queued all the same
  }
}
