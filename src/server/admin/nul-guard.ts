import type { FastifyRequest } from 'fastify';
import { httpError } from '../errors.js';

/**
 * Where the first string holding a NUL character is in a parsed request part (a key or a
 * value), as `part.key[0]`; undefined when there is none. Iterative: a deep body cannot
 * overflow the stack.
 */
export function nulPath(value: unknown, part: string): string | undefined {
  const stack: Array<[unknown, string]> = [[value, part]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [v, path] = item;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return path;
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push([x, `${path}[${i}]`]));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\u0000')) return `${path} (a key)`;
        stack.push([x, `${path}.${k}`]);
      }
    }
  }
  return undefined;
}

/**
 * No stored id, name or text holds a NUL (ingestion refuses them, PostgreSQL's text cannot hold
 * one), so an operator's input with one can match nothing and, on PostgreSQL, would fail its
 * statement: it is refused up front, naming where it was, on either store.
 */
export async function refuseNul(req: FastifyRequest): Promise<void> {
  const where = nulPath(req.params, 'params') ?? nulPath(req.query, 'query') ?? nulPath(req.body, 'body');
  if (where) throw httpError('invalid_body', `${where} holds a NUL character, which no id, name or text may contain`);
}
