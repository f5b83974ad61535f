import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cleanup, post, startFerry, storedEvents, tempDir, type FerryProcess } from '../helpers/ferry-process.js';
import { startSink, waitFor, type Sink } from '../helpers/sink.js';

const KEY = 'erasure-key';
const EMAIL = 'ada.lovelace@example.com';
const running: FerryProcess[] = [];
const closers: Array<() => Promise<void>> = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const f of running.splice(0)) {
    await f.kill('SIGKILL');
    cleanup(f.dataDir);
  }
  for (const close of closers.splice(0)) await close();
  for (const d of dirs.splice(0)) cleanup(d);
});

async function start(config: Record<string, unknown> = {}): Promise<FerryProcess> {
  const f = await startFerry({ dataDir: tempDir(), config: { sources: [{ name: 'web', writeKeys: [KEY] }], ...config } });
  running.push(f);
  return f;
}

async function sink(respond?: Parameters<typeof startSink>[0]): Promise<Sink> {
  const s = await startSink(respond);
  closers.push(() => s.close());
  return s;
}

let n = 0;
const mid = (what: string) => `${what}-${process.pid}-${Date.now()}-${++n}`;

/** The anonymous visit of the issue: a page view and a track carrying an email, then identify(). */
function visitThenIdentify(anon: string, userId: string) {
  return {
    anonymous: [
      { type: 'page', name: 'Pricing', anonymousId: anon, messageId: mid('page') },
      { type: 'track', event: 'Newsletter Signup', anonymousId: anon, properties: { email: EMAIL }, messageId: mid('track') },
    ],
    identified: [
      { type: 'identify', userId, anonymousId: anon, traits: { email: EMAIL }, messageId: mid('identify') },
      { type: 'track', event: 'Order Completed', userId, anonymousId: anon, properties: { total: 42 }, messageId: mid('order') },
    ],
  };
}

async function send(f: FerryProcess, batch: unknown[]): Promise<Record<string, unknown>> {
  const res = await post(f.url, { batch }, { writeKey: KEY });
  expect(res.status).toBe(200);
  return res.body;
}

