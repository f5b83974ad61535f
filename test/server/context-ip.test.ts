import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, post, startFerry, storedEvents, trackEvent, type FerryProcess } from '../helpers/ferry-process.js';
import { anonymizeIp } from '../../src/server/ingest/client-ip.js';

/** Two real servers: one that believes nobody's X-Forwarded-For (the default), one behind a trusted proxy at 127.0.0.1. */
let direct: FerryProcess;
let proxied: FerryProcess;
const sources = [
  { name: 'kept', writeKeys: ['k-keep'] },
  { name: 'anonymized', writeKeys: ['k-anon'], ip: 'anonymize' },
  { name: 'dropped', writeKeys: ['k-drop'], ip: 'drop' },
];

beforeAll(async () => {
  [direct, proxied] = await Promise.all([startFerry({ config: { sources } }), startFerry({ config: { sources, trustProxy: '127.0.0.1' } })]);
}, 60_000);
afterAll(async () => {
  for (const f of [direct, proxied]) {
    await f?.kill();
    if (f) cleanup(f.dataDir);
  }
});

/** Sends one event (with `extra` merged in) and returns its stored context. */
async function contextOf(f: FerryProcess, writeKey: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const event = trackEvent(extra);
  const res = await post(f.url, { batch: [event] }, { writeKey, headers });
  expect(res.body).toMatchObject({ accepted: 1 });
  return storedEvents(f.dataDir).find((e) => e.messageId === event.messageId)!.event.context as Record<string, unknown>;
}

const XFF = { 'X-Forwarded-For': '203.0.113.77, 198.51.100.9' };

describe('context.ip', () => {
  it('is the connecting address when the event has none, and a forwarded one is not believed without trustProxy', async () => {
    expect((await contextOf(direct, 'k-keep', { context: { locale: 'fr' } })).ip).toBe('127.0.0.1');
    expect(await contextOf(direct, 'k-keep', {}, XFF)).toEqual({ ip: '127.0.0.1' });
  });

  it('behind the configured trusted proxy is the address the proxy forwarded', async () => {
    expect((await contextOf(proxied, 'k-keep', {}, XFF)).ip).toBe('198.51.100.9');
    expect((await contextOf(proxied, 'k-keep', {}, { 'X-Forwarded-For': '203.0.113.77' })).ip).toBe('203.0.113.77');
  });

  it('keeps the one a client sent (a server-side library speaking for its user)', async () => {
    expect((await contextOf(direct, 'k-keep', { context: { ip: '192.0.2.44' } })).ip).toBe('192.0.2.44');
  });

  it('is anonymized for a source that asks (the network part only), whoever supplied it', async () => {
    expect((await contextOf(proxied, 'k-anon', {}, XFF)).ip).toBe('198.51.100.0');
    expect((await contextOf(direct, 'k-anon', { context: { ip: '2001:db8:85a3:1:2:8a2e:370:7334' } })).ip).toBe('2001:db8:85a3::');
    // What cannot be anonymized is not stored.
    expect(await contextOf(direct, 'k-anon', { context: { ip: 'not an address', locale: 'de' } })).toEqual({ locale: 'de' });
  });

  it('is dropped for a source that asks, the client\'s own included', async () => {
    expect(await contextOf(proxied, 'k-drop', {}, XFF)).toEqual({});
    expect(await contextOf(direct, 'k-drop', { context: { ip: '192.0.2.44', locale: 'nl' } })).toEqual({ locale: 'nl' });
  });
});

describe('anonymizeIp', () => {
  it.each([
    ['198.51.100.77', '198.51.100.0'],
    ['::ffff:198.51.100.77', '198.51.100.0'],
    ['2001:db8::1', '2001:db8:0::'],
    ['::1', '0:0:0::'],
    ['fe80::1%eth0', 'fe80:0:0::'],
    ['999.1.1.1', ''],
    ['', ''],
  ])('%s -> %s', (ip, network) => expect(anonymizeIp(ip)).toBe(network));
});
