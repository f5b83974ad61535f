import type { ServerErrorCode } from '../../protocol/errors.js';
import { MAX_EVENT_DEPTH, MAX_EVENT_KEYS } from '../../protocol/limits.js';

export interface ShapeProblem {
  code: Extract<ServerErrorCode, 'event_too_deep' | 'event_too_many_keys'>;
  reason: string;
}

/**
 * Checks depth and key count of a parsed JSON value without recursion: this walk is what makes
 * a 200,000-level value safe to look at, where JSON.stringify (recursive) overflows the stack.
 * The value itself is depth 1. Stops at the first limit crossed.
 */
export function shapeProblem(value: unknown, what = 'the event', maxDepth = MAX_EVENT_DEPTH, maxKeys = MAX_EVENT_KEYS): ShapeProblem | undefined {
  const stack: Array<{ v: object; depth: number }> = [];
  if (typeof value === 'object' && value !== null) stack.push({ v: value, depth: 1 });
  let keys = 0;
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (depth > maxDepth) return { code: 'event_too_deep', reason: `${what} nests objects and arrays more than ${maxDepth} levels deep` };
    const children = Array.isArray(v) ? (v as unknown[]) : Object.values(v);
    if (!Array.isArray(v)) {
      keys += children.length;
      if (keys > maxKeys) return { code: 'event_too_many_keys', reason: `${what} has more than ${maxKeys} object keys` };
    }
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push({ v: child, depth: depth + 1 });
  }
  return undefined;
}
