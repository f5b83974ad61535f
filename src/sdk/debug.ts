/** A console logger for `debug: true` or `?ferry_debug=1` in the page's URL; otherwise nothing. */
export type DebugLog = (...what: unknown[]) => void;

export function debugLog(wanted: boolean | undefined): DebugLog | undefined {
  const on = wanted ?? /[?&]ferry_debug=1(&|$)/.test((globalThis as { location?: Location }).location?.search ?? '');
  return on ? (...what) => console.log('[ferry]', ...what) : undefined;
}
