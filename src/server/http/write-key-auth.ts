import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isPlainObject } from '../../protocol/json.js';
import type { SourceConfig } from '../config.js';
import { httpError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The source whose write key the request carries (set by write-key-auth). */
    source: string;
  }
}

/** The user name of an HTTP Basic `Authorization` header (where clients put the write key), if any. */
export function basicAuthUser(auth: string | undefined): string | undefined {
  if (!auth || !/^basic /i.test(auth)) return undefined;
  const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
  const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
  return user || undefined;
}

function writeKeyOf(req: FastifyRequest, body: Record<string, unknown>): string | undefined {
  const user = basicAuthUser(req.headers.authorization);
  if (user) return user;
  if (typeof body.writeKey === 'string' && body.writeKey) return body.writeKey;
  return undefined;
}

/**
 * Write-key auth for the ingestion scope: HTTP Basic with the key as user name (server-side
 * clients), or `writeKey` in the body (browsers, beacons). Unknown or missing key: 401.
 * Write keys are public (they ship in web pages): they name a source, they do not guard secrets.
 */
export const writeKeyAuth = fp<{ sources: readonly SourceConfig[] }>(async (scope, { sources }) => {
  const sourceByKey = new Map<string, string>();
  for (const s of sources) for (const k of s.writeKeys) sourceByKey.set(k, s.name);
  scope.decorateRequest('source', '');
  scope.addHook('preHandler', async (req) => {
    if (!isPlainObject(req.body)) throw httpError('invalid_body', 'the request has no body; send a JSON object');
    const key = writeKeyOf(req, req.body);
    if (!key) throw httpError('unauthorized', 'no write key: use HTTP Basic auth with the write key as user name, or "writeKey" in the body');
    const source = sourceByKey.get(key);
    if (!source) throw httpError('unauthorized', 'unknown write key');
    req.source = source;
  });
}, { name: 'ferry-write-key-auth' });
