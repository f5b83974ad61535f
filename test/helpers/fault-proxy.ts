import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { expect, type Page } from '@playwright/test';
import { cleanup, startFerry, storedEvents, type FerryProcess } from './ferry-process.js';

/**
 * The network between a client and a real server, with faults on demand. Two uses:
 * - `startSite`: the website for SDK e2e and chaos tests. It serves test pages and the built SDK,
 *   and forwards /v1/* to a `ferry serve` process — or, on the test's say-so, answers 503
 *   itself, answers a CDN's HTML 404 page, refuses the connection, holds the request (`holdMs`: a
 *   slow collector), or cuts the answer after Ferry committed.
 *   What Ferry stored (its own SQLite file) is the truth the tests assert on.
 * - `startFaultProxy`: the same faults in front of any HTTP target (a webhook destination).
 */
export type Mode = 'ok' | 'fail503' | 'html404' | 'down';

/** What the proxy does with one request. */
export type Fault =
  | 'pass'
  /** Close the connection unread: nothing reaches the target, the client sees a network error. */
  | 'refuse'
  /** Forward, let the target answer, then close the connection: the target acted, the answer is lost. */
  | 'cut'
  /** Forward, then never answer: the client's own timeout decides. */
  | 'hang'
  /** Answer this status without forwarding. */
  | { status: number; retryAfter?: string; body?: string; contentType?: string; location?: string }
  /** Wait for `hold` before doing `then` (a browser killed meanwhile never gets an answer). */
  | { hold: Promise<unknown>; then: Fault }
  /** Forward at once, then wait for `holdAnswer` before answering: the target has acted, the client waits. */
  | { holdAnswer: Promise<unknown> };

export interface Forwarded {
  /** The request's method and path with its query, as sent to the proxy. */
  method: string;
  path: string;
  events: Array<Record<string, unknown>>;
  /** When the request arrived and when its answer was written or dropped (epoch ms; end 0 until then). */
  start: number;
  end: number;
  gzip: boolean;
  contentType: string;
  /** Status the target (or the proxy itself) answered; 0 when nothing answered. */
  status: number;
  duplicates: number;
  /** The fault applied, for logs. */
  fault: string;
  /** The answer was written to the client in full (not refused, cut, or hung). */
  answered: boolean;
  /** When the request's body had arrived, and when its answer was written in full (ms since epoch). */
  at: number;
  answeredAt?: number;
  /** The test's label for the target's incarnation when this request came (see `epoch`). */
  epoch: number;
}

/** Chooses the fault for the n-th request (1-based); the record is filled in as the request goes. */
export type FaultPolicy = (req: Forwarded, n: number) => Fault;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding'];

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const out = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

/** Past Ferry's batch limit: a bigger body holds no events the proxy needs to see. */
const MAX_INFLATED_BYTES = 1024 * 1024;

/**
 * The events of a Segment-style body (`{batch:[...]}`, gzip or not); [] when it is not one.
 * Inflation is bounded: a gzip bomb inflated here would block the test process, and with it
 * every proxy and sink it runs (answers late, router timeouts, skewed timings).
 */
function eventsOf(raw: Buffer): { events: Array<Record<string, unknown>>; gzip: boolean } {
  const gzip = raw[0] === 0x1f && raw[1] === 0x8b;
  try {
    const body = JSON.parse((gzip ? gunzipSync(raw, { maxOutputLength: MAX_INFLATED_BYTES }) : raw).toString('utf8')) as { batch?: unknown };
    return { events: Array.isArray(body?.batch) ? (body.batch as Array<Record<string, unknown>>) : [], gzip };
  } catch {
    // not ours to judge: the target answers it
    return { events: [], gzip };
  }
}

function answered(record: Forwarded): void {
  record.answered = true;
  record.answeredAt = Date.now();
}

function describeFault(f: Fault): string {
  if (typeof f === 'string') return f;
  if ('status' in f) return String(f.status);
  if ('hold' in f) return `hold+${describeFault(f.then)}`;
  return 'hold-answer';
}

/** Applies `fault` to one request whose body is `raw`; `record` says what happened. */
async function applyFault(fault: Fault, target: URL, req: IncomingMessage, res: ServerResponse, raw: Buffer, record: Forwarded): Promise<void> {
  if (fault === 'refuse') return void req.socket.destroy();
  if (typeof fault === 'object' && 'status' in fault) {
    res.writeHead(fault.status, { 'Content-Type': fault.contentType ?? 'application/json', 'Access-Control-Allow-Origin': '*', ...(fault.retryAfter === undefined ? {} : { 'Retry-After': fault.retryAfter }), ...(fault.location === undefined ? {} : { Location: fault.location }) });
    record.status = fault.status;
    res.end(fault.body ?? JSON.stringify({ ok: false, code: 'overloaded', error: `the fault proxy says ${fault.status}` }), () => answered(record));
    return;
  }
  if (typeof fault === 'object' && 'hold' in fault) {
    await fault.hold;
    // A client killed meanwhile is gone: nothing to forward for it.
    if (req.socket.destroyed) return;
    return applyFault(fault.then, target, req, res, raw, record);
  }
  const answer = await forward(target, req, raw);
  record.status = answer.status;
  try {
    record.duplicates = Number((JSON.parse(answer.body.toString()) as { duplicates?: number }).duplicates ?? 0);
  } catch {
    record.duplicates = 0;
  }
  if (fault === 'cut') return void req.socket.destroy();
  if (fault === 'hang') {
    if (!req.socket.destroyed) await new Promise((r) => req.socket.once('close', r));
    return;
  }
  if (typeof fault === 'object' && 'holdAnswer' in fault) await fault.holdAnswer;
  if (req.socket.destroyed) return;
  const headers = Object.fromEntries(Object.entries(answer.headers).filter(([k, v]) => v !== undefined && !HOP_BY_HOP.includes(k))) as Record<string, string>;
  res.writeHead(answer.status, headers);
  res.end(answer.body, () => answered(record));
}

