import type { BatchResponse } from '../protocol/events.js';
import { parseRetryAfter } from '../protocol/retry.js';

export interface SendResult {
  /** HTTP status, or 0 for a network error / timeout. */
  status: number;
  retryAfterMs?: number;
  response?: Partial<BatchResponse> & { code?: string; error?: string };
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
      // Where AbortSignal.timeout is missing (before 2022) the browser's own timeout applies.
      signal: AbortSignal.timeout?.(TIMEOUT_MS),
    });
    let response: SendResult['response'];
    try {
      response = (await res.json()) as SendResult['response'];
    } catch {
      response = undefined;
    }
    return { status: res.status, retryAfterMs: parseRetryAfter(res.headers.get('Retry-After')), response };
  } catch (err) {
    return { status: 0, error: String(err) };
  }
}
