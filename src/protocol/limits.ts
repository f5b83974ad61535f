/** Size limits of the wire protocol, in bytes of decompressed JSON. */
export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
/** Browsers cap the in-flight body of keepalive fetches and beacons at 64 KiB per page. */
export const KEEPALIVE_MAX_BYTES = 64 * 1024;
/** Default dedupe window of the server. */
export const DEFAULT_DEDUPE_WINDOW_HOURS = 7 * 24;
