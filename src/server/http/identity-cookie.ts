import type { FastifyPluginAsync } from 'fastify';
import type { IdentityCookieConfig } from '../config.js';

/**
 * GET /v1/identity: re-issues the SDK's anonymousId cookie from the server's own response.
 * Safari keeps a cookie written by `document.cookie` at most seven days; one set by a first-party
 * server's Set-Cookie lives its Max-Age. A page calls it with credentials, without CORS:
 *   fetch('https://collect.example.com/v1/identity', { mode: 'no-cors', credentials: 'include' })
 * The id comes from the request's cookie, else from `?anonymousId=`; anything that is not a
 * plain id gets 204 and no cookie. The answer carries no data, so it is safe on the public surface.
 */
const PLAIN_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function identityCookieHeader(config: IdentityCookieConfig, id: string): string {
  const domain = config.domain ? `; Domain=${config.domain}` : '';
  const secure = config.secure ? '; Secure' : '';
  return `${config.name}=${encodeURIComponent(id)}; Max-Age=${config.maxAgeDays * 86_400}; Path=/; SameSite=Lax${domain}${secure}`;
}

export const identityCookie: FastifyPluginAsync<IdentityCookieConfig> = async (app, config) => {
  app.get('/v1/identity', async (req, reply) => {
    const query = (req.query ?? {}) as Record<string, unknown>;
    const id = readCookie(req.headers.cookie, config.name) ?? (typeof query.anonymousId === 'string' ? query.anonymousId : undefined);
    reply.header('Cache-Control', 'no-store');
    if (id !== undefined && PLAIN_ID.test(id)) reply.header('Set-Cookie', identityCookieHeader(config, id));
    return reply.code(204).send();
  });
};
