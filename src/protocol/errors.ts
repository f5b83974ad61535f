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

/** Codes only the SDK raises (through its `error` and `dropped` events). */
export type SdkErrorCode = 'not_serializable' | 'queue_full' | 'expired' | 'storage_failed' | 'rejected_by_server' | 'invalid_call';

export type ErrorCode = ServerErrorCode | SdkErrorCode;

export class FerryError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FerryError';
    this.code = code;
  }
}
