import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { cleanup, post, startFerry, tempDir, type FerryProcess } from '../helpers/ferry-process.js';
import { byUser, startSink, waitFor, type Sink } from '../helpers/sink.js';

const KEY = 'pipeline-key';
const running: FerryProcess[] = [];
const sinks: Sink[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const f of running.splice(0)) await f.kill('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
  for (const d of dirs.splice(0)) cleanup(d);
});

describe('pipelined claims (SQLite: the leases are read from its file)', () => {
  it('claims the next users while the first claim\'s request is still on the wire, and delivers all in per-user order', async () => {
    const HOLD_MS = 5000;
    // The first request is answered only after HOLD_MS; the sink records a request when it answers.
    const s = await startSink((_, n) => ({ status: 200, delayMs: n === 1 ? HOLD_MS : 0 }));
    sinks.push(s);
    const dataDir = tempDir();
    dirs.push(dataDir);
    // One event per claim: the first claim is full, so the next one is asked for at once.
    const f = await startFerry({
      dataDir,
      config: { sources: [{ name: 'web', writeKeys: [KEY] }], destinations: [{ name: 'hook', type: 'webhook', url: s.url, maxBatchEvents: 1 }] },
    });
    running.push(f);
    const run = `pipe-${Date.now()}`;
    const list = [0, 1].flatMap((i) => ['a', 'b'].map((u) => ({ type: 'track', event: `e ${i}`, userId: u, messageId: `${run}-${u}-${i}` })));
    expect((await post(f.url, { batch: list }, { writeKey: KEY })).status).toBe(200);

    const db = new Database(join(dataDir, 'ferry.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const leased = () => db.prepare('SELECT COUNT(*) FROM deliveries WHERE lease_until > ?').pluck().get(Date.now()) as number;
      await waitFor(() => leased() >= 2 || s.requests.length > 0, HOLD_MS * 3, 'a second claim, or the first answer');
      expect(s.requests).toHaveLength(0); // still held
      expect(leased()).toBe(2); // the first user's head, and the other user's: never a second event of one user
    } finally {
      db.close();
    }
    await waitFor(() => s.received.length >= list.length, 30_000, 'every event delivered');
    expect(s.received).toHaveLength(list.length);
    expect(byUser(s.received)).toEqual(byUser(list));
  }, 60_000);
});
