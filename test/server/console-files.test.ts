import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, startFerry, type FerryProcess } from '../helpers/ferry-process.js';

const TOKEN = 'console-files-admin-token-0123456789';
let ferry: FerryProcess;

beforeAll(async () => {
  ferry = await startFerry({ config: { admin: { token: TOKEN }, sources: [{ name: 'web', writeKeys: ['k'] }] } });
});
afterAll(async () => {
  await ferry?.kill();
  if (ferry) cleanup(ferry.dataDir);
});

/** A raw GET: the path goes out exactly as written (fetch would resolve `..`). */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: ferry.adminPort, path, headers: { Host: `127.0.0.1:${ferry.adminPort}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the console files on the operator listener', () => {
  it('serves the page without the token, with a CSP that allows no inline script and no framing', async () => {
    const page = await rawGet('/console/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Ferry console</title>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self';");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect((await rawGet('/console/console.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await rawGet('/')).headers.location).toBe('/console/');
  });

  it('lends the token exemption to no other path, however it is spelled', async () => {
    for (const path of ['/admin/events', '/metrics', '/console/../admin/events', '/console/%2e%2e/admin/events', '/admin/events?x=/console/', '/console/x/../../admin/events']) {
      const res = await rawGet(path);
      expect([path, res.status]).toEqual([path, 401]);
      expect(res.body).not.toContain('"events"');
    }
    // An escaped slash stays in the file name: a name outside the console folder's flat list is
    // simply not there.
    for (const path of ['/console/..%2Fadmin%2Fevents', '/console/..%2Fpackage.json', '/console/%2e%2e%2fpackage.json', '/console/.env', '/console/console.ts']) {
      expect([path, (await rawGet(path)).status]).toEqual([path, 404]);
    }
  });

  it('keeps the Host and cross-site checks on the page itself', async () => {
    expect((await rawGet('/console/', { Host: `evil.test:${ferry.adminPort}` })).status).toBe(403);
    expect((await rawGet('/console/', { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await rawGet('/console/', { Origin: 'http://evil.test' })).status).toBe(403);
    expect((await rawGet('/console/', { 'Sec-Fetch-Site': 'none' })).status).toBe(200);
  });
});