/** Reads the body, records the request, applies the policy's fault; a target that is down gets the client a 502. */
async function proxyRequest(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  state: { requests: Forwarded[]; epoch: number },
  choose: (record: Forwarded, n: number) => Fault,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  const record: Forwarded = { method: req.method ?? '', path: req.url ?? '', ...eventsOf(raw), contentType: String(req.headers['content-type']), status: 0, duplicates: 0, fault: 'pass', answered: false, at: Date.now(), start: Date.now(), end: 0, epoch: state.epoch };
  state.requests.push(record);
  res.on('finish', () => (record.end = Date.now()));
  res.on('close', () => (record.end ||= Date.now()));
  const fault = choose(record, state.requests.length);
  record.fault = describeFault(fault);
  try {
    await applyFault(fault, target, req, res, raw, record);
  } catch (err) {
    record.status = 502;
    if (!res.headersSent && !req.socket.destroyed) res.writeHead(502, { 'Access-Control-Allow-Origin': '*' }).end(String(err), () => answered(record));
  }
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

export interface FaultProxy {
  /** The proxy's base URL; the request's path is kept. */
  url: string;
  /** Where requests go; may be changed while running (a restarted target on a new port). */
  target: string;
  requests: Forwarded[];
  fault: FaultPolicy | undefined;
  /** Copied into each request's record: the test bumps it when it restarts the target. */
  epoch: number;
  close(): Promise<void>;
}

/** A fault-injecting HTTP proxy in front of `target` (for instance a webhook destination). */
export async function startFaultProxy(target: string, fault?: FaultPolicy): Promise<FaultProxy> {
  const state = { target, requests: [] as Forwarded[], fault, epoch: 0 };
  const server = createServer((req, res) => {
    void proxyRequest(req, res, new URL(state.target), state, (r, n) => state.fault?.(r, n) ?? 'pass').catch(() => res.destroy());
  });
  const url = await listen(server);
  return Object.assign(state, { url, close: () => closeServer(server) });
}

export interface Site {
  url: string;
  writeKey: string;
  mode: Mode;
  /** Extra time each /v1 request is held before it is answered, plus some per event it carries (a slow uplink). */
  holdMs: number;
  holdMsPerEvent: number;
  /** Consulted for each /v1 request while `mode` is 'ok'. */
  fault: FaultPolicy | undefined;
  /** Copied into each request's record: the test bumps it when it restarts Ferry. */
  epoch: number;
  requests: Forwarded[];
  maxConcurrent: number;
  /** The Ferry behind the site; a test that restarts Ferry assigns the new process here. */
  ferry: FerryProcess;
  /** Registers a test page; returns its URL. */
  page(body: string): string;
  /** Events Ferry has stored, in ingestion order. */
  stored(): Array<Record<string, unknown>>;
  duplicates(): number;
  /** Stops the site; also kills and removes the Ferry it started itself (not one it was given). */
  close(): Promise<void>;
}

const root = new URL('../../', import.meta.url);
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.map': 'application/json' };
const FAIL_503: Fault = { status: 503, retryAfter: '1', body: JSON.stringify({ ok: false, code: 'overloaded', error: 'the test says 503' }) };
/** What a CDN or a misrouted deploy answers: not Ferry's, says nothing about the events. */
const HTML_404: Fault = { status: 404, contentType: 'text/html', body: '<!doctype html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><hr>cdn</body></html>' };

function html(body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>ferry test page</title></head><body>${body}</body></html>`;
}

export async function startSite(opts: { ferry?: FerryProcess; writeKey?: string } = {}): Promise<Site> {
  const writeKey = opts.writeKey ?? 'test-key';
  const ferry = opts.ferry ?? (await startFerry({ args: ['--write-key', writeKey] }));
  let concurrent = 0;
  const pages = new Map<string, string>();
  const state = { mode: 'ok' as Mode, holdMs: 0, holdMsPerEvent: 0, fault: undefined as FaultPolicy | undefined, epoch: 0, requests: [] as Forwarded[], maxConcurrent: 0, ferry };

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
        return await proxyRequest(req, res, new URL(state.ferry.url), state, (record, n) => {
          if (state.mode === 'down') return 'refuse';
          // Hold each request a little so that overlapping senders would show in maxConcurrent.
          const held = { hold: new Promise((r) => setTimeout(r, 5 + state.holdMs + state.holdMsPerEvent * record.events.length)) };
          if (state.mode === 'fail503') return { ...held, then: FAIL_503 };
          if (state.mode === 'html404') return { ...held, then: HTML_404 };
          return { ...held, then: state.fault?.(record, n) ?? 'pass' };
        });
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
  const url = await listen(server);
  return Object.assign(state, {
    url,
    writeKey,
    page(body: string) {
      const path = `/page/${pages.size + 1}`;
      pages.set(path, body);
      return `${url}${path}`;
    },
    stored: () => storedEvents(state.ferry.dataDir).map((e) => e.event),
    duplicates: () => state.requests.reduce((n, r) => n + r.duplicates, 0),
    async close() {
      await closeServer(server);
      if (!opts.ferry) {
        await ferry.kill();
        cleanup(ferry.dataDir);
      }
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
