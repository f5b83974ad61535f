// The one local origin of the SDK comparison: it serves the bench pages and every SDK's files
// from node_modules, answers the settings each SDK fetches, and collects what they send. Events
// are recognised by a marker in their properties (`@b<index>@`), found in any format an SDK
// uses (JSON, gzip, base64 form bodies, a JSON string inside a field), so nothing here parses
// one vendor's protocol.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { gzipSync, gunzipSync } from 'node:zlib';

export const MARKER = /@b(\d+)@/g;

// Cross-origin isolation gives performance.now() 5 µs resolution instead of 100 µs.
const ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' };

/** Every marker index in a request body, however the SDK encoded it. */
export function markersIn(body) {
  let text = body.length > 1 && body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body).toString('utf8') : body.toString('utf8');
  // PostHog's base64 compression: a form body `data=<base64 of the JSON>`.
  if (text.startsWith('data=')) text = Buffer.from(decodeURIComponent(text.slice(5).split('&')[0]), 'base64').toString('utf8');
  return [...text.matchAll(MARKER)].map((m) => Number(m[1]));
}

function answerFor(path, events) {
  if (path.endsWith('/2/httpapi')) return { code: 200, events_ingested: events, payload_size_bytes: 0, server_upload_time: Date.now() };
  if (path.startsWith('/v1/')) return { ok: true, accepted: events, duplicates: 0, rejected: [] };
  return { status: 1 };
}

/**
 * opts.pages: path -> html; opts.files: path -> file URL; opts.dirs: path prefix -> directory URL;
 * opts.json: (path, origin, url) -> object (JSON) | string (a script) | undefined: the settings answers, GET or POST.
 */
export async function startCollector(opts) {
  let session = newSession('idle');
  const cache = new Map();
  const file = async (url) => {
    if (!cache.has(url.href)) cache.set(url.href, await readFile(url));
    return cache.get(url.href);
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  });
  const origin = () => `http://127.0.0.1:${server.address().port}`;

  async function handle(req, res, body) {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const s = session;
    if (req.method === 'OPTIONS') {
      return res.writeHead(204, { ...ISOLATED, 'Access-Control-Allow-Origin': req.headers.origin ?? '*', 'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '*', 'Access-Control-Allow-Methods': 'GET, POST', 'Access-Control-Allow-Credentials': 'true' }).end();
    }
    const cors = req.headers.origin ? { 'Access-Control-Allow-Origin': req.headers.origin, 'Access-Control-Allow-Credentials': 'true' } : {};
    const json = opts.json(path, origin(), url);
    if (json !== undefined) {
      s.settings.push(path);
      if (typeof json === 'string') return res.writeHead(200, { ...ISOLATED, ...cors, 'Content-Type': 'text/javascript', 'Cache-Control': 'no-store' }).end(json);
      return res.writeHead(200, { ...ISOLATED, ...cors, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(json));
    }
    if (req.method === 'POST') {
      const at = Date.now();
      let markers = [];
      try {
        markers = markersIn(body);
      } catch {
        s.undecoded++;
      }
      // Request line and headers as they came: what a request costs on the wire besides its body.
      const headerBytes = `${req.method} ${req.url} HTTP/1.1\r\n`.length + req.rawHeaders.reduce((n, h) => n + h.length + 2, 0) + 2; // `name: value\r\n` per pair, a blank line
      s.posts.push({ path, bodyBytes: body.length, headerBytes, markers: markers.length });
      for (const m of markers) {
        const seen = s.arrivals.get(m);
        if (seen) seen.count++;
        else s.arrivals.set(m, { count: 1, at });
      }
      if (markers.length) s.lastNew = Math.max(s.lastNew, at);
      const answer = answerFor(path, markers.length);
      return res.writeHead(200, { ...ISOLATED, ...cors, 'Content-Type': 'application/json' }).end(JSON.stringify(answer));
    }
    const page = opts.pages[path];
    if (page !== undefined) return res.writeHead(200, { ...ISOLATED, 'Content-Type': 'text/html' }).end(page);
    let target = opts.files[path];
    if (!target) {
      const prefix = Object.keys(opts.dirs).find((p) => path.startsWith(p));
      if (prefix && !path.includes('..')) target = new URL(path.slice(prefix.length), opts.dirs[prefix]);
    }
    if (target) {
      let bytes;
      try {
        bytes = await file(target);
      } catch {
        s.missing.push(path);
        return res.writeHead(404, ISOLATED).end();
      }
      s.served.push({ path, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
      return res.writeHead(200, { ...ISOLATED, ...cors, 'Content-Type': 'text/javascript' }).end(bytes);
    }
    s.missing.push(path);
    res.writeHead(404, { ...ISOLATED, ...cors }).end();
  }

  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: origin(),
    /** Starts counting afresh (one SDK, one phase) and returns the new tally. */
    begin(label) {
      session = newSession(label);
      return session;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function newSession(label) {
  return { label, served: [], settings: [], missing: [], posts: [], arrivals: new Map(), lastNew: 0, undecoded: 0 };
}
