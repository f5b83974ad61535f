// @vitest-environment happy-dom
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Analytics } from '../../../src/sdk/analytics.js';
import { verdict } from '../../../src/sdk/answer-policy.js';
import type { DroppedInfo } from '../../../src/sdk/emitter.js';
import type { FerryError } from '../../../src/protocol/errors.js';
import { stubFetch, type Answer, type Responder, type Stub } from '../../helpers/fetch-stub.js';

/**
 * The send policy as a table: for each answer of the collector to a batch, what is kept,
 * dropped and reported, and when the next request may go (DESIGN G2).
 */

const BASE = 1000;
const CAP = 8000;
let stub: Stub | undefined;
const instances: Analytics[] = [];
let keyN = 0;

beforeEach(() => {
  (globalThis as { indexedDB: IDBFactory }).indexedDB = new IDBFactory();
  localStorage.clear();
});
afterEach(() => {
  for (const a of instances.splice(0)) a.close();
  stub?.restore();
});

function make(respond: Responder, extra: Record<string, unknown> = {}) {
  stub = stubFetch(respond);
  const a = new Analytics();
  instances.push(a);
  const errors: FerryError[] = [];
  const dropped: DroppedInfo[] = [];
  a.on('error', (e) => errors.push(e));
  a.on('dropped', (d) => dropped.push(d));
  void a.load({ writeKey: `policy${++keyN}`, endpoint: 'http://127.0.0.1:9', flushIntervalMs: 600_000, retry: { baseMs: BASE, capMs: CAP }, ...extra });
  return { a, errors, dropped, requests: stub.requests };
}

const html = (status: number) => ({ status, raw: `<html><body><h1>${status}</h1>nginx</body></html>`, headers: { 'Content-Type': 'text/html' } });
const ferry = (status: number, code: string) => ({ status, body: { ok: false, code, error: `the server says ${code}` } });
const httpDate = (offsetMs: number) => new Date(Math.floor(Date.now() / 1000) * 1000 + offsetMs).toUTCString();

interface Row {
  answer: () => Answer;
  /** Events in the batch that gets this answer. */
  events: number;
  kept: number;
  dropped: string[];
  reported: string[];
  /** The earliest next request, in ms after the answer: 0 is at once; [lo, hi] a window. */
  next: number | [number, number];
}

const KEEP = (answer: () => Answer, reported: string[] = ['send_failed'], next: Row['next'] = BASE): Row => ({ answer, events: 3, kept: 3, dropped: [], reported, next });

