import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { post, readEvents, trackEvent } from '../helpers/ferry-process.js';
import { ferryForFile } from '../helpers/ferry-for-file.js';

const KEY = 'test-write-key';
const ferry = ferryForFile(KEY);

const count = async () => (await readEvents(ferry.dataDir)).length;

describe('the wire protocol', () => {
  it('accepts a batch with Basic auth and answers only after storing it', async () => {
    const events = [trackEvent(), trackEvent(), trackEvent()];
    const before = await count();
    const res = await post(ferry.url, { batch: events, sentAt: new Date().toISOString() }, { writeKey: KEY });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, accepted: 3, duplicates: 0, rejected: [] });
    const stored = (await readEvents(ferry.dataDir)).slice(before);
    expect(stored.map((e) => e.messageId)).toEqual(events.map((e) => e.messageId));
    expect(stored.every((e) => e.source === 'default')).toBe(true);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts the write key in the body, gzip by header and gzip by magic bytes as text/plain', async () => {
    const a = await post(ferry.url, { batch: [trackEvent()] }, { writeKey: KEY, keyInBody: true });
    const b = await post(ferry.url, { batch: [trackEvent()] }, { writeKey: KEY, gzip: true, headers: { 'Content-Encoding': 'gzip' } });
    const c = await post(ferry.url, { batch: [trackEvent()] }, { writeKey: KEY, keyInBody: true, gzip: true, headers: { 'Content-Type': 'text/plain' } });
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    expect([a.body.accepted, b.body.accepted, c.body.accepted]).toEqual([1, 1, 1]);
  });

  it.each(['track', 'identify', 'page', 'screen', 'group', 'alias'])('serves /v1/%s with one event', async (type) => {
    const event: Record<string, unknown> = { userId: 'u-single', messageId: `single-${type}-${Date.now()}`, event: 'Single', groupId: 'g', previousId: 'p' };
    const res = await post(ferry.url, event, { writeKey: KEY, path: `/v1/${type}` });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, accepted: 1 });
    const stored = (await readEvents(ferry.dataDir)).find((e) => e.messageId === event.messageId)!;
    expect(stored.event.type).toBe(type);
  });

  it('stores receivedAt and corrects the client clock with sentAt', async () => {
    const original = '2026-01-01T00:00:00.000Z';
    const sentAt = '2026-01-01T00:00:10.000Z'; // the client's clock, 10 s after the event
    const e = trackEvent({ originalTimestamp: original });
    const before = Date.now();
    await post(ferry.url, { batch: [e], sentAt }, { writeKey: KEY });
    const after = Date.now();
    const stored = (await readEvents(ferry.dataDir)).find((s) => s.messageId === e.messageId)!.event;
    const receivedAt = Date.parse(stored.receivedAt as string);
    expect(receivedAt).toBeGreaterThanOrEqual(before - 5);
    expect(receivedAt).toBeLessThanOrEqual(after + 5);
    expect(Date.parse(stored.timestamp as string)).toBe(receivedAt - 10_000);
    expect(stored.originalTimestamp).toBe(original);
    expect(stored.writeKey).toBeUndefined();
  });

  it('answers CORS preflights and simple requests from any origin', async () => {
    const pre = await fetch(`${ferry.url}/v1/batch`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,content-encoding' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-encoding');
    const res = await post(ferry.url, { batch: [trackEvent()] }, { writeKey: KEY, keyInBody: true, headers: { Origin: 'https://shop.example', 'Content-Type': 'text/plain' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
  });

  it('serves /health and /ready', async () => {
    expect((await fetch(`${ferry.url}/health`)).status).toBe(200);
    const ready = await fetch(`${ferry.url}/ready`);
    expect(ready.status).toBe(200);
  });
});

describe('bad input', () => {
  const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20)); // 50 MB of spaces, ~50 KB compressed
  const big = (bytes: number) => ({ batch: Array.from({ length: Math.ceil(bytes / 20_000) }, () => trackEvent({ properties: { pad: 'x'.repeat(19_900) } })) });
  const good = trackEvent();
  const cases: Array<[string, unknown, { status: number; code: string; message: RegExp }, Partial<Parameters<typeof post>[2]>?]> = [
    ['non-JSON', 'hello, world', { status: 400, code: 'invalid_json', message: /not valid JSON/ }],
    ['truncated JSON', '{"batch":[{"type":"track"', { status: 400, code: 'invalid_json', message: /not valid JSON/ }],
    ['an array body', [good], { status: 400, code: 'invalid_body', message: /must be a JSON object, got an array/ }],
    ['a string body', '"text"', { status: 400, code: 'invalid_body', message: /got string/ }],
    ['null', 'null', { status: 400, code: 'invalid_body', message: /got null/ }],
    ['no batch field', { events: [good] }, { status: 400, code: 'invalid_body', message: /"batch" must be an array/ }],
    ['batch not an array', { batch: { 0: good } }, { status: 400, code: 'invalid_body', message: /"batch" must be an array/ }],
    ['empty batch', { batch: [] }, { status: 400, code: 'empty_batch', message: /empty/ }],
    ['an empty body', Buffer.alloc(0), { status: 400, code: 'invalid_body', message: /no body/ }],
    ['truncated gzip', gzipSync(Buffer.from(JSON.stringify({ batch: [good] }))).subarray(0, 20), { status: 400, code: 'invalid_gzip', message: /not valid gzip/ }],
    ['garbage claiming gzip', Buffer.from('not gzip at all'), { status: 400, code: 'invalid_gzip', message: /not valid gzip/ }, { headers: { 'Content-Encoding': 'gzip' } }],
    ['a gzip bomb', bomb, { status: 413, code: 'batch_too_large', message: /inflates to more than/ }],
    ['a 600 KB batch', big(600_000), { status: 413, code: 'batch_too_large', message: /limit/ }],
    ['a 600 KB batch, gzipped', gzipSync(Buffer.from(JSON.stringify(big(600_000)))), { status: 413, code: 'batch_too_large', message: /limit/ }],
    ['brotli', Buffer.from('x'), { status: 415, code: 'unsupported_encoding', message: /"br" is not supported/ }, { headers: { 'Content-Encoding': 'br' } }],
    ['no write key', { batch: [good] }, { status: 401, code: 'unauthorized', message: /no write key/ }, { writeKey: undefined }],
    ['an unknown write key', { batch: [good] }, { status: 401, code: 'unauthorized', message: /unknown write key/ }, { writeKey: 'nope' }],
    ['an unknown key in the body', { batch: [good], writeKey: 'nope' }, { status: 401, code: 'unauthorized', message: /unknown write key/ }, { writeKey: undefined }],
    ['a single track without event name', { userId: 'u' }, { status: 400, code: 'invalid_event', message: /needs "event"/ }, { path: '/v1/track' }],
    ['a single event without ids', { event: 'x' }, { status: 400, code: 'invalid_event', message: /userId" or "anonymousId/ }, { path: '/v1/track' }],
    ['a single 40 KB event', { event: 'x', userId: 'u', properties: { pad: 'y'.repeat(40_000) } }, { status: 413, code: 'event_too_large', message: /over the 32768-byte limit/ }, { path: '/v1/track' }],
    ['an unknown path', { batch: [good] }, { status: 404, code: 'not_found', message: /no route/ }, { path: '/v1/everything' }],
  ];

  it.each(cases)('rejects %s with a clear error and stores nothing', async (_name, body, expected, opts) => {
    const before = await count();
    const res = await post(ferry.url, body, { writeKey: KEY, ...opts });
    expect(res.status).toBe(expected.status);
    expect(res.body).toMatchObject({ ok: false, code: expected.code });
    expect(String(res.body.error)).toMatch(expected.message);
    expect(await count()).toBe(before);
  });

  it('keeps the valid siblings of invalid events and names each bad one', async () => {
    const valid = [trackEvent(), trackEvent(), trackEvent()];
    const batch = [
      valid[0],
      { type: 'purchase', userId: 'u' },
      { type: 'track', event: 'no ids' },
      valid[1],
      { type: 'track', event: 'bad time', userId: 'u', timestamp: 'yesterday' },
      { type: 'track', event: 'big', userId: 'u', properties: { pad: 'z'.repeat(40_000) } },
      'not an object',
      { type: 'track', event: 'wrong props', userId: 'u', properties: [1, 2] },
      { type: 'group', userId: 'u' },
      { type: 'alias', userId: 'u' },
      { type: 'track', userId: { id: 1 }, event: 'object id' },
      valid[2],
    ];
    const before = await count();
    const res = await post(ferry.url, { batch }, { writeKey: KEY });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(3);
    const rejected = res.body.rejected as Array<{ index: number; code: string; reason: string }>;
    expect(rejected.map((r) => r.index)).toEqual([1, 2, 4, 5, 6, 7, 8, 9, 10]);
    expect(rejected.map((r) => r.reason)).toEqual([
      expect.stringMatching(/"type" must be one of/),
      expect.stringMatching(/"userId" or "anonymousId"/),
      expect.stringMatching(/"timestamp" must be an ISO-8601/),
      expect.stringMatching(/over the 32768-byte limit/),
      expect.stringMatching(/must be a JSON object, got string/),
      expect.stringMatching(/"properties" must be an object/),
      expect.stringMatching(/needs "groupId"/),
      expect.stringMatching(/needs "userId" and "previousId"/),
      expect.stringMatching(/"userId" must be a non-empty string or a number/),
    ]);
    expect(rejected[3]!.code).toBe('event_too_large');
    expect((await readEvents(ferry.dataDir)).slice(before).map((e) => e.messageId)).toEqual(valid.map((v) => v.messageId));
  });

  it('rejects only the events with a NUL in a stored id or the event name, and takes a lone surrogate', async () => {
    // PostgreSQL's text cannot hold a 0x00 byte: stored, one such id failed the whole batch (500).
    const nul = [
      trackEvent({ userId: 'nul\u0000user' }),
      trackEvent({ anonymousId: 'anon\u0000', userId: undefined }),
      trackEvent({ messageId: `nul-\u0000-${Date.now()}` }),
      trackEvent({ event: 'Signed\u0000Up' }),
      { type: 'alias', userId: 'who', previousId: 'was\u0000', messageId: `alias-nul-${Date.now()}` },
    ];
    const valid = [trackEvent({ userId: '\ud800lone' }), trackEvent({ properties: { note: 'a\u0000b' } })];
    const before = await count();
    const res = await post(ferry.url, { batch: [...nul, ...valid] }, { writeKey: KEY });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    const rejected = res.body.rejected as Array<{ index: number; code: string; reason: string }>;
    expect(rejected.map((r) => [r.index, r.code])).toEqual([0, 1, 2, 3, 4].map((i) => [i, 'invalid_event']));
    for (const r of rejected) expect(r.reason).toMatch(/must not contain a NUL character/);
    expect((await readEvents(ferry.dataDir)).slice(before).map((e) => e.messageId)).toEqual(valid.map((v) => v.messageId));
  });

  it('gives an event without messageId one of its own', async () => {
    const res = await post(ferry.url, { batch: [{ type: 'track', event: 'no id', anonymousId: 'a' }] }, { writeKey: KEY });
    expect(res.body.accepted).toBe(1);
    expect((await readEvents(ferry.dataDir)).at(-1)!.messageId).toMatch(/^ferry-[0-9a-f-]{36}$/);
  });
});
