import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, startFerry, tempDir, type FerryProcess } from '../helpers/ferry-process.js';

const KEY = 'operator-key';
let f: FerryProcess;

beforeAll(async () => {
  f = await startFerry({ config: { sources: [{ name: 'web', writeKeys: [KEY] }], admin: { allowedHosts: ['ops.internal'] } } });
});
afterAll(async () => {
  await f.kill();
  cleanup(f.dataDir);
});

/** A raw request, so the Host header can be anything (fetch always sends the real one). */
function raw(port: number, path: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the operator surface (G10)', () => {
  it('is not served by the public listener', async () => {
    for (const path of ['/admin/events', '/metrics', '/admin/destinations']) {
      const res = await fetch(`${f.url}${path}`);
      expect(res.status, path).toBe(404);
    }
    expect((await fetch(`${f.adminUrl}/admin/events`)).status).toBe(200);
  });

  it('refuses a Host header that is not on the allow-list (DNS rebinding)', async () => {
    const forged = await raw(f.adminPort, '/admin/events', { Host: `evil.example:${f.adminPort}` });
    expect(forged.status).toBe(403);
    expect(JSON.parse(forged.body)).toMatchObject({ ok: false, code: 'forbidden' });
    expect((await raw(f.adminPort, '/admin/events', { Host: 'evil.example' })).status).toBe(403);
    for (const host of [`localhost:${f.adminPort}`, `127.0.0.1:${f.adminPort}`, `[::1]:${f.adminPort}`, 'ops.internal', 'OPS.internal:443']) {
      expect((await raw(f.adminPort, '/admin/events', { Host: host })).status, host).toBe(200);
    }
  });

  it('refuses requests of web pages of another origin and never answers with CORS headers', async () => {
    const origin = 'http://127.0.0.1:1';
    const attempts: Array<[string, string, Record<string, string>]> = [
      ['GET', '/admin/events', { Origin: origin }],
      ['GET', '/admin/events', { 'Sec-Fetch-Site': 'same-site' }],
      ['OPTIONS', '/admin/events', { Origin: origin, 'Access-Control-Request-Method': 'GET' }],
      ['OPTIONS', '/admin/users/u/suppress', { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' }],
      ['POST', '/admin/users/u/suppress', { Origin: origin, 'Content-Type': 'text/plain' }],
    ];
    for (const [method, path, headers] of attempts) {
      const res = await raw(f.adminPort, path, { Host: `127.0.0.1:${f.adminPort}`, ...headers }, method);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-')), `${method} ${path}`).toEqual([]);
    }
    // Even requests the guard lets through (no Origin, or the listener's own) get no CORS header.
    for (const headers of [{}, { Origin: `http://127.0.0.1:${f.adminPort}` }] as Array<Record<string, string>>) {
      const passed = await raw(f.adminPort, '/admin/events', { Host: `127.0.0.1:${f.adminPort}`, ...headers });
      expect(passed.status).toBe(200);
      expect(Object.keys(passed.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
    // While the public listener answers any origin.
    const pre = await fetch(`${f.url}/v1/batch`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' } });
    expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
  });

  it('takes JSON bodies only: a body a page could send without a preflight is refused', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await f.admin('/admin/users/someone/suppress', { method: 'POST', headers: { 'Content-Type': type }, body: '{"reason":"x"}' });
      expect(res.status, type).toBeGreaterThanOrEqual(400);
      expect(res.status, type).toBeLessThan(500);
    }
    const empty = await f.admin('/admin/users/someone/suppress', { method: 'POST' });
    expect(empty.status).toBe(400);
    const res = await f.admin('/admin/users/someone/suppress', { method: 'DELETE' });
    expect(await res.json()).toMatchObject({ wasSuppressed: false });
  });
});

/** Starts ferry with a config that must be refused; answers the error it exited with. */
async function refusedConfig(config: Record<string, unknown>): Promise<string> {
  const dataDir = tempDir();
  try {
    const started = await startFerry({ dataDir, config: { sources: [{ name: 'web', writeKeys: [KEY] }], ...config } }).then((p) => p, (e: Error) => e);
    if (!(started instanceof Error)) {
      await started.kill();
      return 'started';
    }
    return started.message;
  } finally {
    cleanup(dataDir);
  }
}

describe('operator configuration', () => {
  it('refuses to start an operator listener off loopback without a token', async () => {
    expect(await refusedConfig({ admin: { host: '0.0.0.0', port: 0 } })).toMatch(/admin\.token is required/);
  });

  it('refuses the old adminToken field with a pointer to admin.token', async () => {
    expect(await refusedConfig({ adminToken: 'correct-horse-battery' })).toMatch(/"adminToken" is now "admin"/);
  });
});