const TABLE: Record<string, Row> = {
  '200 accepting all': { answer: () => ({ status: 200 }), events: 3, kept: 0, dropped: [], reported: [], next: 0 },
  '200 naming one event in `rejected`': {
    answer: () => ({ status: 200, body: { ok: true, accepted: 2, duplicates: 0, rejected: [{ index: 1, code: 'invalid_event', reason: 'bad type' }] } }),
    events: 3, kept: 0, dropped: ['rejected_by_server:e1'], reported: [], next: 0,
  },
  '200 naming indexes outside the batch': {
    answer: () => ({ status: 200, body: { ok: true, accepted: 3, duplicates: 0, rejected: [{ index: 7 }, { index: -1 }, { index: '0' }] } }),
    events: 3, kept: 0, dropped: [], reported: [], next: 0,
  },
  '204 with no body': { answer: () => ({ status: 204 }), events: 3, kept: 0, dropped: [], reported: [], next: 0 },
  '200 with an HTML page (captive portal)': KEEP(() => html(200)),
  '200 with {"ok":false}': KEEP(() => ({ status: 200, body: { ok: false } })),
  '400 with Ferry\'s invalid_event, batch of 3 (split)': { answer: () => ferry(400, 'invalid_event'), events: 3, kept: 3, dropped: [], reported: [], next: BASE },
  '413 with Ferry\'s batch_too_large, batch of 3 (split)': { answer: () => ferry(413, 'batch_too_large'), events: 3, kept: 3, dropped: [], reported: [], next: BASE },
  '400 with Ferry\'s invalid_event, one event': { answer: () => ferry(400, 'invalid_event'), events: 1, kept: 0, dropped: ['rejected_by_server:e0'], reported: [], next: 0 },
  '413 with Ferry\'s event_too_large, one event': { answer: () => ferry(413, 'event_too_large'), events: 1, kept: 0, dropped: ['rejected_by_server:e0'], reported: [], next: 0 },
  '400 with another code (request-level)': KEEP(() => ferry(400, 'invalid_json')),
  '400 JSON without a code, one event': { ...KEEP(() => ({ status: 400, body: { error: 'bad' } })), events: 1, kept: 1 },
  '400 HTML from a proxy, one event': { ...KEEP(() => html(400)), events: 1, kept: 1 },
  '413 HTML from a proxy, one event': { ...KEEP(() => html(413)), events: 1, kept: 1 },
  '401': KEEP(() => ({ status: 401, body: { ok: false, code: 'unauthorized', error: 'unknown write key' } }), ['unauthorized'], CAP),
  '403': KEEP(() => html(403), ['unauthorized'], CAP),
  '404 HTML': KEEP(() => html(404)),
  '404 JSON': KEEP(() => ferry(404, 'not_found')),
  '405': KEEP(() => html(405)),
  '410': KEEP(() => html(410)),
  '422 from a proxy': KEEP(() => ({ status: 422, body: { message: 'Unprocessable' } })),
  '429 with Retry-After: 3': KEEP(() => ({ status: 429, headers: { 'Retry-After': '3' } }), ['send_failed'], 3000),
  '429 with Retry-After: 0': KEEP(() => ({ status: 429, headers: { 'Retry-After': '0' } })),
  '503 with Retry-After: -5': KEEP(() => ({ status: 503, headers: { 'Retry-After': '-5' } })),
  '503 with Retry-After as an HTTP date 5 s ahead': KEEP(() => ({ status: 503, headers: { 'Retry-After': httpDate(5000) } }), ['send_failed'], [3900, 5100]),
  '503 with Retry-After as an HTTP date in the past': KEEP(() => ({ status: 503, headers: { 'Retry-After': httpDate(-60_000) } })),
  '503 with Retry-After of a year': KEEP(() => ({ status: 503, headers: { 'Retry-After': '31536000' } }), ['send_failed'], CAP),
  '503 with Retry-After: soon': KEEP(() => ({ status: 503, headers: { 'Retry-After': 'soon' } })),
  '500 HTML': KEEP(() => html(500)),
  '502': KEEP(() => html(502)),
  '302 redirect': KEEP(() => ({ status: 302, headers: { Location: '/elsewhere' } })),
  'network error': KEEP(() => ({ status: 0 })),
};

describe('the answer policy', () => {
  it.each(Object.entries(TABLE))('%s', async (_, row) => {
    const { a, errors, dropped, requests } = make(row.answer);
    for (let i = 0; i < row.events; i++) a.track(`e${i}`);
    const before = Date.now();
    await a.flush();
    const after = Date.now();
    expect(requests).toHaveLength(1);
    expect(requests[0]!.body.batch).toHaveLength(row.events);
    const state = await a.state();
    expect(state.queued, 'kept').toBe(row.kept);
    expect(dropped.flatMap((d) => d.messageIds.map(() => `${d.reason}:${d.reason === 'rejected_by_server' ? names(requests[0]!, d.messageIds) : ''}`)), 'dropped').toEqual(row.dropped);
    expect(errors.map((e) => e.code), 'reported').toEqual(row.reported);
    if (row.reported[0] === 'send_failed') expect(errors[0]!.message).toContain(row.answer().status ? `HTTP ${row.answer().status}` : 'TypeError');
    const [lo, hi] = typeof row.next === 'number' ? [row.next, row.next] : row.next;
    if (lo === 0 && hi === 0) expect(state.backoff.nextAttemptAt, 'next request at once').toBe(0);
    else {
      expect(state.backoff.nextAttemptAt - before, 'next request not before').toBeGreaterThanOrEqual(lo);
      expect(state.backoff.nextAttemptAt - after, 'next request not after').toBeLessThanOrEqual(hi);
    }
  });

  it('is a pure table: status, body and batch size decide', () => {
    expect(verdict({ status: 200, response: { ok: true } }, 5)).toBe('ack');
    expect(verdict({ status: 200, opaque: true }, 5)).toBe('retry');
    expect(verdict({ status: 413, response: { ok: false, code: 'event_too_large' } }, 2)).toBe('split');
    expect(verdict({ status: 413, response: { ok: false, code: 'event_too_large' } }, 1)).toBe('refuse');
    expect(verdict({ status: 422, response: { ok: false, code: 'invalid_event' } }, 1)).toBe('retry');
    expect(verdict({ status: 403 }, 1)).toBe('pause');
    expect(verdict({ status: 0, error: 'Failed to fetch' }, 1)).toBe('retry');
  });
});

