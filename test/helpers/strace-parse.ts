/**
 * Reads the output of `strace -f -ttt -yy -o FILE` into one record per system call.
 *
 * With -f, strace writes every thread into one file in the order it saw the events. A call that
 * another thread interrupts is split in two lines, `name(args <unfinished ...>` at entry and
 * `<... name resumed>rest) = ret` at exit; a call printed whole entered and returned with no
 * other thread's event in between. So the line numbers order entries and exits across threads,
 * and a call that causes another (a commit that wakes the thread writing the answer) always
 * comes first: strace prints a stop before it lets that thread run on.
 */

export interface TracePoint {
  /** 1-based line in the trace: the order strace saw events in. */
  line: number;
  /** -ttt time in microseconds since the epoch. */
  usec: number;
}

export interface Syscall {
  pid: number;
  name: string;
  /** The first argument when it is a file descriptor, and what -y/-yy decoded it to (unescaped). */
  fd: number | null;
  fdPath: string | null;
  /** The whole argument text, entry and resumed parts joined, without the parentheses. */
  args: string;
  /** The return value; null when strace printed `?` or the call never returned in the trace. */
  result: number | null;
  entry: TracePoint;
  /** null when the trace ended before the call returned. */
  exit: TracePoint | null;
}

// "12882 1795957663.724586 rest" from -o FILE, or "[pid 12882] 1795957663.724586 rest" on stderr.
const PREFIX = /^(?:\[pid\s+)?(\d+)\]?\s+(\d+)\.(\d{6})\s(.*)$/;
const UNFINISHED = ' <unfinished ...>';
const RESUMED = /^<\.\.\. ([\w]+) resumed>(.*)$/;
const CALL = /^([\w]+)\((.*)$/;

export function parseStrace(text: string): Syscall[] {
  const calls: Syscall[] = [];
  const pending = new Map<number, { name: string; head: string; entry: TracePoint }>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = PREFIX.exec(lines[i]!);
    if (!m) continue;
    const pid = Number(m[1]);
    const at: TracePoint = { line: i + 1, usec: Number(m[2]) * 1_000_000 + Number(m[3]) };
    const rest = m[4]!;
    const resumed = RESUMED.exec(rest);
    if (resumed) {
      const open = pending.get(pid);
      if (!open || open.name !== resumed[1]) throw new Error(`strace line ${i + 1}: "${resumed[1]} resumed" with no unfinished ${resumed[1]} of pid ${pid}`);
      pending.delete(pid);
      calls.push(finish(pid, open.name, open.head + resumed[2], open.entry, at));
      continue;
    }
    const call = CALL.exec(rest);
    // Signals (`--- SIGCHLD ... ---`), exits (`+++ exited with 0 +++`) and the like.
    if (!call) continue;
    if (rest.endsWith(UNFINISHED)) {
      pending.set(pid, { name: call[1]!, head: call[2]!.slice(0, -UNFINISHED.length), entry: at });
    } else {
      calls.push(finish(pid, call[1]!, call[2]!, at, at));
    }
  }
  for (const [pid, open] of pending) calls.push({ ...describe(pid, open.name, open.head), result: null, entry: open.entry, exit: null });
  return calls.sort((a, b) => a.entry.line - b.entry.line);
}

/** `text` is everything after `name(`: the arguments, `)`, then ` = ret` and maybe an errno. */
function finish(pid: number, name: string, text: string, entry: TracePoint, exit: TracePoint): Syscall {
  const close = closingParen(text);
  const args = close < 0 ? text : text.slice(0, close);
  const ret = /^\)\s+=\s+(-?\d+|0x[0-9a-f]+|\?)/.exec(text.slice(Math.max(close, 0)));
  const value = ret && ret[1] !== '?' ? Number(ret[1]) : null;
  return { ...describe(pid, name, args), result: value, entry, exit };
}

/**
 * `3</tmp/x>` at the start of the arguments: a descriptor and its -y/-yy decoration, which
 * may hold a `>` itself (`TCP:[127.0.0.1:80->127.0.0.1:5000]`): it ends at `>` before `,`, `)` or the end.
 */
const FD = /^(\d+)(?:<(.*?)>(?=,|\)|$))?/;

function describe(pid: number, name: string, args: string): Pick<Syscall, 'pid' | 'name' | 'fd' | 'fdPath' | 'args'> {
  const fd = FD.exec(args);
  // With -xx strace prints paths in hex as well.
  const path = fd?.[2] === undefined ? null : unquote(fd[2]).toString('utf8');
  return { pid, name, fd: fd ? Number(fd[1]) : null, fdPath: path, args };
}

/** Index of the `)` that closes the argument list, skipping quoted strings and nested brackets. */
function closingParen(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i = endOfString(text, i);
    } else if (c === '(' || c === '[' || c === '{') {
      depth++;
    } else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** Index of the closing quote of the string that opens at `start`. */
function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return text.length;
}

/**
 * The bytes a call's quoted strings hold, joined in order (a write's buffer, a writev's iovecs).
 * Strings cut by -s end in `...` outside the quotes: only their printed part is returned.
 */
export function payload(call: Syscall): Buffer {
  const parts: Buffer[] = [];
  const { args } = call;
  // The -yy decoration of a descriptor is not data.
  for (let i = FD.exec(args)?.[0].length ?? 0; i < args.length; i++) {
    if (args[i] !== '"') continue;
    const end = endOfString(args, i);
    parts.push(unquote(args.slice(i + 1, end)));
    i = end;
  }
  return Buffer.concat(parts);
}

const NAMED: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, a: 7, b: 8, '\\': 92, '"': 34, "'": 39 };

/** Decodes strace's C-style escapes: \xHH (-x, -xx), octal \NNN, \n and friends. */
export function unquote(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') {
      out.push(c.charCodeAt(0));
      continue;
    }
    const next = text[i + 1]!;
    if (next === 'x') {
      out.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (next >= '0' && next <= '7') {
      const oct = /^[0-7]{1,3}/.exec(text.slice(i + 1))![0];
      out.push(parseInt(oct, 8));
      i += oct.length;
    } else if (next in NAMED) {
      out.push(NAMED[next]!);
      i += 1;
    } else {
      throw new Error(`unknown strace escape \\${next}`);
    }
  }
  return Buffer.from(out);
}
