import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, post, startFerry, tempDir, trackEvent, type FerryProcess } from '../helpers/ferry-process.js';

const KEY = 'mend-key';

/** A raw request, so Host, Origin and the body can be anything (fetch sets Host itself). */
function raw(port: number, path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the Host header of the operator listener', () => {
  let f: FerryProcess;
  beforeAll(async () => {
    f = await startFerry({ config: { sources: [{ name: 'web', writeKeys: [KEY] }], admin: { allowedHosts: ['ops.internal'] } } });
  });
  afterAll(async () => {
    await f.kill();
    cleanup(f.dataDir);
  });

  it('refuses a Host that is not a plain host[:port], even when it starts with an allowed name', async () => {
    const malformed = ['[::1]evil.com', '[::1].evil.com', '[::1]:1@evil.com', 'localhost:x@evil.com', 'localhost:@evil.com', 'localhost evil.com', 'localhost:99999', '127.0.0.1:80/x', 'ops.internal:1:2', '[::1'];
    for (const host of malformed) {
      const res = await raw(f.adminPort, '/admin/events', { Host: host });
      expect(res.status, host).toBeGreaterThanOrEqual(400);
      expect(res.status, host).toBeLessThan(500);
      expect(res.body, host).not.toContain('"events"');
    }
    for (const host of [`localhost:${f.adminPort}`, `[::1]:${f.adminPort}`, '[::1]', 'ops.internal', 'OPS.internal:443']) {
      expect((await raw(f.adminPort, '/admin/events', { Host: host })).status, host).toBe(200);
    }
  });
});

describe('the demo page API on the public listener', () => {
  const dataDir = tempDir('ferry-mend-demo-');
  let proc: ReturnType<typeof spawn>;
  let port = 0;
  beforeAll(async () => {
    proc = spawn(process.execPath, [new URL('../../bin/ferry.js', import.meta.url).pathname, 'demo', '--port', '0', '--admin-port', '0', '--data', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stderr!.on('data', (d) => (out += d));
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo did not start:\n${out}`)), 20_000);
      proc.stdout!.on('data', (d) => {
        out += d;
        const m = /ferry listening on http:\/\/[^:]+:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
  });
  afterAll(async () => {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
    cleanup(dataDir);
  });

  const state = async () => JSON.parse((await raw(port, '/demo/api/state', { Host: `127.0.0.1:${port}` })).body) as { switches: { collectorDown: boolean } };

  it('refuses a forged Host (DNS rebinding) on every demo API route', async () => {
    const sent = await post(`http://127.0.0.1:${port}`, { batch: [trackEvent({ traits: { email: 'a@b.example' } })] }, { writeKey: 'demo-write-key' });
    expect(sent.status).toBe(200);
    const id = String((await state() as unknown as { recent: Array<{ messageId: string }> }).recent[0]!.messageId);
    const asked: Array<[string, string, string?]> = [['GET', '/demo/api/state'], ['GET', `/demo/api/events/${encodeURIComponent(id)}`], ['POST', '/demo/api/switch', '{"collectorDown":true}']];
    for (const [method, path, body] of asked) {
      const res = await raw(port, path, { Host: `rebind.example:${port}`, 'Content-Type': 'text/plain' }, method, body);
      expect(res.status, path).toBe(403);
      expect(res.body, path).not.toContain('a@b.example');
    }
    expect((await state()).switches.collectorDown).toBe(false);
  });

  it('refuses a cross-origin POST that needs no preflight, and serves the same origin', async () => {
    const host = `127.0.0.1:${port}`;
    const forged = await raw(port, '/demo/api/switch', { Host: host, Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'text/plain' }, 'POST', '{"collectorDown":true}');
    expect(forged.status).toBe(403);
    expect(JSON.parse(forged.body)).toMatchObject({ ok: false, code: 'forbidden' });
    expect((await state()).switches.collectorDown).toBe(false);
    const own = await raw(port, '/demo/api/switch', { Host: host, Origin: `http://${host}`, 'Sec-Fetch-Site': 'same-origin', 'Content-Type': 'text/plain' }, 'POST', '{"collectorDown":false}');
    expect(own.status).toBe(200);
    expect(JSON.parse(own.body)).toMatchObject({ ok: true, collectorDown: false });
  });
});
