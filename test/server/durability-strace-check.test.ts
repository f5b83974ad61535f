import { describe, expect, it } from 'vitest';
import { parseStrace, payload, unquote } from '../helpers/strace-parse.js';
import { FULL_GROUP_COMMIT, NORMAL_UNSYNCED, SIGNAL_LINE } from '../helpers/strace-snippets.js';
import { checkWalSyncedBeforeAnswers } from '../helpers/strace-wal-check.js';

const FULL_WAL = '/tmp/st-durab/data-FULL/ferry.sqlite-wal';
const NORMAL_WAL = '/tmp/st-durab/data-NORMAL/ferry.sqlite-wal';

describe('strace output parser', () => {
  it('joins an unfinished call with its resumed line and keeps where each half was', () => {
    const write = parseStrace(FULL_GROUP_COMMIT).find((c) => c.entry.line === 5)!;
    expect(write).toMatchObject({
      pid: 18781, name: 'pwrite64', fd: 23, fdPath: FULL_WAL, result: 4096,
      entry: { line: 5, usec: 1795958071999783 }, exit: { line: 7, usec: 1795958072000598 },
    });
    // The page was cut down to the markers it holds: the printed part is the payload.
    expect(payload(write).toString('latin1')).toContain('mark-FULL-5');
  });

  it('gives one call per entry, a whole line being entry and exit at once, in entry order', () => {
    const calls = parseStrace(FULL_GROUP_COMMIT);
    const lines = FULL_GROUP_COMMIT.split('\n');
    expect(calls).toHaveLength(lines.filter((l) => !l.includes(' resumed>')).length);
    expect(calls.map((c) => c.entry.line)).toEqual([...calls.map((c) => c.entry.line)].sort((a, b) => a - b));
    const sync = calls.find((c) => c.entry.line === 33)!;
    expect(sync).toMatchObject({ pid: 18781, name: 'fsync', fdPath: FULL_WAL, result: 0, exit: { line: 35 } });
    const eventfd = calls.find((c) => c.entry.line === 36)!;
    expect(eventfd).toMatchObject({ name: 'write', fdPath: 'anon_inode:[eventfd]', result: 8, exit: { line: 36 } });
  });

  it('reads a socket endpoint holding ">" and the iovecs of a writev', () => {
    const answer = parseStrace(FULL_GROUP_COMMIT).find((c) => c.entry.line === 37)!;
    expect(answer).toMatchObject({ name: 'writev', fd: 33, fdPath: 'TCP:[127.0.0.1:38989->127.0.0.1:44186]', result: 348 });
    expect(payload(answer).toString('latin1')).toMatch(/^HTTP\/1\.1 200 OK\r\nvary: Origin\r\n[^]*\r\n\r\n\{"ok":true,"accepted":1,"duplicates":0,"rejected":\[\]\}$/);
  });

  it('keeps a call the trace ended inside, with no exit and no result', () => {
    const calls = parseStrace(FULL_GROUP_COMMIT.split('\n').slice(0, 6).join('\n'));
    expect(calls.map((c) => [c.name, c.entry.line, c.exit?.line ?? null, c.result])).toEqual([
      ['write', 1, 1, 8], ['writev', 2, 2, 348], ['write', 3, 3, 8], ['pwrite64', 4, 4, 24], ['pwrite64', 5, null, null], ['fsync', 6, null, null],
    ]);
  });

  it('skips signal lines and refuses a resumed line with nothing unfinished', () => {
    expect(parseStrace(SIGNAL_LINE)).toEqual([]);
    const orphan = FULL_GROUP_COMMIT.split('\n')[6]!;
    expect(() => parseStrace(orphan)).toThrow('strace line 1: "pwrite64 resumed" with no unfinished pwrite64 of pid 18781');
  });

  it("decodes strace's default escapes (octal, \\\\, printable) as well as -x hex", () => {
    // A WAL commit-frame header as strace printed it without -x.
    const [header] = parseStrace(String.raw`11095 1795957588.089118 pwrite64(28</tmp/st-durab/data/ferry.sqlite-wal>, "\0\0\0\20\0\0\0\20>SL\306}\204\264\237i\205\205 \224\322F\374", 24, 86552) = 24`);
    expect([...payload(header!)]).toEqual([0, 0, 0, 16, 0, 0, 0, 16, 62, 83, 76, 198, 125, 132, 180, 159, 105, 133, 133, 32, 148, 210, 70, 252]);
    // Octal takes at most three digits, and only octal ones: \219 is byte 17 then "9".
    expect([...unquote(String.raw`\219\335\\\"\r\n\x41`)]).toEqual([17, 57, 221, 92, 34, 13, 10, 65]);
  });
});

