import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { expect, type Page } from '@playwright/test';
import { cleanup, startFerry, storedEvents, type FerryProcess } from './ferry-process.js';

/**
 * The website and the network between the browser and a real Ferry server, for SDK e2e tests.
 * It serves test pages and the built SDK, and forwards /v1/* to a `ferry serve` process —
 * or, on the test's say-so, answers 503 itself, answers a CDN's HTML 404 page, holds each
 * request `holdMs` (a slow collector) or cuts the connection. Every request is logged with when
 * it came and when it was answered. What Ferry stored (its own SQLite file) is the truth the
 * tests assert on.
 */
export type Mode = 'ok' | 'fail503' | 'html404' | 'down';

export interface Forwarded {
  events: Array<Record<string, unknown>>;
  /** When the request arrived and when its answer was written (epoch ms; end 0 until then). */
  start: number;
  end: number;
  gzip: boolean;
  contentType: string;
  status: number;
  duplicates: number;
}

export interface Site {
  url: string;
  writeKey: string;
  mode: Mode;
  /** Extra time each /v1 request is held before it is answered, plus some per event it carries (a slow uplink). */
  holdMs: number;
  holdMsPerEvent: number;
  requests: Forwarded[];
  maxConcurrent: number;
  ferry: FerryProcess;
  /** Registers a test page; returns its URL. */
  page(body: string): string;
  /** Events Ferry has stored, in ingestion order. */
  stored(): Array<Record<string, unknown>>;
  duplicates(): number;
  close(): Promise<void>;
}

const root = new URL('../../', import.meta.url);
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.map': 'application/json' };

function html(body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>ferry test page</title></head><body>${body}</body></html>`;
}

export async function startSite(): Promise<Site> {
  const writeKey = 'test-key';
  const ferry = await startFerry({ args: ['--write-key', writeKey] });
  const target = new URL(ferry.url);
  let concurrent = 0;
  const pages = new Map<string, string>();
  const state = { mode: 'ok' as Mode, holdMs: 0, holdMsPerEvent: 0, requests: [] as Forwarded[], maxConcurrent: 0 };

  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      const out = httpRequest(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        },
      );
      out.on('error', reject);
      out.end(body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && pages.has(url.pathname)) {
      res.setHeader('Content-Type', 'text/html');
      return res.end(html(pages.get(url.pathname)!));
    }
    if (req.method === 'GET' && url.pathname.startsWith('/dist/')) {
      try {
        const file = await readFile(new URL(`.${url.pathname}`, root));
        res.setHeader('Content-Type', TYPES[url.pathname.slice(url.pathname.lastIndexOf('.'))] ?? 'application/octet-stream');
        return res.end(file);
      } catch {
        res.statusCode = 404;
        return res.end();
      }
    }
    if (url.pathname.startsWith('/v1/')) {
      concurrent++;
      state.maxConcurrent = Math.max(state.maxConcurrent, concurrent);
      try {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const raw = Buffer.concat(chunks);
        const start = Date.now();
        const gzip = raw[0] === 0x1f && raw[1] === 0x8b;
        let events: Array<Record<string, unknown>> = [];
        try {
          events = (JSON.parse((gzip ? gunzipSync(raw) : raw).toString('utf8')) as { batch?: Array<Record<string, unknown>> }).batch ?? [];
        } catch {
          // not ours to judge: Ferry answers it
        }
        const record: Forwarded = { events, start, end: 0, gzip, contentType: String(req.headers['content-type']), status: 0, duplicates: 0 };
        state.requests.push(record);
        res.on('finish', () => (record.end = Date.now()));
        res.on('close', () => (record.end ||= Date.now()));
        if (state.mode === 'down') return void req.socket.destroy();
        // Hold each request a little so that overlapping senders would show in maxConcurrent.
        await new Promise((r) => setTimeout(r, 5 + state.holdMs + state.holdMsPerEvent * events.length));
        record.status = 503;
        if (state.mode === 'html404') {
          record.status = 404;
          res.writeHead(404, { 'Content-Type': 'text/html' });
          return res.end('<!doctype html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><hr>cdn</body></html>');
        }
        if (state.mode === 'fail503') {
          res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1', 'Access-Control-Allow-Origin': '*' });
          return res.end(JSON.stringify({ ok: false, code: 'overloaded', error: 'the test says 503' }));
        }
        const answer = await forward(req, raw);
        record.status = answer.status;
        try {
          record.duplicates = Number((JSON.parse(answer.body.toString()) as { duplicates?: number }).duplicates ?? 0);
        } catch {
          record.duplicates = 0;
        }
        const headers = Object.fromEntries(Object.entries(answer.headers).filter(([k, v]) => v !== undefined && !['connection', 'keep-alive', 'transfer-encoding'].includes(k))) as Record<string, string>;
        res.writeHead(answer.status, headers);
        return res.end(answer.body);
      } finally {
        concurrent--;
      }
    }
    res.statusCode = 404;
    res.end();
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      res.statusCode = 502;
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return Object.assign(state, {
    url,
    writeKey,
    ferry,
    page(body: string) {
      const path = `/page/${pages.size + 1}`;
      pages.set(path, body);
      return `${url}${path}`;
    },
    stored: () => storedEvents(ferry.dataDir).map((e) => e.event),
    duplicates: () => state.requests.reduce((n, r) => n + r.duplicates, 0),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await ferry.kill();
      cleanup(ferry.dataDir);
    },
  });
}

/** The bundle has replaced the snippet's stub and the queue is open. */
export async function sdkReady(page: Page): Promise<void> {
  await page.waitForFunction(() => typeof (window as unknown as { ferry?: { state?: unknown } }).ferry?.state === 'function');
  await expect.poll(() => page.evaluate(() => (window as unknown as { ferry: { state(): Promise<{ storage: string }> } }).ferry.state().then((s) => s.storage))).not.toBe('none');
}

/** `n` track() calls in one task, named prefix0, prefix1, … */
export async function trackMany(page: Page, prefix: string, n: number): Promise<void> {
  await page.evaluate(({ prefix, n }) => {
    const f = (window as unknown as { ferry: { track(e: string, p: object): void } }).ferry;
    for (let i = 0; i < n; i++) f.track(`${prefix}${i}`, { i });
  }, { prefix, n });
}
