import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { FileDestinationConfig } from '../config.js';
import type { ArchiveLock } from '../store/types.js';
import type { DeliveryItem, Destination, SendResult } from './types.js';

type LiveDeliveries = Parameters<Parameters<ArchiveLock>[1]>[0];

const ARCHIVE_FILE = /^events-\d{4}-\d{2}-\d{2}(\.\d+)?\.ndjson$/;
const TEMP_SUFFIX = '.erasing';
/**
 * How long the messageIds of an erasure are refused by the archive: longer than any claim read
 * before the erasure can take to reach `send` (a claim is written right after its transform).
 */
const ERASED_FOR_MS = 3600_000;

/** What an erasure removes from the archives: lines naming one of the ids, or with one of the messageIds. */
export interface ArchiveErasure {
  ids: readonly string[];
  messageIds: readonly string[];
}

/**
 * One archive directory, shared by every destination that writes there and by erasure: writes
 * and rewrites take turns (one at a time in this process, and under the store's `archiveLock`
 * against the other processes of a PostgreSQL store that share the directory), so an erasure
 * never races an append.
 */
class Archive {
  private turn: Promise<unknown> = Promise.resolve();
  private handle: FileHandle | undefined;
  private current = '';
  private size = 0;
  /** messageId -> until when a late write of it is dropped (it was erased while in flight). */
  private readonly erased = new Map<string, number>();

  constructor(readonly path: string) {}

  /** This process's turn, then (several processes) the store's lock on the directory. */
  private exclusive<T>(lock: ArchiveLock | undefined, fn: (live?: LiveDeliveries) => Promise<T>): Promise<T> {
    const inTurn = () => (lock ? lock(this.path, fn) : fn());
    const run = this.turn.then(inTurn, inTurn);
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async target(incoming: number, maxBytes: number): Promise<FileHandle> {
    const day = new Date().toISOString().slice(0, 10);
    if (this.handle && this.current.includes(day)) {
      // Another process's erasure may have renamed a rewrite over this file: the handle would
      // append to the replaced inode, which is in no archive. Its size counts their appends too.
      const size = await this.sizeIfAtPath(this.handle);
      if (size >= 0 && size + incoming <= maxBytes) return ((this.size = size), this.handle);
    }
    await this.closeHandle();
    await mkdir(this.path, { recursive: true });
    // Append to the day's newest file, never to an older one an erasure shrank: the files
    // stay in delivery order.
    const file = (n: number) => join(this.path, `events-${day}${n ? `.${n}` : ''}.ndjson`);
    const sizeOf = (n: number) => stat(file(n)).then((s) => s.size, () => -1);
    let n = 0;
    while ((await sizeOf(n + 1)) >= 0) n++;
    let size = Math.max(await sizeOf(n), 0);
    if (size > 0 && size + incoming > maxBytes) (n++, (size = 0));
    this.handle = await open(file(n), 'a');
    this.current = file(n);
    this.size = size;
    return this.handle;
  }

  /** The open file's size while it is still the file at its path (same inode); else -1. */
  private async sizeIfAtPath(fh: FileHandle): Promise<number> {
    const [opened, atPath] = await Promise.all([fh.stat(), stat(this.current).catch(() => undefined)]);
    return atPath && atPath.ino === opened.ino && atPath.dev === opened.dev ? opened.size : -1;
  }

  private async closeHandle(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    await h?.close();
  }

  /**
   * Appends and fsyncs the items, less those erased while they were in flight (known here, or
   * through `live` for an erasure by another process). Resolves only once the bytes are in the
   * file at the archive's path.
   */
  append(items: DeliveryItem[], maxBytes: number, lock: ArchiveLock | undefined): Promise<void> {
    return this.exclusive(lock, async (live) => {
      const now = Date.now();
      let kept = items.filter((i) => !((this.erased.get(i.messageId) ?? 0) > now));
      if (live && kept.length > 0) {
        const alive = await live(kept.map((i) => i.id));
        kept = kept.filter((i) => alive.has(i.id));
      }
      if (kept.length === 0) return;
      const text = kept.map((i) => JSON.stringify(i.event)).join('\n') + '\n';
      const bytes = Buffer.byteLength(text);
      const fh = await this.target(bytes, maxBytes);
      await fh.write(text);
      await fh.sync();
      // A rename by anyone outside the turns (a process on another store, an operator's tool)
      // between the check and the write: not delivered, the router retries it.
      if ((await this.sizeIfAtPath(fh)) < 0) {
        await this.closeHandle();
        throw new Error(`${this.current} was replaced while it was written; the events are written again`);
      }
      this.size += bytes;
    });
  }

  /**
   * Rewrites every archive file that holds a line of the erasure: the kept lines go to a temp
   * file beside it, which is fsynced and renamed over the original (a crash leaves the old file
   * or the new one, never half of one; a stale temp is removed by the next erasure). Returns how
   * many lines went.
   */
  erase(what: ArchiveErasure, lock: ArchiveLock | undefined): Promise<number> {
    return this.exclusive(lock, async () => {
      const until = Date.now() + ERASED_FOR_MS;
      for (const [id, t] of this.erased) if (t <= Date.now()) this.erased.delete(id);
      for (const id of what.messageIds) this.erased.set(id, until);
      // The open handle would keep appending to the replaced inode.
      await this.closeHandle();
      const names = await readdir(this.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [] as string[];
        throw err;
      });
      for (const stale of names.filter((n) => n.endsWith(TEMP_SUFFIX))) await unlink(join(this.path, stale));
      const ids = new Set(what.ids);
      const messageIds = new Set(what.messageIds);
      const drop = (line: string) => belongsTo(line, ids, messageIds);
      let removed = 0;
      for (const name of names.filter((n) => ARCHIVE_FILE.test(n)).sort()) {
        const file = join(this.path, name);
        if ((await countLines(file, drop)) === 0) continue;
        removed += await rewrite(file, drop);
      }
      if (removed > 0) await fsyncDir(this.path);
      return removed;
    });
  }