describe('WAL fsync before answer, read off a trace', () => {
  it('passes a group commit whose WAL fsync returned before both answers', () => {
    const verdicts = checkWalSyncedBeforeAnswers(parseStrace(FULL_GROUP_COMMIT), FULL_WAL, [
      { marker: 'mark-FULL-4', clientPort: 44186 },
      { marker: 'mark-FULL-5', clientPort: 44200 },
    ]);
    expect(verdicts.map((v) => [v.violation, v.lines])).toEqual([
      [null, { data: 5, commit: 32, fsync: 33, answer: 37 }],
      [null, { data: 5, commit: 32, fsync: 33, answer: 38 }],
    ]);
  });

  it('fails when that fsync is of the database file, though the checkpointer synced the WAL while the data was being written', () => {
    const withoutWalSync = FULL_GROUP_COMMIT.replace(`fsync(23<${FULL_WAL}>`, 'fsync(23</tmp/st-durab/data-FULL/ferry.sqlite>');
    expect(withoutWalSync).not.toBe(FULL_GROUP_COMMIT);
    const [verdict] = checkWalSyncedBeforeAnswers(parseStrace(withoutWalSync), FULL_WAL, [{ marker: 'mark-FULL-4', clientPort: 44186 }]);
    expect(verdict!.violation).toBe('no fsync of the WAL completed between the commit of mark-FULL-4 (trace line 32) and its answer (trace line 37)');
  });

  it('fails every request of a synchronous=NORMAL trace', () => {
    const verdicts = checkWalSyncedBeforeAnswers(parseStrace(NORMAL_UNSYNCED), NORMAL_WAL, [
      { marker: 'mark-NORMAL-3', clientPort: 34858 },
      { marker: 'mark-NORMAL-4', clientPort: 34872 },
      { marker: 'mark-NORMAL-5', clientPort: 34878 },
    ]);
    expect(verdicts.map((v) => v.violation)).toEqual([
      'no fsync of the WAL completed between the commit of mark-NORMAL-3 (trace line 12) and its answer (trace line 14)',
      'no fsync of the WAL completed between the commit of mark-NORMAL-4 (trace line 27) and its answer (trace line 29)',
      'no fsync of the WAL completed between the commit of mark-NORMAL-5 (trace line 27) and its answer (trace line 30)',
    ]);
  });

  it('fails a request whose data reached the WAL only after its answer, or not at all, or that got no 2xx or no answer', () => {
    const calls = parseStrace(FULL_GROUP_COMMIT);
    // Request 3 was committed before this snippet begins; here its row only shows up again in later pages.
    const refused = parseStrace(FULL_GROUP_COMMIT.replace('HTTP/1.1 200 OK', 'HTTP/1.1 503 Service Unavailable'));
    expect(
      [
        ...checkWalSyncedBeforeAnswers(calls, FULL_WAL, [{ marker: 'mark-FULL-3', clientPort: 44198 }, { marker: 'mark-FULL-9', clientPort: 44186 }, { marker: 'mark-FULL-4', clientPort: 1 }]),
        ...checkWalSyncedBeforeAnswers(refused, FULL_WAL, [{ marker: 'mark-FULL-3', clientPort: 44198 }]),
      ].map((v) => v.violation),
    ).toEqual([
      'mark-FULL-3 was not in the WAL before its answer (trace line 2)',
      'mark-FULL-9 was not in the WAL before its answer (trace line 37)',
      'no answer was written to the connection from port 1',
      'the answer on port 44198 is not a 2xx: "HTTP/1.1 503"',
    ]);
  });
});
