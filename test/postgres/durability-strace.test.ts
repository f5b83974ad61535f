import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { cleanup, startFerry, tempDir, type FerryProcess } from '../helpers/ferry-process.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';
import { postOnOwnConnection, straceProblem } from '../helpers/strace-ferry.js';
import { parseStrace } from '../helpers/strace-parse.js';
import { attachStrace, checkPgWalFlushedBeforeAnswers, clusterPids } from '../helpers/strace-pg-check.js';
import type { RequestVerdict } from '../helpers/strace-wal-check.js';

// G4 on PostgreSQL: the 200 follows PostgreSQL's flush of the WAL holding the events. A SIGKILL
// keeps the page cache, so only the order of the syscalls of ferry and PostgreSQL can tell.
const KEY = 'pg-fsync-key';
const clusters: RunningPostgres[] = [];
const running: FerryProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const f of running.splice(0)) await f.kill('SIGKILL');
  for (const c of clusters.splice(0)) await c.stop();
  for (const d of dirs.splice(0)) cleanup(d);
});


/**
 * A cluster of its own whose default is synchronous_commit=off, a ferry on it (its sessions set
 * it on unless `synchronousCommit` is 'off': then the URL puts it off), 10 sequential and 2 waves of 5 traced requests.
 */
async function traceTwentyRequests(synchronousCommit: 'on' | 'off'): Promise<RequestVerdict[]> {
  // The walwriter flushes asynchronous commits every wal_writer_delay: 10 s keeps it from
  // covering an answer by chance in the "off" run, and changes nothing for synchronous commits.
  const cluster = await startPostgres({ synchronous_commit: 'off', wal_writer_delay: '10000' });
  clusters.push(cluster);
  const dir = tempDir('ferry-pg-fsync-');
  dirs.push(dir);
  const ferry = await startFerry({ dataDir: dir, config: { store: { kind: 'postgres', url: synchronousCommit === 'off' ? `${cluster.url}${cluster.url.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c synchronous_commit=off')}` : cluster.url, poolSize: 4 }, sources: [{ name: 's', writeKeys: [KEY] }] } });
  running.push(ferry);
  const trace = await attachStrace([...clusterPids(cluster.postmasterPid()), ferry.proc.pid!], join(dir, 'strace.txt'));
  const run = `g4pg-${synchronousCommit}-${Date.now()}`;
  const marker = (i: number) => `${run}-${String(i).padStart(3, '0')}`;
  const sent: Array<{ status: number; clientPort: number; marker: string }> = [];
  for (let i = 0; i < 10; i++) sent.push(await postOnOwnConnection(ferry.port, KEY, marker(i)));
  for (const wave of [10, 15]) sent.push(...(await Promise.all([0, 1, 2, 3, 4].map((k) => postOnOwnConnection(ferry.port, KEY, marker(wave + k))))));
  expect(sent.map((s) => s.status)).toEqual(Array(20).fill(200));
  return checkPgWalFlushedBeforeAnswers(parseStrace(await trace.stop()), sent);
}

describe('durability (G4) on PostgreSQL traced with strace: the WAL is flushed before the answer', () => {
  beforeAll(() => {
    const problem = straceProblem();
    if (problem) throw new Error(problem);
  });

  it('flushes the WAL holding each acknowledged request before its 200 is written, even on a cluster whose default is synchronous_commit=off', async () => {
    const verdicts = await traceTwentyRequests('on');
    expect(verdicts.map((v) => v.violation).filter(Boolean)).toEqual([]);
    for (const { lines } of verdicts) {
      expect(lines.data).toBeLessThan(lines.fsync!);
      expect(lines.fsync).toBeLessThan(lines.answer!);
    }
  }, 120_000);

  it('catches answers written before any flush when the URL turns synchronous_commit off', async () => {
    const verdicts = await traceTwentyRequests('off');
    const violations = verdicts.filter((v) => v.violation !== null);
    expect(violations.length).toBeGreaterThan(0);
    // Off, a commit leaves its WAL in PostgreSQL's buffers: not even written (let alone flushed)
    // before the answer, until the walwriter's next round.
    for (const v of violations) {
      expect(v.violation).toMatch(/^(no flush of the WAL completed between the write of g4pg-off-\S+|g4pg-off-\S+ was not in the WAL before its answer) \(trace line \d+\)( and its answer \(trace line \d+\))?$/);
    }
  }, 120_000);
});
