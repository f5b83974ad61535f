import { afterEach, expect, it } from 'vitest';
import pg from 'pg';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminJson, cleanup, post, startFerry, tempDir, type FerryProcess } from '../helpers/ferry-process.js';
import { databaseFor } from '../helpers/postgres.js';
import { waitFor } from '../helpers/sink.js';

// Several processes share one config, so one file destination's directory: an erasure sent to one
// process rewrites the archive by rename while another process delivers into it
// (src/server/destinations/file.ts, the store's archiveLock).

const KEY = 'pg-archive';
const running: FerryProcess[] = [];
const dirs: string[] = [];
const clients: pg.Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.end().catch(() => undefined);
  for (const f of running.splice(0)) await f.kill('SIGKILL');
  for (const d of dirs.splice(0)) cleanup(d);
});

const archived = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir).filter((f) => f.endsWith('.ndjson')).sort().flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => String((JSON.parse(l) as { messageId: string }).messageId)))
    : [];

/** An ingest process (it takes the erasure) and a route process (it delivers), on one database and one archive. */
async function twoProcesses(destination: Record<string, unknown> = {}) {
  const dir = tempDir();
  const archive = join(dir, 'archive');
  dirs.push(dir);
  const url = await databaseFor(dir);
  const config = {
    store: { kind: 'postgres', url },
    router: { partitionLeaseMs: 1500 },
    sources: [{ name: 'web', writeKeys: [KEY] }],
    destinations: [{ name: 'archive', type: 'file', path: archive, ...destination }],
  };
  const start = async (role: 'ingest' | 'route') => {
    const processDir = tempDir();
    dirs.push(processDir);
    const f = await startFerry({ dataDir: processDir, config: { ...config, role } });
    running.push(f);
    return f;
  };
  const ingest = await start('ingest');
  await start('route');
  const run = `pga-${process.pid}-${Date.now()}`;
  const send = async (userId: string, id: string) => {
    const res = await post(ingest.url, { batch: [{ type: 'track', event: 'E', userId, messageId: `${run}-${id}` }] }, { writeKey: KEY });
    expect(res.status).toBe(200);
  };
  const succeeded = async (id: string) =>
    (await adminJson<{ deliveries: Array<{ state: string }> }>(ingest, `/events/${run}-${id}`)).deliveries[0]?.state === 'succeeded';
  const ids = (...names: string[]) => names.map((n) => `${run}-${n}`);
  return { ingest, archive, url, send, succeeded, ids };
}

it('an erasure through one process does not make the delivering process write later events into a replaced archive file', async () => {
  const { ingest, archive, send, succeeded, ids } = await twoProcesses();
  await send('keeper', 'k1');
  await send('victim', 'v1');
  await waitFor(() => archived(archive).length === 2, 30_000, 'both events archived by the route process');
  const erased = await ingest.admin(`/admin/users/victim`, { method: 'DELETE' });
  expect(erased.status).toBe(200);
  expect(archived(archive)).toEqual(ids('k1'));

  await send('keeper', 'k2');
  await waitFor(() => succeeded('k2'), 30_000, 'the later event delivered');
  expect(archived(archive)).toEqual(ids('k1', 'k2'));
}, 120_000);

it("an erased user's event that another process had claimed before the erasure is not written after the archive's rewrite", async () => {
  // Two runners, so the victim's event is claimed while the keeper's write waits for the archive.
  const { ingest, archive, url, send, succeeded, ids } = await twoProcesses({ concurrency: 2 });
  const db = new pg.Client({ connectionString: url });
  clients.push(db);
  await db.connect();
  // The test takes the archive's turn first (the same advisory lock as lock-archive.sql), so it
  // decides the order: keeper's write, then the erasure's rewrite, then the victim's write.
  await db.query('SELECT pg_advisory_lock(4242001, hashtext($1))', [archive]);
  const waiting = async () =>
    Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 4242001 AND NOT granted")).rows[0]!.n);
  const leased = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM deliveries WHERE lease_token IS NOT NULL')).rows[0]!.n);

  await send('keeper', 'k1');
  await waitFor(async () => (await waiting()) === 1, 30_000, "the keeper's write waiting for the archive");
  await send('victim', 'v1');
  await waitFor(async () => (await leased()) === 2, 30_000, "the victim's event claimed by the second runner");
  const erasure = ingest.admin(`/admin/users/victim`, { method: 'DELETE' });
  await waitFor(async () => (await waiting()) === 2, 30_000, "the erasure's rewrite waiting for the archive");
  await db.query('SELECT pg_advisory_unlock(4242001, hashtext($1))', [archive]);
  expect((await erasure).status).toBe(200);

  // The victim's write was queued in the route process before this one: once k2 is in, it ran.
  await send('keeper', 'k2');
  await waitFor(() => succeeded('k2'), 30_000, 'the later event delivered');
  expect(archived(archive)).toEqual(ids('k1', 'k2'));
}, 120_000);
