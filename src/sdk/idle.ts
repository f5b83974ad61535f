/**
 * Runs `fn` when the page is idle (requestIdleCallback, at most `timeoutMs` later), else after
 * the current task: for one-time work that should not land inside a page's own handler.
 */
export function whenIdle(fn: () => void, timeoutMs = 2_000): void {
  const g = globalThis as { requestIdleCallback?: (cb: () => void, opts?: { timeout: number }) => number };
  if (typeof g.requestIdleCallback === 'function') g.requestIdleCallback(fn, { timeout: timeoutMs });
  else setTimeout(fn, 0);
}
