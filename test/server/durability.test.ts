import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cleanup, post, startFerry, readEvents, tempDir, trackEvent, type FerryProcess } from '../helpers/ferry-process.js';
import { waitFor } from '../helpers/sink.js';

const KEY = 'durable-key';
const running: FerryProcess[] = [];
const dirs: string[] = [];

async function start(dataDir: string, extra: string[] = []) {
  const f = await startFerry({ dataDir, args: ['--write-key', KEY, ...extra] });
  running.push(f);
  return f;
}

afterEach(async () => {
  for (const f of running.splice(0)) await f.kill('SIGKILL');
  for (const d of dirs.splice(0)) cleanup(d);
});

describe('durability (G4)', () => {
  it('loses nothing acknowledged when killed with SIGKILL right after the last 200', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const ferry = await start(dir);
    const acked: string[] = [];
    // 8 concurrent senders, 25 batches of 40 each: group commits under load.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let b = 0; b < 25; b++) {
          const batch = Array.from({ length: 40 }, () => trackEvent());
          const res = await post(ferry.url, { batch }, { writeKey: KEY, gzip: true });
          expect(res.status).toBe(200);
          acked.push(...batch.map((e) => String(e.messageId)));
        }
      }),
    );
    ferry.proc.kill('SIGKILL');
    await ferry.exited;
    expect(acked).toHaveLength(8000);
    const restarted = await start(dir);
    const stored = (await readEvents(dir));
    const ids = stored.map((e) => e.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(acked));
    // And the restarted server still dedupes what it had acknowledged before the kill.
    const again = await post(restarted.url, { batch: stored.slice(0, 50).map((s) => s.event) }, { writeKey: KEY });
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 50 });
  }, 90_000);

  it('on SIGTERM finishes the request in flight, refuses new work, and exits 0', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const ferry = await start(dir);
    const port = ferry.port;
    // A request the server has started reading: headers and half the body are in.
    const batch = Array.from({ length: 50 }, () => trackEvent());
    const body = Buffer.from(JSON.stringify({ batch }));
    const inFlight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/v1/batch', method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': body.length, Authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}` } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.write(body.subarray(0, body.length >> 1));
      setTimeout(async () => {
        ferry.proc.kill('SIGTERM');
        // Once the server has seen the signal (/ready says 503, or nothing listens any more),
        // new work is refused: a 503 with Retry-After, or no connection at all.
        await waitFor(() => fetch(`${ferry.url}/ready`).then((r) => r.status === 503, () => true), 5000, 'the server to see SIGTERM');
        await post(ferry.url, { batch: [trackEvent()] }, { writeKey: KEY }).then(
          (late) => refusals.push(late.status === 503 && late.headers.get('retry-after') === '5' ? 'refused' : `answered ${late.status}`),
          () => refusals.push('refused'),
        );
        req.end(body.subarray(body.length >> 1));
      }, 100);
    });
    const refusals: string[] = [];
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ ok: true, accepted: 50, duplicates: 0 });
    expect(await ferry.exited).toBe(0);
    expect(refusals).toEqual(['refused']);
    // The finished request is on disk, the refused one is not.
    expect((await readEvents(dir)).map((e) => e.messageId)).toEqual(batch.map((e) => e.messageId));
  });
});

describe('dedupe (G5)', () => {
  it('stores a batch sent 3 times once, sequentially and concurrently, with exact duplicate counts', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const ferry = await start(dir);
    const batch = Array.from({ length: 30 }, () => trackEvent());
    const first = await post(ferry.url, { batch }, { writeKey: KEY });
    const second = await post(ferry.url, { batch }, { writeKey: KEY, gzip: true });
    expect(first.body).toMatchObject({ accepted: 30, duplicates: 0 });
    expect(second.body).toMatchObject({ accepted: 0, duplicates: 30 });
    const other = Array.from({ length: 30 }, () => trackEvent());
    const concurrent = await Promise.all([0, 1, 2].map(() => post(ferry.url, { batch: other }, { writeKey: KEY })));
    expect(concurrent.reduce((n, r) => n + Number(r.body.accepted), 0)).toBe(30);
    expect(concurrent.reduce((n, r) => n + Number(r.body.duplicates), 0)).toBe(60);
    // Duplicates inside one batch count too.
    const inner = trackEvent();
    const dup = await post(ferry.url, { batch: [inner, inner, inner] }, { writeKey: KEY });
    expect(dup.body).toMatchObject({ accepted: 1, duplicates: 2 });
    expect((await readEvents(dir))).toHaveLength(61);
  });

  it('dedupes per source: the same messageId from two sources is two events', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const ferry = await startFerry({ dataDir: dir, config: { sources: [{ name: 'a', writeKeys: ['ka'] }, { name: 'b', writeKeys: ['kb'] }] } });
    running.push(ferry);
    const e = trackEvent();
    expect((await post(ferry.url, { batch: [e] }, { writeKey: 'ka' })).body.accepted).toBe(1);
    expect((await post(ferry.url, { batch: [e] }, { writeKey: 'kb' })).body.accepted).toBe(1);
    expect((await post(ferry.url, { batch: [e] }, { writeKey: 'kb' })).body.duplicates).toBe(1);
  });

  it('forgets a messageId after the dedupe window', async () => {
    const dir = tempDir();
    dirs.push(dir);
    // 0.0003 h ≈ 1 s
    const ferry = await start(dir, ['--dedupe-window-hours', '0.0003']);
    const e = trackEvent();
    expect((await post(ferry.url, { batch: [e] }, { writeKey: KEY })).body.accepted).toBe(1);
    expect((await post(ferry.url, { batch: [e] }, { writeKey: KEY })).body.duplicates).toBe(1);
    await new Promise((r) => setTimeout(r, 1300));
    expect((await post(ferry.url, { batch: [e] }, { writeKey: KEY })).body.accepted).toBe(1);
  });
});

describe('overload and configuration', () => {
  it('answers 503 with Retry-After instead of queueing beyond maxPendingEvents', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const ferry = await startFerry({ dataDir: dir, config: { maxPendingEvents: 5, sources: [{ name: 's', writeKeys: [KEY] }] } });
    running.push(ferry);
    const res = await post(ferry.url, { batch: Array.from({ length: 6 }, () => trackEvent()) }, { writeKey: KEY });
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('overloaded');
    expect(res.headers.get('retry-after')).toBe('2');
    expect((await post(ferry.url, { batch: [trackEvent()] }, { writeKey: KEY })).status).toBe(200);
  });

  it.each([
    [{ sources: [{ name: 's', writeKeys: [] }] }, /sources\.0\.writeKeys: must NOT have fewer than 1 items/],
    [{ sources: [{ name: 's', writeKeys: ['k'] }], dedupeWindowHours: 'long' }, /dedupeWindowHours: must be number/],
    [{ sources: [{ name: 's', writeKeys: ['k'] }], colour: 'blue' }, /unknown field "colour"/],
    [{}, /no source: pass --write-key KEY or a --config file with "sources"/],
    [{ sources: [{ name: 's', writeKeys: ['k'] }], destinations: [{ name: 'w', type: 'webhook' }] }, /destinations\.0: missing field "url"/],
    [{ sources: [{ name: 's', writeKeys: ['k'] }], destinations: [{ name: 'w', type: 'carrier-pigeon' }] }, /destinations\.0\.type: must be one of "webhook", "file", "memory"/],
    [{ sources: [{ name: 's', writeKeys: ['k'] }, { name: 't', writeKeys: ['k'] }] }, /"k" already belongs to source "s"/],
    [{ sources: [{ name: 's', writeKeys: ['k'], destinations: ['nowhere'] }] }, /no destination is named "nowhere"/],
  ])('exits 1 on a bad config and names the field (%#)', (config, message) => {
    const dir = tempDir();
    dirs.push(dir);
    const file = `${dir}/bad.json`;
    writeFileSync(file, JSON.stringify(config));
    const res = spawnSync(process.execPath, [new URL('../../bin/ferry.js', import.meta.url).pathname, 'serve', '--config', file, '--port', '0'], { encoding: 'utf8', timeout: 10_000 });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(message);
  });
});
