import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { payload, type Syscall } from './strace-parse.js';
import type { RequestVerdict, TracedRequest } from './strace-wal-check.js';
import { waitFor } from './sink.js';

const STRACE = process.env.STRACE_PATH ?? 'strace';
const WRITES = new Set(['write', 'writev', 'pwrite64', 'pwritev', 'pwritev2', 'sendto', 'sendmsg']);
const SYNCS = new Set(['fsync', 'fdatasync']);
const isWal = (c: Syscall) => c.fdPath !== null && c.fdPath.includes('/pg_wal/');

/**
 * G4 on PostgreSQL, read off one trace of the ferry server and every PostgreSQL process: for each
 * acknowledged request, the WAL write that holds its row (found by its marker) is followed by a
 * flush of the WAL (fdatasync or fsync of a pg_wal file, by the committing backend or whichever
 * process flushed for it) that returned before the first byte of the answer. PostgreSQL writes the
 * commit record after the row and flushes once for both; a flush between the two would also pass,
 * which the synchronous_commit=off run shows does not happen by chance (its walwriter waits 10 s).
 */
export function checkPgWalFlushedBeforeAnswers(calls: Syscall[], requests: TracedRequest[]): RequestVerdict[] {
  const walWrites = calls.filter((c) => WRITES.has(c.name) && isWal(c) && c.exit !== null && (c.result ?? -1) >= 0);
  const walSyncs = calls.filter((c) => SYNCS.has(c.name) && isWal(c) && c.exit !== null && c.result === 0);
  return requests.map((req) => {
    const verdict = (violation: string | null, lines: RequestVerdict['lines']): RequestVerdict => ({ ...req, violation, lines });
    const answer = calls.find((c) => WRITES.has(c.name) && c.fdPath?.startsWith('TCP') && c.fdPath.endsWith(`:${req.clientPort}]`) && payload(c).subarray(0, 5).toString('latin1') === 'HTTP/');
    if (!answer) return verdict(`no answer was written to the connection from port ${req.clientPort}`, {});
    const head = payload(answer).subarray(0, 12).toString('latin1');
    if (!head.startsWith('HTTP/1.1 2')) return verdict(`the answer on port ${req.clientPort} is not a 2xx: "${head}"`, { answer: answer.entry.line });
    const data = walWrites.find((w) => payload(w).includes(Buffer.from(req.marker)));
    if (!data || data.exit!.line > answer.entry.line) return verdict(`${req.marker} was not in the WAL before its answer (trace line ${answer.entry.line})`, { answer: answer.entry.line });
    const flush = walSyncs.find((s) => s.entry.line > data.exit!.line && s.exit!.line < answer.entry.line);
    const lines = { data: data.entry.line, fsync: flush?.entry.line, answer: answer.entry.line };
    if (!flush) return verdict(`no flush of the WAL completed between the write of ${req.marker} (trace line ${data.entry.line}) and its answer (trace line ${answer.entry.line})`, lines);
    return verdict(null, lines);
  });
}

/** The pids of a PostgreSQL cluster: the postmaster and its children (backends, walwriter, checkpointer, …). */
export function clusterPids(postmaster: number): number[] {
  const children = readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [postmaster, ...children];
}

/**
 * strace attached to running processes (-p each; -f follows the threads they have and the
 * backends the postmaster forks later), writing to `out`. Resolves once every pid is traced.
 */
export async function attachStrace(pids: number[], out: string): Promise<{ stop(): Promise<string> }> {
  const args = ['-f', '-qq', '-ttt', '-yy', '-x', '-s', '65536', '-e', 'trace=write,writev,pwrite64,pwritev,pwritev2,sendto,sendmsg,fsync,fdatasync', '-o', out, ...pids.flatMap((p) => ['-p', String(p)])];
  const proc: ChildProcess = spawn(STRACE, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const traced = (pid: number) => /TracerPid:\s+[1-9]/.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  await waitFor(() => {
    if (proc.exitCode !== null) throw new Error(`strace exited: ${err}`);
    return pids.every(traced);
  }, 30_000, 'strace to attach');
  return {
    async stop() {
      proc.kill('SIGINT'); // detaches, leaving the processes running
      await exited;
      return readFileSync(out, 'utf8');
    },
  };
}
