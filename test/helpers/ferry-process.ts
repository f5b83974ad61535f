import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import pg from 'pg';
import { databaseFor, testStore } from './postgres.js';

const bin = new URL('../../bin/ferry.js', import.meta.url).pathname;

export interface FerryProcess {
  /** The public listener (ingestion). */
  url: string;
  port: number;
  /** The operator listener (admin API, metrics), on 127.0.0.1 and a port of its own. */
  adminUrl: string;
  adminPort: number;
  /** fetch on the operator listener, with the configured admin.token when there is one. */
  admin(path: string, init?: RequestInit): Promise<Response>;
  dataDir: string;
  proc: ChildProcess;
  output: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export function tempDir(prefix = 'ferry-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Starts `ferry serve` as its own process on 127.0.0.1 and a free port. `wrapper` is a command
 * line the server runs under (strace and its options): `proc` is then that command's process.
 */
export async function startFerry(
  opts: { config?: Record<string, unknown>; args?: string[]; dataDir?: string; port?: number; wrapper?: string[]; env?: Record<string, string> } = {},
): Promise<FerryProcess> {
  const dataDir = opts.dataDir ?? tempDir();
  const args = [bin, 'serve', '--port', String(opts.port ?? 0), '--data', dataDir, '--log-level', 'warn', ...(opts.args ?? [])];
  // The suites run once per store (vitest.config.ts): under PostgreSQL each server has a database of its own.
  if (testStore() === 'postgres' && !args.includes('--store') && opts.config?.store === undefined) args.push('--store', await databaseFor(dataDir));
  // A process of role route has no public listener.
  const routeOnly = args[args.indexOf('--role') + 1] === 'route' || opts.config?.role === 'route';
  const admin = (opts.config?.admin ?? {}) as { port?: number; token?: string };
  // A free port for the operator listener too, unless the test chose one.
  if (admin.port === undefined && !args.includes('--admin-port')) args.push('--admin-port', '0');
  if (opts.config) {
    const file = join(dataDir, 'ferry.config.json');
    writeFileSync(file, JSON.stringify(opts.config));
    args.push('--config', file);
  }
  const [command, ...commandArgs] = [...(opts.wrapper ?? []), process.execPath, ...args];
  const proc = spawn(command!, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const [port, adminPort] = await new Promise<[number, number]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ferry did not start in 45 s:\n${out}`)), 45_000);
    const check = () => {
      const m = routeOnly ? ['', '0'] : out.match(/listening on http:\/\/[^:]+:(\d+)/);
      const a = out.match(/operator API on http:\/\/(?:\[[^\]]+\]|[^:]+):(\d+)/);
      if (m && a) {
        clearTimeout(timer);
        resolve([Number(m[1]), Number(a[1])]);
      }
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`ferry exited with ${code}:\n${out}`));
    });
  });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    adminUrl,
    adminPort,
    admin(path, init = {}) {
      const headers = new Headers(init.headers);
      if (admin.token && !headers.has('authorization')) headers.set('Authorization', `Bearer ${admin.token}`);
      return fetch(`${adminUrl}${path}`, { ...init, headers });
    },
    dataDir,
    proc,
    output: () => out,
    exited,
    async kill(signal = 'SIGTERM') {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill(signal);
      return exited;
    },
  };
}

export interface PostOptions {
  gzip?: boolean;
  writeKey?: string;
  /** Put the write key in the body instead of Basic auth. */
  keyInBody?: boolean;
  headers?: Record<string, string>;
  path?: string;
}

export async function post(base: string, body: unknown, opts: PostOptions = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  let payload: Buffer = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(opts.keyInBody ? { ...(body as object), writeKey: opts.writeKey } : body));
  if (opts.gzip) payload = gzipSync(payload);
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...opts.headers };
  if (opts.writeKey && !opts.keyInBody) headers.Authorization = `Basic ${Buffer.from(`${opts.writeKey}:`).toString('base64')}`;
  const res = await fetch(`${base}${opts.path ?? '/v1/batch'}`, { method: 'POST', body: new Uint8Array(payload), headers });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Reads the events table straight from the server's SQLite file (read-only). */
export function storedEvents(dataDir: string): Array<{ seq: number; source: string; messageId: string; event: Record<string, unknown> }> {
  const db = new Database(join(dataDir, 'ferry.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT seq, source, message_id AS messageId, body FROM events ORDER BY seq').all() as Array<{ seq: number; source: string; messageId: string; body: string }>).map(
      ({ body, ...r }) => ({ ...r, event: JSON.parse(body) as Record<string, unknown> }),
    );
  } finally {
    db.close();
  }
}

type StoredEvent = ReturnType<typeof storedEvents>[number];

/** The events a server stored, in order, from whichever store the suite runs on (see storedEvents). */
export async function readEvents(dataDir: string): Promise<StoredEvent[]> {
  if (testStore() === 'sqlite') return storedEvents(dataDir);
  const client = new pg.Client({ connectionString: await databaseFor(dataDir) });
  await client.connect();
  try {
    const { rows } = await client.query<{ seq: string; source: string; messageId: string; body: string }>('SELECT seq, source, message_id AS "messageId", body FROM events ORDER BY seq');
    return rows.map(({ body, seq, ...r }) => ({ ...r, seq: Number(seq), event: JSON.parse(body) as Record<string, unknown> }));
  } finally {
    await client.end();
  }
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

let counter = 0;
export function trackEvent(extra: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return { type: 'track', event: `Event ${counter}`, userId: `user-${counter % 7}`, messageId: `msg-${process.pid}-${Date.now()}-${counter}`, properties: { n: counter }, ...extra };
}

/** GET on the operator API (`/admin${path}`), which must answer 200; its JSON body. */
export async function adminJson<T>(f: FerryProcess, path: string): Promise<T> {
  const res = await f.admin(`/admin${path}`);
  if (res.status !== 200) throw new Error(`GET /admin${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}
