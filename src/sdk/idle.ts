/**
 * Runs `fn` when the page is idle (requestIdleCallback, at most two seconds later), else after
 * the current task: for one-time work that should not land inside a page's own handler.
 */
export function whenIdle(fn: () => void): void {
  const g = globalThis as { requestIdleCallback?: (cb: () => void, opts?: { timeout: number }) => number };
  if (typeof g.requestIdleCallback === 'function') g.requestIdleCallback(fn, { timeout: 2_000 });
  else setTimeout(fn, 0);
}
