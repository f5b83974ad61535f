import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import fc from 'fast-check';
import { cleanup, startFerry, type FerryProcess } from '../helpers/ferry-process.js';
import { validHost } from '../../src/server/http/compat-settings.js';
import { validateConfig } from '../../src/server/config.js';

/** The configuration endpoints analytics.js and RudderStack's SDK fetch, on a real `ferry serve`. */
const KEY = 'settings-key';
const BATCH_KEY = 'settings-batching-key';
const sources = [
  { name: 'site', writeKeys: [KEY] },
  { name: 'batched', writeKeys: [BATCH_KEY], analyticsJs: { batching: { size: 25, timeoutMs: 300 } } },
];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** node:http, not fetch: fetch will not send a Host header of our choosing. */
function get(base: string, path: string, host?: string, extra: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, setHost: host === undefined, headers: host === undefined ? extra : { ...extra, Host: host } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The status of a HEAD request (RudderStack's ad-block probe). */
function head(base: string, path: string, headers: Record<string, string>): Promise<number> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: 'HEAD', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const segmentio = (a: Answer) => (a.body.integrations as Record<string, Record<string, unknown>>)['Segment.io']!;

describe('GET /v1/projects/:writeKey/settings without publicUrl', () => {
  let ferry: FerryProcess;
  beforeAll(async () => {
    ferry = await startFerry({ config: { sources } });
  });
  afterAll(async () => {
    await ferry.kill();
    cleanup(ferry.dataDir);
  });

  it('answers a known key with a Segment.io integration that sends to this server, and nothing else', async () => {
    const a = await get(ferry.url, `/v1/projects/${KEY}/settings`, undefined, { Origin: 'https://shop.example' });
    expect(a.status).toBe(200);
    expect(a.body).toEqual({
      integrations: { 'Segment.io': { apiKey: KEY, apiHost: `127.0.0.1:${ferry.port}/v1`, protocol: 'http', unbundledIntegrations: [], addBundledMetadata: false } },
      metrics: { sampleRate: 0, host: `127.0.0.1:${ferry.port}/v1` },
      remotePlugins: [],
      enabledMiddleware: {},
      middlewareSettings: {},
      legacyVideoPluginsEnabled: false,
    });
    // Derived from the request: no shared cache may keep it for another Host.
    expect(a.headers['cache-control']).toBe('no-store');
    expect(a.headers.vary).toMatch(/host/i);
    expect(a.headers['access-control-allow-origin']).toBe('https://shop.example');
  });

  it("serves the source's batching delivery strategy", async () => {
    const a = await get(ferry.url, `/v1/projects/${BATCH_KEY}/settings`);
    expect(a.status).toBe(200);
    expect(segmentio(a).deliveryStrategy).toEqual({ strategy: 'batching', config: { size: 25, timeout: 300 } });
    expect(segmentio(await get(ferry.url, `/v1/projects/${KEY}/settings`)).deliveryStrategy).toBeUndefined();
  });

  it('answers 404 for an unknown, empty-looking or encoded key', async () => {
    for (const key of ['nope', encodeURIComponent(`${KEY} `), `${KEY}x`, '%00']) {
      const a = await get(ferry.url, `/v1/projects/${key}/settings`);
      expect(a.status, key).toBe(404);
      expect(a.body).toMatchObject({ ok: false, code: 'not_found' });
    }
  });

  it('uses a plain Host as sent (a proxy that keeps the Host) and the port in it', async () => {
    const a = await get(ferry.url, `/v1/projects/${KEY}/settings`, 'Collect.Example.com:8443');
    expect(a.status).toBe(200);
    expect(segmentio(a).apiHost).toBe('collect.example.com:8443/v1');
    expect((await get(ferry.url, `/v1/projects/${KEY}/settings`, '[::1]:9')).status).toBe(200);
  });

  it('refuses a Host that is not a plain host[:port]: nothing of it reaches a served URL', async () => {
    const hostile = ['evil.example/x?', 'evil.example/v1#', 'user@evil.example', 'a b', '"x"', 'evil.example:99999', 'evil.example:80:80', '', '-x.example', 'a'.repeat(300)];
    for (const host of hostile) {
      const a = await get(ferry.url, `/v1/projects/${KEY}/settings`, host);
      // Node's parser may refuse some outright (400 without a body); Ferry refuses the rest.
      expect(a.status, JSON.stringify(host)).toBe(400);
      expect(JSON.stringify(a.body)).not.toContain('evil');
    }
  });
});

describe('GET /v1/projects/:writeKey/settings with publicUrl', () => {
  let ferry: FerryProcess;
  beforeAll(async () => {
    ferry = await startFerry({ config: { sources, publicUrl: 'https://collect.example.com/ferry/' } });
  });
  afterAll(async () => {
    await ferry.kill();
    cleanup(ferry.dataDir);
  });

  it('serves the configured address whatever the Host, and lets caches keep it', async () => {
    for (const host of [undefined, 'evil.example', 'evil.example/x']) {
      const a = await get(ferry.url, `/v1/projects/${KEY}/settings`, host);
      expect(a.status).toBe(200);
      expect(segmentio(a)).toMatchObject({ apiKey: KEY, apiHost: 'collect.example.com/ferry/v1', protocol: 'https' });
      expect(JSON.stringify(a.body)).not.toContain('evil');
      expect(a.headers['cache-control']).toBe('public, max-age=60');
    }
  });
});

describe('GET /v1/projects/:writeKey/settings behind a trusted proxy (trustProxy)', () => {
  let ferry: FerryProcess;
  beforeAll(async () => {
    // The test's own requests come from 127.0.0.1: that is the trusted proxy here.
    ferry = await startFerry({ config: { sources, trustProxy: '127.0.0.1' } });
  });
  afterAll(async () => {
    await ferry.kill();
    cleanup(ferry.dataDir);
  });

  it("serves the proxy's X-Forwarded-Host and X-Forwarded-Proto (the last hop's), still no-store", async () => {
    const a = await get(ferry.url, `/v1/projects/${KEY}/settings`, 'ferry.internal:8080', { 'X-Forwarded-Host': 'collect.example.com', 'X-Forwarded-Proto': 'https' });
    expect(a.status).toBe(200);
    expect(segmentio(a)).toMatchObject({ apiHost: 'collect.example.com/v1', protocol: 'https' });
    expect(a.headers['cache-control']).toBe('no-store');
    expect(a.headers.vary).toMatch(/x-forwarded-host/i);
    expect(segmentio(await get(ferry.url, `/v1/projects/${KEY}/settings`, undefined, { 'X-Forwarded-Host': 'evil.example, collect.example.com' })).apiHost).toBe('collect.example.com/v1');
  });

  it('refuses a forwarded host that is not a plain host[:port], and reads an unknown protocol as http', async () => {
    const a = await get(ferry.url, `/v1/projects/${KEY}/settings`, undefined, { 'X-Forwarded-Host': 'evil.example/x?' });
    expect(a.status).toBe(400);
    expect(JSON.stringify(a.body)).not.toContain('evil');
    expect(segmentio(await get(ferry.url, `/v1/projects/${KEY}/settings`, undefined, { 'X-Forwarded-Proto': 'javascript' })).protocol).toBe('http');
  });
});

describe('GET /v1/projects/:writeKey/settings with an untrusted X-Forwarded-*', () => {
  let ferry: FerryProcess;
  beforeAll(async () => {
    ferry = await startFerry({ config: { sources } });
  });
  afterAll(async () => {
    await ferry.kill();
    cleanup(ferry.dataDir);
  });

  it('ignores X-Forwarded-Host and X-Forwarded-Proto when trustProxy is off (the default)', async () => {
    const a = await get(ferry.url, `/v1/projects/${KEY}/settings`, undefined, { 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https' });
    expect(a.status).toBe(200);
    expect(segmentio(a)).toMatchObject({ apiHost: `127.0.0.1:${ferry.port}/v1`, protocol: 'http' });
  });
});

describe('GET /sourceConfig (RudderStack v3)', () => {
  let ferry: FerryProcess;
  beforeAll(async () => {
    ferry = await startFerry({ config: { sources } });
  });
  afterAll(async () => {
    await ferry.kill();
    cleanup(ferry.dataDir);
  });

  it('answers the URL v3 builds with the source, no destinations, no reporting to RudderStack', async () => {
    for (const path of [`/sourceConfig/?p=npm&v=3.34.1&build=modern&writeKey=${KEY}&lockIntegrationsVersion=true&lockPluginsVersion=true`, `/sourceConfig?writeKey=${KEY}`]) {
      const a = await get(ferry.url, path);
      expect(a.status, path).toBe(200);
      expect(a.body).toEqual({
        isHosted: false,
        source: {
          id: 'site', name: 'site', writeKey: KEY, workspaceId: 'ferry', enabled: true, destinations: [],
          config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
        },
      });
    }
  });

  it("takes the write key from v3's Basic auth too: its ad-block probe (HEAD ?view=ad) carries no writeKey in the query", async () => {
    const basic = (k: string) => ({ Authorization: `Basic ${Buffer.from(`${k}:`).toString('base64')}` });
    const probe = await head(ferry.url, '/sourceConfig/?view=ad', basic(KEY));
    expect(probe).toBe(200);
    expect((await get(ferry.url, `/sourceConfig/?writeKey=${KEY}`, undefined, basic(KEY))).status).toBe(200);
    expect((await get(ferry.url, '/sourceConfig/?view=ad', undefined, basic('nope'))).status).toBe(404);
    // Two different keys in one request name no source.
    const both = await get(ferry.url, `/sourceConfig/?writeKey=${KEY}`, undefined, basic(BATCH_KEY));
    expect(both.status).toBe(400);
    expect(both.body).toMatchObject({ ok: false, code: 'invalid_body' });
  });

  it('answers 404 for an unknown, missing or repeated writeKey', async () => {
    for (const q of ['?writeKey=nope', '', '?writeKey=', `?writeKey=${KEY}&writeKey=${KEY}`]) {
      const a = await get(ferry.url, `/sourceConfig/${q}`);
      expect(a.status, q).toBe(404);
      expect(a.body).toMatchObject({ ok: false, code: 'not_found' });
    }
  });
});

describe('publicUrl and Host validation', () => {
  it('accepts only an http(s) URL without userinfo, query or fragment', () => {
    const base = { sources: [{ name: 's', writeKeys: ['k'] }] };
    for (const ok of ['https://collect.example.com', 'http://127.0.0.1:8080/prefix/']) expect(validateConfig({ ...base, publicUrl: ok }).publicUrl).toBe(ok);
    for (const bad of ['ftp://x.example', 'https://user@x.example', 'https://x.example/?a=1', 'https://x.example/#f', 'collect.example.com', 'https://']) {
      expect(() => validateConfig({ ...base, publicUrl: bad }), bad).toThrow(/publicUrl/);
    }
  });

  it('refuses a name that a URL parser reads as a different or invalid IPv4 address', () => {
    // WHATWG URL parses a name whose last label is numeric as IPv4: `08` throws, `1.2.3` becomes 1.2.0.3.
    for (const bad of ['08', '08:80', '1.2.3', '0x7f.1', '999.1.1.1', 'a.0x10']) expect(validHost(bad), bad).toBeUndefined();
    for (const ok of ['localhost', 'localhost:8080', '127.0.0.1:3000', '[::1]:8081', 'collect.example.com', 'example.com.', 'a1.b2']) expect(validHost(ok), ok).toBe(ok);
  });

  it('lets through only a host[:port] that stays one host once put in a URL', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.domain(), fc.webAuthority({ withPort: true, withUserInfo: true, withIPv6: true })), (host) => {
        const v = validHost(host);
        if (v === undefined) return;
        expect(v).toMatch(/^[a-z0-9.:[\]-]+$/);
        const url = new URL(`http://${v}/v1`);
        expect(url.pathname).toBe('/v1');
        expect(url.username).toBe('');
        expect(url.search + url.hash).toBe('');
      }),
      { numRuns: 2000 },
    );
  });
});
