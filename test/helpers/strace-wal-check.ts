import { payload, type Syscall } from './strace-parse.js';

/**
 * G4 read off a syscall trace: for each acknowledged request, the transaction that wrote its data
 * to the SQLite WAL was fsynced before the first byte of the answer went to its socket.
 *
 * A request is known by a marker (a string only its events carry, found in the WAL page that
 * holds its row) and by the client's port (the server-side socket that -yy prints as
 * `TCP:[server->127.0.0.1:PORT]`; one connection per request).
 */
export interface TracedRequest {
  marker: string;
  clientPort: number;
}

export interface RequestVerdict extends TracedRequest {
  /** null when the order holds; else why not. */
  violation: string | null;
  /** The trace lines (1-based) the verdict rests on, for a reader to look at. */
  lines: { data?: number; commit?: number; fsync?: number; answer?: number };
}

const WRITES = new Set(['write', 'writev', 'pwrite64', 'pwritev', 'pwritev2', 'sendto', 'sendmsg']);
const SYNCS = new Set(['fsync', 'fdatasync']);
/** A WAL frame header is 24 bytes; bytes 4..7 hold the database size after a commit, 0 otherwise. */
const FRAME_HEADER_BYTES = 24;

export function checkWalSyncedBeforeAnswers(calls: Syscall[], walPath: string, requests: TracedRequest[]): RequestVerdict[] {
  const walWrites = calls.filter((c) => WRITES.has(c.name) && c.fdPath === walPath && c.exit !== null && (c.result ?? -1) >= 0);
  const walSyncs = calls.filter((c) => SYNCS.has(c.name) && c.fdPath === walPath && c.exit !== null && c.result === 0);
  return requests.map((req) => {
    const verdict = (violation: string | null, lines: RequestVerdict['lines']): RequestVerdict => ({ ...req, violation, lines });
    const answer = calls.find((c) => WRITES.has(c.name) && c.fdPath !== null && c.fdPath.startsWith('TCP') && c.fdPath.endsWith(`:${req.clientPort}]`));
    if (!answer) return verdict(`no answer was written to the connection from port ${req.clientPort}`, {});
    const head = payload(answer).subarray(0, 12).toString('latin1');
    if (!head.startsWith('HTTP/1.1 2')) return verdict(`the answer on port ${req.clientPort} is not a 2xx: "${head}"`, { answer: answer.entry.line });
    const marker = Buffer.from(req.marker);
    const dataAt = walWrites.findIndex((w) => payload(w).includes(marker));
    const data = walWrites[dataAt];
    if (!data || data.exit!.line > answer.entry.line) {
      return verdict(`${req.marker} was not in the WAL before its answer (trace line ${answer.entry.line})`, { answer: answer.entry.line });
    }
    const commit = commitOf(walWrites, dataAt);
    if (!commit || commit.exit!.line > answer.entry.line) {
      return verdict(`the transaction holding ${req.marker} was not committed to the WAL before its answer (trace line ${answer.entry.line})`, { data: data.entry.line, answer: answer.entry.line });
    }
    const fsync = walSyncs.find((s) => s.entry.line > commit.exit!.line && s.exit!.line < answer.entry.line);
    const lines = { data: data.entry.line, commit: commit.entry.line, fsync: fsync?.entry.line, answer: answer.entry.line };
    if (!fsync) {
      return verdict(`no fsync of the WAL completed between the commit of ${req.marker} (trace line ${commit.entry.line}) and its answer (trace line ${answer.entry.line})`, lines);
    }
    return verdict(null, lines);
  });
}

/**
 * The last WAL write of the transaction that made write `at`: the page that follows the first
 * commit-frame header at or before it in that thread. A transaction's frames are written in
 * order by one connection, each as a 24-byte header then its page.
 */
function commitOf(walWrites: Syscall[], at: number): Syscall | undefined {
  const pid = walWrites[at]!.pid;
  const mine = walWrites.filter((w) => w.pid === pid);
  const start = mine.indexOf(walWrites[at]!);
  // The data may sit in the commit frame's own page, right after its header.
  for (let i = Math.max(start - 1, 0); i < mine.length; i++) {
    const bytes = payload(mine[i]!);
    if (bytes.length === FRAME_HEADER_BYTES && bytes.readUInt32BE(4) !== 0) return mine[i + 1];
  }
  return undefined;
}
