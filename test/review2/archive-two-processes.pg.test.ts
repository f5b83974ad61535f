import { afterEach, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminJson, cleanup, post, startFerry, tempDir, type FerryProcess } from '../helpers/ferry-process.js';
import { databaseFor } from '../helpers/postgres.js';
import { waitFor } from '../helpers/sink.js';

const KEY = 'review2-archive';
const running: FerryProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const f of running.splice(0)) await f.kill('SIGKILL');
  for (const d of dirs.splice(0)) cleanup(d);
});

const archived = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir).filter((f) => f.endsWith('.ndjson')).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => String((JSON.parse(l) as { messageId: string }).messageId)))
    : [];

// REPRODUCTION (fails today): with PostgreSQL, several processes share one config and so one file
// destination's directory. The archive's write turn and its "close the handle before the rename" are
// per process (src/server/destinations/file.ts, class Archive). An erasure sent to one process
// (here the ingest process, through its operator API) rewrites the archive file by rename; the route
// process that delivers keeps its handle on the replaced inode and appends there: later events are
// marked succeeded (fsynced) but are in no archive file. Expected: every delivered event in the archive.
it.fails('an erasure through one process does not make the delivering process write later events into a replaced archive file', async () => {
  const dir = tempDir();
  const archive = join(dir, 'archive');
  dirs.push(dir);
  const config = {
    store: { kind: 'postgres', url: await databaseFor(dir) },
    router: { partitionLeaseMs: 1500 },
    sources: [{ name: 'web', writeKeys: [KEY] }],
    destinations: [{ name: 'archive', type: 'file', path: archive }],
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
  const run = `r2-${process.pid}-${Date.now()}`;
  const send = async (userId: string, messageId: string) => {
    const res = await post(ingest.url, { batch: [{ type: 'track', event: 'E', userId, messageId }] }, { writeKey: KEY });
    expect(res.status).toBe(200);
  };
  const succeeded = async (messageId: string) =>
    (await adminJson<{ deliveries: Array<{ state: string }> }>(ingest, `/events/${messageId}`)).deliveries[0]?.state === 'succeeded';

  await send('keeper', `${run}-k1`);
  await send('victim', `${run}-v1`);
  await waitFor(() => archived(archive).length === 2, 30_000, 'both events archived by the route process');
  const erased = await ingest.admin(`/admin/users/victim`, { method: 'DELETE' });
  expect(erased.status).toBe(200);
  expect(archived(archive)).toEqual([`${run}-k1`]);

  await send('keeper', `${run}-k2`);
  await waitFor(() => succeeded(`${run}-k2`), 30_000, 'the later event delivered');
  expect(archived(archive)).toEqual([`${run}-k1`, `${run}-k2`]);
}, 120_000);
