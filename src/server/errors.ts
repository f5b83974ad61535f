import { FerryError, type ServerErrorCode } from '../protocol/errors.js';

/** One table from error code to HTTP status: every failure is answered the same way. */
export const HTTP_STATUS: Record<ServerErrorCode, number> = {
  invalid_json: 400,
  invalid_gzip: 400,
  invalid_body: 400,
  invalid_event: 400,
  empty_batch: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  event_too_large: 413,
  event_too_deep: 400,
  event_too_many_keys: 400,
  batch_too_large: 413,
  batch_too_many_events: 413,
  unsupported_encoding: 415,
  suppressed: 403,
  overloaded: 503,
  shutting_down: 503,
  storage_unavailable: 503,
  internal: 500,
};

export function httpError(code: ServerErrorCode, message: string): FerryError {
  return new FerryError(code, message);
}

export function statusOf(err: FerryError): number {
  return HTTP_STATUS[err.code as ServerErrorCode] ?? 500;
}
