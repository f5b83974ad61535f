/**
 * Stable error codes shared by both sides, so a client can match on `code`. The server maps
 * each of its codes to one HTTP status in one table (src/server/errors.ts).
 */
export type ServerErrorCode =
  | 'invalid_json'
  | 'invalid_gzip'
  | 'invalid_body'
  | 'invalid_event'
  | 'empty_batch'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'event_too_large'
  | 'event_too_deep'
  | 'event_too_many_keys'
  | 'batch_too_large'
  | 'batch_too_many_events'
  | 'unsupported_encoding'
  | 'suppressed'
  | 'overloaded'
  | 'shutting_down'
  | 'storage_unavailable'
  | 'internal';

/**
 * The codes of a 400/413 answer that speak of the events' content, not of the request: a client
 * splits its batch until the refused event stands alone, and drops only that one (DESIGN G2).
 * A 400/413 without one of these (a proxy, a WAF, another server) says nothing about the events.
 */
export const EVENT_REFUSAL_CODES: readonly ServerErrorCode[] = ['invalid_event', 'event_too_large', 'batch_too_large', 'suppressed'];

/** Codes only the SDK raises (through its `error` and `dropped` events). */
export type SdkErrorCode = 'not_serializable' | 'queue_full' | 'quota' | 'expired' | 'storage_failed' | 'rejected_by_server' | 'send_failed' | 'invalid_call';

export type ErrorCode = ServerErrorCode | SdkErrorCode;

export class FerryError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FerryError';
    this.code = code;
  }
}