  close(): Promise<void> {
    return this.exclusive(undefined, () => this.closeHandle());
  }
}

/** Whether an archived line belongs to the erasure. A torn line (a crash mid-write) is searched as text. */
function belongsTo(line: string, ids: ReadonlySet<string>, messageIds: ReadonlySet<string>): boolean {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    for (const id of ids) if (line.includes(JSON.stringify(id).slice(0, -1))) return true;
    return false;
  }
  if (typeof e !== 'object' || e === null) return false;
  // Whose line it is, as the store orders events: its userId, else its anonymousId. Another
  // user's line carrying a shared device's anonymousId is that user's and stays.
  const owner = e.userId ?? e.anonymousId;
  return messageIds.has(String(e.messageId)) || (owner !== undefined && owner !== null && ids.has(String(owner)));
}

async function* lines(file: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) if (line !== '') yield line;
}

async function countLines(file: string, match: (line: string) => boolean): Promise<number> {
  let n = 0;
  for await (const line of lines(file)) if (match(line)) n++;
  return n;
}

async function rewrite(file: string, drop: (line: string) => boolean): Promise<number> {
  const temp = `${file}${TEMP_SUFFIX}`;
  const out = await open(temp, 'w');
  let removed = 0;
  try {
    let chunk = '';
    for await (const line of lines(file)) {
      if (drop(line)) {
        removed++;
        continue;
      }
      chunk += `${line}\n`;
      if (chunk.length >= 1 << 16) {
        await out.write(chunk);
        chunk = '';
      }
    }
    await out.write(chunk);
    await out.sync();
  } finally {
    await out.close();
  }
  await rename(temp, file);
  return removed;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** One Archive per directory in this process, whoever asks for it. */
const archives = new Map<string, Archive>();

function archiveAt(path: string): Archive {
  const key = resolve(path);
  let a = archives.get(key);
  if (!a) archives.set(key, (a = new Archive(key)));
  return a;
}

/**
 * Removes an erasure's lines from a file destination's archives; returns how many went. `lock`:
 * the store's, when other processes write the directory too.
 */
export function eraseFromArchive(config: Readonly<FileDestinationConfig>, what: ArchiveErasure, lock: ArchiveLock | undefined): Promise<number> {
  return archiveAt(config.path).erase(what, lock);
}

/**
 * Appends NDJSON to `<path>/events-YYYY-MM-DD.ndjson`, rotating to `.1`, `.2`, … when a file
 * reaches maxBytes. Each batch is written and fsynced before it counts as delivered.
 */
export class FileDestination implements Destination {
  readonly atomic = true;
  readonly name: string;
  private readonly archive: Archive;

  constructor(
    private readonly config: Readonly<FileDestinationConfig>,
    /** The store's lock, when other processes write the directory too. */
    private readonly lock?: ArchiveLock,
  ) {
    this.name = config.name;
    this.archive = archiveAt(config.path);
  }

  async send(items: DeliveryItem[]): Promise<SendResult[]> {
    let result: SendResult;
    try {
      await this.archive.append(items, this.config.maxBytes, this.lock);
      result = { answer: { kind: 'stored' }, error: null, response: null };
    } catch (err) {
      result = { answer: { kind: 'no-answer' }, error: (err as Error).message, response: null };
    }
    return items.map(() => result);
  }

  async close(): Promise<void> {
    await this.archive.close();
  }
}
