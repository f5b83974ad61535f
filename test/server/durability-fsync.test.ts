import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, tempDir } from '../helpers/ferry-process.js';
import { postOnOwnConnection, startTracedFerry, straceProblem, type TracedFerry } from '../helpers/strace-ferry.js';
import { parseStrace } from '../helpers/strace-parse.js';
import { checkWalSyncedBeforeAnswers, type RequestVerdict } from '../helpers/strace-wal-check.js';

// G4 by syscalls: a SIGKILL keeps the OS page cache, so only the order of the server's own
// writes and fsyncs can tell a commit that reached the disk from one that did not.
const KEY = 'fsync-key';
const running: TracedFerry[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const t of running.splice(0)) await t.kill();
  for (const d of dirs.splice(0)) cleanup(d);
});


/** 10 requests one after another, then 2 waves of 5 at once (group commits), all traced. */
async function traceTwentyRequests(env: Record<string, string>): Promise<RequestVerdict[]> {
  const dir = tempDir('ferry-fsync-');
  dirs.push(dir);
  const traced = await startTracedFerry({ dataDir: dir, args: ['--write-key', KEY], env });
  running.push(traced);
  const run = `g4proof-${process.pid}-${Date.now()}`;
  const marker = (i: number) => `${run}-${String(i).padStart(3, '0')}`;
  const sent: Array<{ status: number; clientPort: number; marker: string }> = [];
  for (let i = 0; i < 10; i++) sent.push(await postOnOwnConnection(traced.ferry.port, KEY, marker(i)));
  for (const wave of [10, 15]) sent.push(...(await Promise.all([0, 1, 2, 3, 4].map((k) => postOnOwnConnection(traced.ferry.port, KEY, marker(wave + k))))));
  expect(sent.map((s) => s.status)).toEqual(Array(20).fill(200));
  expect(new Set(sent.map((s) => s.clientPort)).size).toBe(20);
  const calls = parseStrace(await traced.stop());
  return checkWalSyncedBeforeAnswers(calls, join(realpathSync(dir), 'ferry.sqlite-wal'), sent);
}

describe('durability (G4) traced with strace: the WAL is fsynced before the answer', () => {
  beforeAll(() => {
    // CI must run this proof: a machine without strace fails here and says what is missing.
    const problem = straceProblem();
    if (problem) throw new Error(problem);
  });

  it('fsyncs the WAL after each acknowledged request is committed and before its 200 is written', async () => {
    const verdicts = await traceTwentyRequests({});
    expect(verdicts.map((v) => v.violation).filter(Boolean)).toEqual([]);
    // Every verdict stands on lines of the trace: data, commit, fsync, answer, in that order.
    for (const { lines } of verdicts) {
      expect(lines.data).toBeLessThanOrEqual(lines.commit!);
      expect(lines.commit).toBeLessThan(lines.fsync!);
      expect(lines.fsync).toBeLessThan(lines.answer!);
    }
  }, 60_000);

  it('catches answers written before any fsync when synchronous is lowered to NORMAL', async () => {
    const verdicts = await traceTwentyRequests({ FERRY_SQLITE_SYNCHRONOUS: 'NORMAL' });
    const violations = verdicts.filter((v) => v.violation !== null);
    // The checkpointer thread fsyncs the WAL now and then, so a request may be covered by
    // chance; twenty of them cannot all be.
    expect(violations.length).toBeGreaterThan(0);
    for (const v of violations) expect(v.violation).toMatch(/^no fsync of the WAL completed between the commit of g4proof-\S+ \(trace line \d+\) and its answer \(trace line \d+\)$/);
  }, 60_000);
});
