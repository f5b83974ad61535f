import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { FerryError } from '../../protocol/errors.js';
import { httpError } from '../errors.js';

export interface OperatorGuardOptions {
  /** Bearer token every request must carry, when set. */
  token?: string;
  /** Host names the Host header may name (lower case; IPv6 in brackets). */
  allowedHosts: readonly string[];
}

/** `example.com:8081` → `example.com`, `[::1]:8081` → `[::1]`. */
export function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Equal-length digests make the comparison constant-time whatever the candidate's length; the
 * token's length does not leak either.
 */
function tokenMatches(expected: Buffer, authorization: string | undefined): boolean {
  const m = /^Bearer (.+)$/i.exec(authorization ?? '');
  return timingSafeEqual(expected, digest(m ? m[1]!.trim() : ''));
}

const refuse = (message: string) => new FerryError('forbidden', message);

/**
 * Who may use the operator listener. Checked on every request, before routing:
 * - the Host header must name an allowed host: a page that rebinds its own domain to 127.0.0.1
 *   still sends its own name (DNS rebinding);
 * - no browser page of another origin: a cross-origin request carries `Origin` (and
 *   `Sec-Fetch-Site`); refusing it stops writes that need no preflight (a no-cors POST), and
 *   with no CORS headers here a page cannot read any answer anyway;
 * - the Bearer token, when one is configured, compared in constant time.
 * Client addresses are never trusted: behind a proxy on the same host everybody is loopback.
 */
export const operatorGuard = fp<OperatorGuardOptions>(async (scope, options) => {
  const allowed = new Set(options.allowedHosts.map((h) => h.toLowerCase()));
  const expected = options.token === undefined ? undefined : digest(options.token);
  scope.addHook('onRequest', async (req: FastifyRequest) => {
    const host = req.headers.host;
    if (!host || !allowed.has(hostnameOf(host))) throw refuse(`operator API: the Host "${host ?? ''}" is not one of admin.allowedHosts`);
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) throw refuse('operator API: requests from web pages of another origin are refused');
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') throw refuse('operator API: requests from web pages of another origin are refused');
    if (expected && !tokenMatches(expected, req.headers.authorization)) throw httpError('unauthorized', 'operator API: missing or wrong Bearer token');
  });
}, { name: 'ferry-operator-guard' });
