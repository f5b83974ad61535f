import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { SqliteStore } from '../../src/server/store/sqlite-store.js';
import type { NewEvent } from '../../src/server/store/types.js';
import { cleanup, tempDir } from '../helpers/ferry-process.js';

/**
 * events_by_user (migration 009) is written behind ingestion, in chunks. Whatever reads it
 * (erasure, the admin API's per-user query) must still see every event stored before it.
 */
const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

function open(): { store: SqliteStore; db: Database.Database } {
  const dir = tempDir();
  dirs.push(dir);
  const store = new SqliteStore(dir);
  return { store, db: new Database(join(dir, 'ferry.sqlite'), { readonly: true }) };
}

let n = 0;
function events(users: string[], receivedAt = Date.now()): NewEvent[] {
  return users.map((userKey) => {
    const messageId = `m-${++n}`;
    return { source: 's', messageId, type: 'track', userKey, receivedAt, body: JSON.stringify({ messageId, userId: userKey }), destinations: [], links: [] };
  });
}

const entries = (db: Database.Database, userKey: string) => db.prepare('SELECT COUNT(*) FROM events_by_user WHERE user_key = ?').pluck().get(userKey) as number;
const mark = (db: Database.Database) => db.prepare('SELECT seq FROM events_by_user_mark').pluck().get() as number;
const lastSeq = (db: Database.Database) => db.prepare('SELECT MAX(seq) FROM events').pluck().get() as number;

describe('the deferred user index', () => {
  it('erases the events it has not reached yet', async () => {
    const { store, db } = open();
    await store.ingest(events(['gone', 'kept', 'gone', 'kept', 'gone']), 0);
    expect(mark(db)).toBeLessThan(lastSeq(db)); // behind: these few events wait for a chunk
    const done = await store.eraseUser({ userKey: 'gone', by: 'loopback', address: null, suppress: false, at: Date.now() });
    expect(done.counts.events).toBe(3);
    expect((await store.events({})).map((e) => e.userKey)).toEqual(['kept', 'kept']);
    expect(entries(db, 'gone')).toBe(0);
    await store.close();
    db.close();
  });

  it('answers a per-user query with the newest events too', async () => {
    const { store, db } = open();
    await store.ingest(events(['a', 'b', 'a']), 0);
    expect((await store.events({ userKey: 'a' })).map((e) => e.messageId)).toEqual([`m-${n - 2}`, `m-${n}`]);
    await store.ingest(events(['a']), 0);
    expect((await store.events({ userKey: 'a', newestFirst: true, limit: 1 })).map((e) => e.messageId)).toEqual([`m-${n}`]);
    await store.close();
    db.close();
  });

  it('catches up behind ingestion on its own, in chunks, with one entry per event', async () => {
    const { store, db } = open();
    const users = Array.from({ length: 20_000 }, (_, i) => `u${i % 300}`);
    for (let i = 0; i < users.length; i += 2000) await store.ingest(events(users.slice(i, i + 2000)), 0);
    const deadline = Date.now() + 20_000;
    // Steps run between calls; what stays behind is less than one chunk.
    while (lastSeq(db) - mark(db) >= 8192 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(lastSeq(db) - mark(db)).toBeLessThan(8192);
    expect(mark(db)).toBeGreaterThan(0);
    const indexed = db.prepare('SELECT COUNT(*) FROM events_by_user').pluck().get() as number;
    expect(indexed).toBe(mark(db));
    expect(db.prepare('SELECT COUNT(*) FROM events_by_user u JOIN events e ON e.seq = u.seq AND e.user_key = u.user_key').pluck().get()).toBe(indexed);
    await store.close();
    db.close();
  });

  it('loses the entries of events that retention prunes', async () => {
    const { store, db } = open();
    await store.ingest(events(['old', 'old'], 1000), 0);
    await store.events({ userKey: 'old' }); // brings the index up
    expect(entries(db, 'old')).toBe(2);
    expect(await store.pruneSucceeded(Date.now(), 100)).toBe(2);
    expect(entries(db, 'old')).toBe(0);
    await store.close();
    db.close();
  });
});
