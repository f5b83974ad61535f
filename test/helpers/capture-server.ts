import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in collector for SDK e2e tests: serves the built SDK and test pages, decodes
 * batches, and answers according to a mode the test sets. It dedupes by messageId the way
 * the reference server does, so "exactly once" is measurable.
 */
export type Mode = 'ok' | 'fail503' | 'down';

export interface Received {
  messageIds: string[];
  events: Array<Record<string, unknown>>;
  gzip: boolean;
  contentType: string;
  status: number;
}

export interface CaptureServer {
  url: string;
  mode: Mode;
  requests: Received[];
  /** Accepted events in order of first arrival, one per messageId. */
  accepted: Array<Record<string, unknown>>;
  duplicates: number;
  maxConcurrent: number;
  /** Registers a test page; returns its URL. */
  page(body: string): string;
  close(): Promise<void>;
}

const root = new URL('../../', import.meta.url);

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.map': 'application/json' };

function page(body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>ferry test page</title></head><body>${body}</body></html>`;
}

export async function startCaptureServer(): Promise<CaptureServer> {
  let concurrent = 0;
  const seen = new Set<string>();
  const pages = new Map<string, string>();
  const state: Omit<CaptureServer, 'url' | 'close' | 'page'> = { mode: 'ok', requests: [], accepted: [], duplicates: 0, maxConcurrent: 0 };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.method === 'GET' && pages.has(url.pathname)) {
      res.setHeader('Content-Type', 'text/html');
      return res.end(page(pages.get(url.pathname)!));
    }
    if (req.method === 'GET' && (url.pathname.startsWith('/dist/'))) {
      try {
        const file = await readFile(new URL(`.${url.pathname}`, root));
        res.setHeader('Content-Type', TYPES[url.pathname.slice(url.pathname.lastIndexOf('.'))] ?? 'application/octet-stream');
        return res.end(file);
      } catch {
        res.statusCode = 404;
        return res.end();
      }
    }
    if (req.method === 'POST' && url.pathname === '/v1/batch') {
      concurrent++;
      state.maxConcurrent = Math.max(state.maxConcurrent, concurrent);
      try {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const raw = Buffer.concat(chunks);
        if (state.mode === 'down') {
          req.socket.destroy();
          return;
        }
        const gzip = raw[0] === 0x1f && raw[1] === 0x8b;
        const body = JSON.parse((gzip ? gunzipSync(raw) : raw).toString('utf8')) as { batch: Array<Record<string, unknown>> };
        // Hold the request briefly so that overlapping senders would show in maxConcurrent.
        await new Promise((r) => setTimeout(r, 5));
        const status = state.mode === 'fail503' ? 503 : 200;
        state.requests.push({ messageIds: body.batch.map((e) => String(e.messageId)), events: body.batch, gzip, contentType: String(req.headers['content-type']), status });
        if (status === 200) {
          for (const e of body.batch) {
            const id = String(e.messageId);
            if (seen.has(id)) state.duplicates++;
            else {
              seen.add(id);
              state.accepted.push(e);
            }
          }
          res.setHeader('Content-Type', 'application/json');
          return res.end(JSON.stringify({ ok: true, accepted: body.batch.length, duplicates: 0, rejected: [] }));
        }
        res.statusCode = 503;
        res.setHeader('Retry-After', '1');
        return res.end(JSON.stringify({ ok: false, code: 'overloaded', error: 'test says 503' }));
      } finally {
        concurrent--;
      }
    }
    res.statusCode = 404;
    res.end();
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    page(body: string) {
      const path = `/page/${pages.size + 1}`;
      pages.set(path, body);
      return `http://127.0.0.1:${port}${path}`;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}
