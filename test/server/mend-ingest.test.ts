import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BATCH_EVENTS } from '../../src/protocol/limits.js';
import { cleanup, post, startFerry, storedEvents, trackEvent, type FerryProcess } from '../helpers/ferry-process.js';
import { waitFor } from '../helpers/sink.js';

const KEY = 'mend-key';
const auth = `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`;

describe('the number of events in one batch (G9)', () => {
  let f: FerryProcess;
  beforeAll(async () => {
    f = await startFerry({ args: ['--write-key', KEY] });
  });
  afterAll(async () => {
    await f.kill();
    cleanup(f.dataDir);
  });

  it('refuses a tiny gzip body holding 250,000 items as a whole, with an answer the size of an error', async () => {
    const bomb = gzipSync(Buffer.from(JSON.stringify({ batch: new Array(250_000).fill(0) })));
    expect(bomb.length).toBeLessThan(2000);
    const res = await post(f.url, bomb, { writeKey: KEY, headers: { 'Content-Encoding': 'gzip' } });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ ok: false, code: 'batch_too_many_events' });
    expect(JSON.stringify(res.body).length).toBeLessThan(500);
    expect(storedEvents(f.dataDir)).toEqual([]);
  });

  it('refuses one event over the limit, valid or not, and stores nothing; at the limit everything is judged', async () => {
    const over = Array.from({ length: MAX_BATCH_EVENTS + 1 }, () => ({ type: 'track', event: 'e', userId: 'u' }));
    const refused = await post(f.url, { batch: over }, { writeKey: KEY, gzip: true });
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ ok: false, code: 'batch_too_many_events' });
    expect(storedEvents(f.dataDir)).toEqual([]);
    const atLimit = Array.from({ length: MAX_BATCH_EVENTS }, (_, i) => (i % 2 ? trackEvent() : 0));
    const judged = await post(f.url, { batch: atLimit }, { writeKey: KEY, gzip: true });
    expect(judged.status).toBe(200);
    expect(judged.body).toMatchObject({ ok: true, accepted: MAX_BATCH_EVENTS / 2, duplicates: 0 });
    expect((judged.body.rejected as unknown[]).length).toBe(MAX_BATCH_EVENTS / 2);
    expect(storedEvents(f.dataDir)).toHaveLength(MAX_BATCH_EVENTS / 2);
  });
});

describe('the shutdown answer to a browser', () => {
  let f: FerryProcess | undefined;
  afterEach(async () => {
    if (f) {
      await f.kill('SIGKILL');
      cleanup(f.dataDir);
    }
  });

  it('carries CORS headers, so a page can read the 503 and its Retry-After', async () => {
    f = await startFerry({ args: ['--write-key', KEY] });
    const ferry = f;
    // A browser's request whose headers are still arriving when SIGTERM comes: the connection is
    // busy, so the closing server keeps it, and the request is judged once its headers are in.
    const body = JSON.stringify({ batch: [trackEvent()] });
    const socket = connect(ferry.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d));
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(`POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1:${ferry.port}\r\n`);
    await waitFor(() => fetch(`${ferry.url}/health`).then((r) => r.ok, () => false), 5000, 'the server to answer');
    ferry.proc.kill('SIGTERM');
    // The listener refuses new connections once the server has begun closing.
    await waitFor(() => fetch(`${ferry.url}/health`).then(() => false, () => true), 10_000, 'the server to stop listening');
    socket.write(`Origin: https://shop.example\r\nContent-Type: text/plain\r\nAuthorization: ${auth}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    await ended;
    const [head = '', text = ''] = answer.split('\r\n\r\n');
    const headers = new Map(head.split('\r\n').slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
    expect(text).toContain('"code":"shutting_down"');
    expect(headers.get('retry-after')).toBe('5');
    expect(headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect((headers.get('access-control-expose-headers') ?? '').toLowerCase()).toContain('retry-after');
    expect(await ferry.exited).toBe(0);
    expect(storedEvents(ferry.dataDir)).toEqual([]);
  });
});
