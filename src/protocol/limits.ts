/** Size limits of the wire protocol, in bytes of decompressed JSON. */
export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
/** Browsers cap the in-flight body of keepalive fetches and beacons at 64 KiB per page. */
export const KEEPALIVE_MAX_BYTES = 64 * 1024;
/** Default dedupe window of the server. */
export const DEFAULT_DEDUPE_WINDOW_HOURS = 7 * 24;
/**
 * Shape limits of one event, checked by the server before anything else touches it (a value
 * nested deeper than a few thousand levels overflows the stack of JSON.stringify). Depth counts
 * nested objects and arrays, the event itself being depth 1; keys count the object keys of the
 * whole event, nested ones included.
 */
export const MAX_EVENT_DEPTH = 64;
export const MAX_EVENT_KEYS = 2000;
/**
 * Events in one batch. Each one listed in `rejected` costs work and answer bytes, and
 * `{"batch":[0,0,…]}` gzips 250,000 items into half a kilobyte: without a count the answer
 * would not be bounded by the request. Clients send far fewer (this SDK at most `flushAt`,
 * analytics-node 15, analytics.js its batching size).
 */
export const MAX_BATCH_EVENTS = 5000;