function names(req: { body: { batch: Array<Record<string, unknown>> } }, ids: string[]): string {
  return req.body.batch.filter((e) => ids.includes(e.messageId as string)).map((e) => e.event).join(',');
}

describe('splitting a refused batch', () => {
  it('isolates the refused event in at most ⌈log2 n⌉ + 1 more requests, each after the backoff, and delivers the rest in order', async () => {
    const n = 40;
    const { a, dropped, errors, requests } = make((req) => (req.body.batch.some((e) => e.event === 'poison') ? ferry(400, 'invalid_event') : { status: 200 }), { flushAt: n });
    for (let i = 0; i < n; i++) a.track(i === 27 ? 'poison' : `e${i}`);
    const waits: number[] = [];
    for (let round = 0; round < 20; round++) {
      const result = await a.flush();
      const { backoff, queued } = await a.state();
      if (!result.ok) waits.push(backoff.nextAttemptAt - Date.now());
      if (queued === 0) break;
    }
    expect((await a.state()).queued).toBe(0);
    const refused = requests.findIndex((r) => r.body.batch.length === n);
    expect(refused).toBe(0);
    // One request to be refused, then at most ⌈log2 n⌉ to find the event and one to have it refused alone.
    const alone = requests.map((r) => r.body.batch.some((e) => e.event === 'poison')).lastIndexOf(true);
    expect(requests[alone]!.body.batch.map((e) => e.event)).toEqual(['poison']);
    expect(alone - refused).toBeLessThanOrEqual(Math.ceil(Math.log2(n)) + 1);
    // Every refused batch of several events was followed by a backoff wait before the next request.
    const splits = requests.filter((r) => r.body.batch.length > 1 && r.body.batch.some((e) => e.event === 'poison')).length;
    expect(waits).toHaveLength(splits);
    for (const w of waits) expect(w).toBeGreaterThan(BASE / 2);
    const delivered = requests.filter((r) => !r.body.batch.some((e) => e.event === 'poison')).flatMap((r) => r.body.batch.map((e) => e.event));
    expect(delivered).toEqual(Array.from({ length: n }, (_, i) => `e${i}`).filter((e) => e !== 'e27'));
    expect(dropped).toEqual([expect.objectContaining({ reason: 'rejected_by_server', count: 1, detail: 'the server says invalid_event' })]);
    expect(errors).toEqual([]);
  });

  it('keeps all of 100 events against a collector answering 404 with HTML, and flush() says so', async () => {
    const { a, dropped, errors, requests } = make(() => html(404), { flushAt: 100 });
    for (let i = 0; i < 100; i++) a.track(`e${i}`);
    const result = await a.flush();
    expect(result).toMatchObject({ ok: false, sent: 0, remaining: 100, reason: 'failed' });
    // Not forced: the backoff holds the next attempt back.
    expect(await a.flush()).toMatchObject({ ok: false, reason: 'failed' });
    await new Promise((r) => setTimeout(r, 50));
    expect(requests).toHaveLength(2);
    expect(dropped).toEqual([]);
    expect(errors.map((e) => e.code)).toEqual(['send_failed', 'send_failed']);
    expect((await a.state()).queued).toBe(100);
  });
});
