import { getLocal, readCookie } from './cookies.js';

/**
 * An id analytics.js (classic or analytics-next) left behind: `ajs_anonymous_id` /
 * `ajs_user_id`, in a cookie or in localStorage, raw or JSON-quoted (`"abc"`, `%22abc%22` in a
 * cookie, `123` for a numeric userId). Read once, on a visitor's first load of Ferry, so that
 * a site moving from analytics.js keeps its visitors.
 */
export function analyticsJsId(name: 'ajs_anonymous_id' | 'ajs_user_id'): string | null {
  const raw = readCookie(name) ?? getLocal(name);
  if (!raw) return null;
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // unquoted: the id itself
  }
  return typeof parsed === 'string' || typeof parsed === 'number' ? String(parsed) || null : null;
}
