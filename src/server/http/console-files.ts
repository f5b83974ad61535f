import type { FastifyInstance, FastifyReply } from 'fastify';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { httpError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { TOKEN_FREE } from './operator-guard.js';

const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
/** A flat folder of plain names: nothing a path could climb out of. */
const FILE_RE = /^([a-z0-9-]+)\.(html|js|css|svg)$/;

/**
 * The page may load its own files and call its own origin, nothing else: no inline script (the
 * console shows event contents, which anybody who knows a write key can write), no frame of it
 * in another page (clickjacking a one-click abort), no form posting elsewhere.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The operator console: static files from the package's console/ folder, under /console/ on the
 * operator listener. The files hold no data, so they are served without the token (TOKEN_FREE);
 * the Host and Origin checks of the guard still apply, and every data request of the page goes
 * to /admin with the token.
 */
export function registerConsole(app: FastifyInstance, dir = join(packageRoot(), 'console')): void {
  const send = async (reply: FastifyReply, name: string) => {
    const m = FILE_RE.exec(name);
    if (!m) throw httpError('not_found', `no console file ${name}`);
    let body: Buffer;
    try {
      body = await readFile(join(dir, name));
    } catch {
      throw httpError('not_found', `no console file ${name}`);
    }
    return reply
      .header('Content-Security-Policy', CSP)
      .header('X-Content-Type-Options', 'nosniff')
      .header('X-Frame-Options', 'DENY')
      .header('Referrer-Policy', 'no-referrer')
      .header('Cache-Control', 'no-store')
      .type(TYPES[m[2]!]!)
      .send(body);
  };
  const config = TOKEN_FREE;
  app.get('/', { config }, async (_req, reply) => reply.redirect('/console/'));
  app.get('/console', { config }, async (_req, reply) => reply.redirect('/console/'));
  app.get('/console/', { config }, async (_req, reply) => send(reply, 'index.html'));
  app.get<{ Params: { file: string } }>('/console/:file', { config }, async (req, reply) => send(reply, req.params.file));
}