async function erase(f: FerryProcess, userKey: string, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const res = await fetch(`${f.adminUrl}/admin/users/${encodeURIComponent(userKey)}`, { method: 'DELETE', headers });
  const body = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

function readDb<T>(f: FerryProcess, read: (db: Database.Database) => T): T {
  const db = new Database(join(f.dataDir, 'ferry.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** Every row of every table except the audit log, as text: where an erased trace would show. */
function everyStoredRow(f: FerryProcess): string {
  return readDb(f, (db) => {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('erasures')").pluck().all() as string[];
    return tables.map((t) => `${t}: ${JSON.stringify(db.prepare(`SELECT * FROM "${t}"`).all())}`).join('\n');
  });
}

function rowCount(f: FerryProcess, table: string): number {
  return readDb(f, (db) => db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number);
}

function archiveLines(dir: string): Array<Record<string, unknown>> {
  if (!existsSync(dir)) return [];
  // events-DAY.ndjson, then its rotations events-DAY.1.ndjson, events-DAY.2.ndjson, …
  const order = (f: string) => [f.slice(7, 17), Number(/\.(\d+)\.ndjson$/.exec(f)?.[1] ?? 0)] as const;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ndjson'))
    .sort((a, b) => (order(a)[0] === order(b)[0] ? order(a)[1] - order(b)[1] : order(a)[0] < order(b)[0] ? -1 : 1))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
}

describe('erasing a user (G11)', () => {
  it('removes the anonymous history that identify() linked to the user, and nothing of anyone else', async () => {
    const f = await start();
    const visit = visitThenIdentify('anon-1', 'user-1');
    await send(f, visit.anonymous);
    await send(f, visit.identified);
    await send(f, [{ type: 'track', event: 'Bystander', userId: 'user-2', anonymousId: 'anon-2', messageId: mid('b') }]);

    const receipt = await erase(f, 'user-1');
    expect(receipt).toMatchObject({ ok: true, userKey: 'user-1', events: 4, deliveries: 0, identities: 2 });

    expect(storedEvents(f.dataDir).map((e) => e.event.event)).toEqual(['Bystander']);
    const rest = everyStoredRow(f);
    for (const trace of ['anon-1', 'user-1', EMAIL, 'Newsletter Signup', 'Pricing']) expect(rest).not.toContain(trace);
    expect(rest).toContain('anon-2');
  });

  it('follows alias chains from the newest id, and finds the whole graph from an anonymousId', async () => {
    const f = await start();
    // anon-a was identified as old-id, which was later aliased to new-id; anon-b belongs to new-id.
    await send(f, [{ type: 'track', event: 'Anon A', anonymousId: 'anon-a', properties: { email: EMAIL }, messageId: mid('a') }]);
    await send(f, [{ type: 'identify', userId: 'old-id', anonymousId: 'anon-a', messageId: mid('i') }]);
    await send(f, [{ type: 'alias', userId: 'new-id', previousId: 'old-id', messageId: mid('alias') }]);
    await send(f, [{ type: 'page', anonymousId: 'anon-b', messageId: mid('b') }, { type: 'track', event: 'Linked B', userId: 'new-id', anonymousId: 'anon-b', messageId: mid('b2') }]);
    await send(f, [{ type: 'track', event: 'Other', userId: 'other', messageId: mid('o') }]);

    // From an anonymousId: up to old-id, then new-id, then down to anon-b.
    const receipt = await erase(f, 'anon-a');
    expect(receipt).toMatchObject({ events: 5, identities: 4 });
    expect(storedEvents(f.dataDir).map((e) => e.event.event)).toEqual(['Other']);
    expect(everyStoredRow(f)).not.toMatch(/anon-a|anon-b|old-id|new-id|ada\.lovelace/);

    // From the newest userId, down the chain.
    await send(f, [{ type: 'track', event: 'Anon C', anonymousId: 'anon-c', messageId: mid('c') }]);
    await send(f, [{ type: 'identify', userId: 'first', anonymousId: 'anon-c', messageId: mid('i') }]);
    await send(f, [{ type: 'alias', userId: 'second', previousId: 'first', messageId: mid('alias') }]);
    expect(await erase(f, 'second')).toMatchObject({ events: 3, identities: 3 });
    expect(storedEvents(f.dataDir).map((e) => e.event.event)).toEqual(['Other']);
  });

  it('erases a shared device’s anonymous history with its user, but not the other user of that device', async () => {
    const archive = tempDir('ferry-archive-');
    dirs.push(archive);
    const f = await start({ destinations: [{ name: 'archive', type: 'file', path: archive }] });
    await send(f, [{ type: 'track', event: 'Before anyone', anonymousId: 'device', messageId: mid('d') }]);
    await send(f, [{ type: 'identify', userId: 'alice', anonymousId: 'device', messageId: mid('i') }]);
    await send(f, [{ type: 'identify', userId: 'bob', anonymousId: 'device', messageId: mid('i') }, { type: 'track', event: 'Bob bought', userId: 'bob', anonymousId: 'device', messageId: mid('t') }]);
    await waitFor(() => archiveLines(archive).length === 4, 15_000, 'the archive');
    expect(await erase(f, 'alice')).toMatchObject({ events: 2, identities: 2 });
    expect(storedEvents(f.dataDir).map((e) => [e.event.type, e.event.userId])).toEqual([['identify', 'bob'], ['track', 'bob']]);
    // The archive keeps what the database keeps: bob's lines carry the device's id, yet are his.
    expect(archiveLines(archive).map((e) => [e.type, e.userId])).toEqual([['identify', 'bob'], ['track', 'bob']]);
    // Bob's graph still knows the device.
    expect(await erase(f, 'bob')).toMatchObject({ events: 2, identities: 2 });
    expect(rowCount(f, 'events')).toBe(0);
  });

  it('finds the user’s rows through indexes, never by scanning a table', async () => {
    const f = await start();
    const dir = new URL('../../sql/sqlite/statements/', import.meta.url).pathname;
    const names = readdirSync(dir).filter((s) => s.startsWith('erase-'));
    expect(names.length).toBeGreaterThanOrEqual(5);
    readDb(f, (db) => {
      for (const name of names) {
        const sql = readFileSync(join(dir, name), 'utf8');
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ key: 'k', ids: '["k"]', seqs: '[1]' }) as Array<{ detail: string }>).map((r) => r.detail);
        for (const step of plan) expect(step, `${name}: ${plan.join(' | ')}`).not.toMatch(/^SCAN (events|deliveries|delivery_log|identity_links|dedupe)\b/);
        expect(plan.join(' | '), name).not.toMatch(/json_extract/);
      }
    });
  });

  it('deletes deliveries and their attempts; a resent copy of an erased event is acknowledged as a duplicate, not stored again', async () => {
    let fail = true;
    const s = await sink(() => (fail ? { status: 503 } : { status: 200 }));
    const f = await start({ destinations: [{ name: 'hook', type: 'webhook', url: s.url, retry: { baseMs: 20, capMs: 50 } }] });
    const visit = visitThenIdentify('anon-r', 'user-r');
    await send(f, visit.anonymous);
    await send(f, visit.identified);
    await waitFor(() => rowCount(f, 'delivery_log') >= 2, 15_000, 'failed attempts');
    fail = false;
    await waitFor(() => s.received.length === 4, 15_000, 'the deliveries');
    await waitFor(() => readDb(f, (db) => db.prepare("SELECT COUNT(*) FROM deliveries WHERE state = 'succeeded'").pluck().get() as number) === 4, 15_000, 'settled deliveries');
    const attempts = rowCount(f, 'delivery_log');

    expect(await erase(f, 'user-r')).toMatchObject({ events: 4, deliveries: 4, attempts });
    expect(rowCount(f, 'deliveries')).toBe(0);
    expect(rowCount(f, 'delivery_log')).toBe(0);

    // The client never heard the answers (a lost ack) and sends everything again.
    const again = await send(f, [...visit.anonymous, ...visit.identified]);
    expect(again).toMatchObject({ accepted: 0, duplicates: 4 });
    expect(rowCount(f, 'events')).toBe(0);
    expect(everyStoredRow(f)).not.toContain(EMAIL);
  });

  it('scrubs the erased user from the attempt logs of other users\' deliveries, where a destination echoed a shared batch', async () => {
    // The destination answers each batch by echoing it: the answer excerpt kept in the attempt
    // log of every delivery of that batch holds the events of every user in it.
    const s = await sink((events, n) => ({ status: n === 1 ? 503 : 200, body: { echo: events.map((e) => ({ userId: e.userId, email: (e.properties as { email?: string } | undefined)?.email })) } }));
    const f = await start({ destinations: [{ name: 'hook', type: 'webhook', url: s.url, retry: { baseMs: 20, capMs: 50 } }] });
    await send(f, [
      { type: 'track', event: 'Signup', userId: 'keeper', messageId: mid('keep') },
      { type: 'track', event: 'Signup', userId: 'victim-echo', properties: { email: EMAIL }, messageId: mid('victim') },
    ]);
    await waitFor(() => readDb(f, (db) => db.prepare("SELECT COUNT(*) FROM deliveries WHERE state = 'succeeded'").pluck().get() as number) === 2, 15_000, 'settled deliveries');
    expect(readDb(f, (db) => db.prepare('SELECT COUNT(*) FROM delivery_log').pluck().get() as number)).toBeGreaterThanOrEqual(4);
    await erase(f, 'victim-echo');
    const rows = everyStoredRow(f);
    expect(rows).not.toContain(EMAIL);
    expect(rows).not.toContain('victim-echo');
    // The keeper's own receipts stay: its delivery and attempts, their statuses and outcomes.
    expect(readDb(f, (db) => db.prepare("SELECT status FROM delivery_log l JOIN deliveries d ON d.id = l.delivery_id WHERE d.user_key = 'keeper' ORDER BY l.id").pluck().all())).toEqual([503, 200]);
  });

  it('scrubs an echo that quotes only the erased user\'s email, and leaves other requests\' answers alone whatever they contain', async () => {
    const s = await sink((events, n) => ({ status: 200, body: { subscribed: events.map((e) => (e.properties as { email?: string } | undefined)?.email ?? null), requestId: `req-${n}` } }));
    const f = await start({ destinations: [{ name: 'hook', type: 'webhook', url: s.url }] });
    // A request of its own for the keeper first: its answer contains the digit "1", the id erased below.
    await send(f, [{ type: 'track', event: 'Alone', userId: 'keeper', messageId: mid('alone') }]);
    await waitFor(() => rowCount(f, 'delivery_log') === 1, 15_000, 'the keeper alone');
    await send(f, [
      { type: 'track', event: 'Signup', userId: 'keeper', messageId: mid('keep') },
      { type: 'track', event: 'Signup', userId: '1', properties: { email: EMAIL }, messageId: mid('victim') },
    ]);
    await waitFor(() => rowCount(f, 'delivery_log') === 3, 15_000, 'the shared request');
    await erase(f, '1');
    expect(everyStoredRow(f)).not.toContain(EMAIL);
    expect(readDb(f, (db) => db.prepare("SELECT response FROM delivery_log l JOIN deliveries d ON d.id = l.delivery_id WHERE d.user_key = 'keeper' ORDER BY l.id").pluck().all())).toEqual([
      JSON.stringify({ subscribed: [null], requestId: 'req-1' }),
      '[erased]',
    ]);
  });

  it('leaves no trace of the erased ids in the file, not even in index pages freed by earlier deliveries', async () => {
    const f = await start({ destinations: [{ name: 'feed', type: 'memory' }] });
    const victim = `victim-${mid('id')}@mail.example`;
    for (let k = 0; k < 20; k++) {
      const batch: unknown[] = Array.from({ length: 10 }, (_, u) => ({ type: 'track', event: 'Pad', userId: `other-${u}`, properties: { pad: 'x'.repeat(300) }, messageId: mid('o') }));
      batch.push({ type: 'track', event: 'Mine', userId: victim, properties: { pad: 'y'.repeat(300) }, messageId: mid('v') });
      await send(f, batch);
    }
    // Every delivery settles first: its index entries move (pending -> succeeded) and free pages.
    await waitFor(() => readDb(f, (db) => (db.prepare("SELECT count(*) AS n FROM deliveries WHERE state = 'succeeded'").get() as { n: number }).n) === 220, 30_000, 'every delivery');
    await erase(f, victim);
    const audit = readDb(f, (db) => (db.prepare('SELECT count(*) AS n FROM erasures').get() as { n: number }).n);
    let copies = 0;
    for (const file of ['ferry.sqlite', 'ferry.sqlite-wal']) {
      const path = join(f.dataDir, file);
      if (!existsSync(path)) continue;
      const bytes = readFileSync(path);
      for (let at = bytes.indexOf(victim); at !== -1; at = bytes.indexOf(victim, at + 1)) copies++;
    }
    // The audit row names what was asked (and its index may too); nothing else may.
    expect(copies).toBeLessThanOrEqual(2 * audit);
  });

  it('leaves no erased bytes in the database file or its WAL', async () => {
    const f = await start();
    const visit = visitThenIdentify('anon-w', 'user-w');
    await send(f, visit.anonymous);
    await send(f, visit.identified);
    await erase(f, 'user-w');
    for (const file of ['ferry.sqlite', 'ferry.sqlite-wal']) {
      const path = join(f.dataDir, file);
      if (existsSync(path)) expect(readFileSync(path).includes(EMAIL), file).toBe(false);
    }
  });

  it('rewrites the file destination’s archives without the user, keeps everybody else’s lines in order, and keeps appending', async () => {
    const archive = tempDir('ferry-archive-');
    const single = tempDir('ferry-single-');
    dirs.push(archive, single);
    // Small files: the user's lines are spread over several rotated archives. Beside it, one
    // file that stays open for appending across the erasure.
    const f = await start({ destinations: [
      { name: 'archive', type: 'file', path: archive, maxBytes: 1024 },
      { name: 'single', type: 'file', path: single },
    ] });
    const visit = visitThenIdentify('anon-f', 'user-f');
    const others = Array.from({ length: 12 }, (_, i) => ({ type: 'track', event: `Other ${i}`, userId: `other-${i % 3}`, messageId: mid('o') }));
    await send(f, [...others.slice(0, 4), ...visit.anonymous]);
    await send(f, [...others.slice(4, 8), ...visit.identified]);
    await send(f, others.slice(8));
    await waitFor(() => archiveLines(archive).length === 16 && archiveLines(single).length === 16, 15_000, 'the archives');
    expect(readdirSync(archive).filter((x) => x.endsWith('.ndjson')).length).toBeGreaterThan(1);
    expect(readdirSync(single)).toHaveLength(1);

    const receipt = await erase(f, 'user-f');
    expect(receipt).toMatchObject({ events: 4, deliveries: 8, archiveLines: 8 });
    for (const dir of [archive, single]) {
      expect(archiveLines(dir).map((e) => e.event)).toEqual(others.map((o) => o.event));
      const raw = readdirSync(dir).map((x) => readFileSync(join(dir, x), 'utf8')).join('');
      for (const trace of ['anon-f', 'user-f', EMAIL]) expect(raw).not.toContain(trace);
      expect(readdirSync(dir).filter((x) => !x.endsWith('.ndjson'))).toEqual([]);
    }

    // The destinations go on appending to the rewritten files, not to a replaced inode.
    await send(f, [{ type: 'track', event: 'After', userId: 'other-0', messageId: mid('after') }]);
    for (const dir of [archive, single]) {
      await waitFor(() => archiveLines(dir).some((e) => e.event === 'After'), 15_000, `the later event in ${dir}`);
      expect(archiveLines(dir).map((e) => e.event)).toEqual([...others.map((o) => o.event), 'After']);
    }
  });

  it('finishes an erasure whose archive rewrite failed at the next start, and audits it as pending until then', async () => {
    const archive = tempDir('ferry-archive-');
    dirs.push(archive);
    const config = { sources: [{ name: 'web', writeKeys: [KEY] }], destinations: [{ name: 'archive', type: 'file', path: archive }] };
    const f = await startFerry({ dataDir: tempDir(), config });
    running.push(f);
    const visit = visitThenIdentify('anon-p', 'user-p');
    await send(f, [...visit.anonymous, ...visit.identified, { type: 'track', event: 'Other', userId: 'other', messageId: mid('o') }]);
    await waitFor(() => archiveLines(archive).length === 5, 15_000, 'the archive');
    // A directory where the erasure clears stale temp files: the archive step fails.
    const blocker = join(archive, 'blocker.erasing');
    mkdirSync(join(blocker, 'inside'), { recursive: true });

    const res = await fetch(`${f.adminUrl}/admin/users/user-p`, { method: 'DELETE' });
    expect(res.status).toBe(500);
    expect(rowCount(f, 'events')).toBe(1);
    const pending = (await (await fetch(`${f.adminUrl}/admin/erasures`)).json()) as { erasures: Array<Record<string, unknown>> };
    expect(pending.erasures).toEqual([expect.objectContaining({ userKey: 'user-p', events: 4, archiveLines: null, completedAt: null })]);
    expect(archiveLines(archive).map((e) => e.event)).toContain('Newsletter Signup');

    rmSync(blocker, { recursive: true });
    await f.kill('SIGTERM');
    const again = await startFerry({ dataDir: f.dataDir, config });
    running.push(again);
    expect(archiveLines(archive).map((e) => e.event)).toEqual(['Other']);
    const done = (await (await fetch(`${again.adminUrl}/admin/erasures`)).json()) as { erasures: Array<Record<string, unknown>> };
    expect(done.erasures).toEqual([expect.objectContaining({ userKey: 'user-p', archiveLines: 4 })]);
    expect(Date.parse(done.erasures[0]!.completedAt as string)).not.toBeNaN();
    expect(everyStoredRow(again)).not.toMatch(/anon-p|user-p/);
  });

  it('a webhook delivery in flight during the erasure leaves no attempt or delivery behind', async () => {
    // A destination that holds the first request until told to answer.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let arrived = 0;
    const server: Server = createServer((req: IncomingMessage, res) => {
      arrived++;
      req.resume();
      const first = arrived === 1;
      void (first ? held : Promise.resolve()).then(() => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const f = await start({ destinations: [{ name: 'slow', type: 'webhook', url, timeoutMs: 30_000 }] });

    await send(f, [{ type: 'track', event: 'In flight', userId: 'user-x', properties: { email: EMAIL }, messageId: mid('x') }]);
    await waitFor(() => arrived === 1, 15_000, 'the held request');
    expect(await erase(f, 'user-x')).toMatchObject({ events: 1, deliveries: 1, attempts: 0 });
    release();

    // The loop settles the held request before it claims the next one: once this one is
    // settled, the erased one's settle has run.
    const later = mid('later');
    await send(f, [{ type: 'track', event: 'Later', userId: 'user-y', messageId: later }]);
    await waitFor(async () => {
      const story = (await (await fetch(`${f.adminUrl}/admin/events/${later}`)).json()) as { deliveries?: Array<{ state: string }> };
      return story.deliveries?.[0]?.state === 'succeeded';
    }, 15_000, 'the later delivery');
    expect(rowCount(f, 'delivery_log')).toBe(1);
    expect(rowCount(f, 'deliveries')).toBe(1);
    expect(everyStoredRow(f)).not.toMatch(/user-x|ada\.lovelace/);
  });

  it('scrubs the answer of a request in flight during the erasure, logged afterwards for the other users it carried', async () => {
    // A destination that holds the first request until told, then answers it by echoing the batch.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const carried: string[][] = [];
    const server: Server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const batch = (JSON.parse(Buffer.concat(chunks).toString()) as { batch: Array<{ userId: string; properties?: { email?: string } }> }).batch;
        carried.push(batch.map((e) => e.userId));
        const echo = JSON.stringify({ echo: batch.map((e) => ({ userId: e.userId, email: e.properties?.email })) });
        void (carried.length === 1 ? held : Promise.resolve()).then(() => res.writeHead(200, { 'Content-Type': 'application/json' }).end(echo));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const f = await start({ destinations: [{ name: 'echo', type: 'webhook', url, timeoutMs: 30_000 }] });

    const keep = mid('keep');
    await send(f, [
      { type: 'track', event: 'Signup', userId: 'keeper', messageId: keep },
      { type: 'track', event: 'Signup', userId: 'victim-wire', properties: { email: EMAIL }, messageId: mid('victim') },
    ]);
    await waitFor(() => carried.length === 1, 15_000, 'the held request');
    expect(carried[0]).toEqual(['keeper', 'victim-wire']);
    expect(await erase(f, 'victim-wire')).toMatchObject({ events: 1, deliveries: 1, attempts: 0 });
    release();

    await waitFor(async () => {
      const story = (await (await fetch(`${f.adminUrl}/admin/events/${keep}`)).json()) as { deliveries?: Array<{ state: string }> };
      return story.deliveries?.[0]?.state === 'succeeded';
    }, 15_000, 'the keeper\'s delivery');
    const rows = everyStoredRow(f);
    expect(rows).not.toContain(EMAIL);
    expect(rows).not.toContain('victim-wire');
    // The keeper's receipt stays (status, outcome); only the excerpt that quoted the erased user goes.
    expect(readDb(f, (db) => db.prepare("SELECT status, response, outcome FROM delivery_log l JOIN deliveries d ON d.id = l.delivery_id WHERE d.user_key = 'keeper'").all())).toEqual([
      { status: 200, response: '[erased]', outcome: 'succeeded' },
    ]);
  });

  it('a file write held back during the erasure never reaches the archive', async () => {
    const dir = tempDir('ferry-hold-');
    dirs.push(dir);
    const archive = join(dir, 'archive');
    const gate = join(dir, 'go');
    const claimed = join(dir, 'claimed');
    // The transform runs between claim and write: it holds the claimed event until the gate opens.
    const transform = join(dir, 'hold.mjs');
    writeFileSync(transform, `import { existsSync, writeFileSync } from 'node:fs';
export default async (e) => {
  if (e.userId === 'user-h') {
    writeFileSync(${JSON.stringify(claimed)}, '1');
    while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 20));
  }
  return e;
};`);
    const f = await start({ destinations: [{ name: 'archive', type: 'file', path: archive, transform }] });
    await send(f, [{ type: 'track', event: 'Held', userId: 'user-h', properties: { email: EMAIL }, messageId: mid('h') }]);
    await waitFor(() => existsSync(claimed), 15_000, 'the claim');
    expect(await erase(f, 'user-h')).toMatchObject({ events: 1, deliveries: 1, archiveLines: 0 });
    writeFileSync(gate, '1');

    await send(f, [{ type: 'track', event: 'Later', userId: 'user-k', messageId: mid('k') }]);
    await waitFor(() => archiveLines(archive).some((e) => e.event === 'Later'), 15_000, 'the later event');
    expect(archiveLines(archive).map((e) => e.event)).toEqual(['Later']);
    expect(everyStoredRow(f)).not.toMatch(/user-h|ada\.lovelace/);
  });

  it('records every erasure in an audit log, readable through the admin API, without the erased data', async () => {
    const f = await start({ admin: { token: 'audit-token-1234567' } });
    const auth = { Authorization: 'Bearer audit-token-1234567' };
    const visit = visitThenIdentify('anon-q', 'user-q');
    await send(f, [...visit.anonymous, ...visit.identified]);
    const before = Date.now();
    await erase(f, 'user-q', auth);
    const second = await fetch(`${f.adminUrl}/admin/users/nobody?suppress=true`, { method: 'DELETE', headers: auth });
    expect(second.status).toBe(200);

    expect((await fetch(`${f.adminUrl}/admin/erasures`)).status).toBe(401);
    const res = await fetch(`${f.adminUrl}/admin/erasures`, { headers: auth });
    expect(res.status).toBe(200);
    const { erasures } = (await res.json()) as { erasures: Array<Record<string, unknown>> };
    expect(erasures).toEqual([
      expect.objectContaining({ userKey: 'nobody', suppress: true, by: 'token', address: '127.0.0.1', identities: 1, events: 0, deliveries: 0, attempts: 0, archiveLines: 0 }),
      expect.objectContaining({ userKey: 'user-q', suppress: false, by: 'token', address: '127.0.0.1', identities: 2, events: 4, deliveries: 0, attempts: 0, archiveLines: 0 }),
    ]);
    for (const e of erasures) {
      expect(Date.parse(e.at as string)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(e.completedAt as string)).toBeGreaterThanOrEqual(Date.parse(e.at as string));
    }
    const text = JSON.stringify(erasures) + readDb(f, (db) => JSON.stringify(db.prepare('SELECT * FROM erasures').all()));
    for (const trace of ['anon-q', EMAIL, 'Newsletter Signup', 'Pricing']) expect(text).not.toContain(trace);

    // It survives a restart.
    await f.kill('SIGTERM');
    const again = await startFerry({ dataDir: f.dataDir, config: { sources: [{ name: 'web', writeKeys: [KEY] }], admin: { token: 'audit-token-1234567' } } });
    running.push(again);
    const kept = (await (await fetch(`${again.adminUrl}/admin/erasures`, { headers: auth })).json()) as { erasures: unknown[] };
    expect(kept.erasures).toHaveLength(2);
  });
});
