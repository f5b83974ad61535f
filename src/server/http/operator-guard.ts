import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { FerryError } from '../../protocol/errors.js';
import { httpError } from '../errors.js';
import { hostnameOf, isIpLiteral, validHost } from './host-header.js';

/** Loopback names, always allowed in the Host header of an operator surface. */
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', 'localhost', '[::1]'];

export interface OperatorGuardOptions {
  /** Bearer token every request must carry, when set. */
  token?: string;
  /** Host names the Host header may name (lower case; IPv6 in brackets). */
  allowedHosts: readonly string[];
  /**
   * Also allow any IPv4 or IPv6 literal: DNS rebinding needs a name, so an address cannot be
   * one (the demo, opened from a phone by the machine's LAN address).
   */
  allowIpLiterals?: boolean;
  /** Whose API this is, for the refusal messages. */
  surface?: string;
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
 * Route config of a route served without the token (the console's static files: code from the
 * package, no data). A browser cannot send a Bearer token with a navigation; every data request
 * the page then makes carries it. Set per route, never by URL prefix, so no path spelling
 * (`/console/../admin/events`) can borrow it.
 */
export const TOKEN_FREE = { operatorTokenFree: true } as const;

/**
 * Who may use the operator listener. Checked on every request, before routing:
 * - the Host header must name an allowed host: a page that rebinds its own domain to 127.0.0.1
 *   still sends its own name (DNS rebinding);
 * - no browser page of another origin: a cross-origin request carries `Origin` (and
 *   `Sec-Fetch-Site`); refusing it stops writes that need no preflight (a no-cors POST), and
 *   with no CORS headers here a page cannot read any answer anyway;
 * - the Bearer token, when one is configured, compared in constant time (except on TOKEN_FREE
 *   routes).
 * Client addresses are never trusted: behind a proxy on the same host everybody is loopback.
 */
export const operatorGuard = fp<OperatorGuardOptions>(async (scope, options) => {
  // In the form validHost passes a Host on in (a URL's): `[0:0:0:0:0:0:0:1]` is `[::1]`.
  const allowed = new Set(options.allowedHosts.map((h) => {
    const name = h.toLowerCase();
    try {
      return new URL(`http://${name}`).hostname;
    } catch {
      return name;
    }
  }));
  const surface = options.surface ?? 'operator API';
  const hostAllowed = (name: string) => allowed.has(name) || (options.allowIpLiterals === true && isIpLiteral(name));
  const expected = options.token === undefined ? undefined : digest(options.token);
  scope.addHook('onRequest', async (req: FastifyRequest) => {
    // Parsed strictly: a Host that is not a plain host[:port] is refused as a whole.
    const host = validHost(req.headers.host);
    if (!host || !hostAllowed(hostnameOf(host))) throw refuse(`${surface}: the Host "${req.headers.host ?? ''}" is not an allowed host[:port]`);
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) throw refuse(`${surface}: requests from web pages of another origin are refused`);
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') throw refuse(`${surface}: requests from web pages of another origin are refused`);
    const tokenFree = (req.routeOptions.config as { operatorTokenFree?: boolean } | undefined)?.operatorTokenFree === true;
    if (expected && !tokenFree && !tokenMatches(expected, req.headers.authorization)) throw httpError('unauthorized', `${surface}: missing or wrong Bearer token`);
  });
}, { name: 'ferry-operator-guard' });
