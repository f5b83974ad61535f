import { execFile } from 'node:child_process';

const bin = new URL('../../bin/ferry.js', import.meta.url).pathname;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `ferry ARGS…` (the built CLI) as its own process, stdin closed (not a terminal), with
 * FERRY_ADMIN_URL/FERRY_ADMIN_TOKEN only from `env`; resolves with its exit code and output.
 */
export function ferryCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const clean = { ...process.env };
  delete clean.FERRY_ADMIN_URL;
  delete clean.FERRY_ADMIN_TOKEN;
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { env: { ...clean, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end();
  });
}

/** `ferry ARGS… --json` that must exit 0; its parsed output. */
export async function ferryJson<T>(args: string[], env: Record<string, string>): Promise<T> {
  const run = await ferryCli([...args, '--json'], env);
  if (run.code !== 0) throw new Error(`ferry ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/**
 * Whether the server lacks a route (its own 404 `no route …`), as opposed to a 404 about a
 * thing: the operator features of issue 17 that a server may not have yet.
 */
export async function lacksRoute(admin: (path: string, init?: RequestInit) => Promise<Response>, method: string, path: string, body?: unknown): Promise<boolean> {
  const res = await admin(path, body === undefined ? { method } : { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return res.status === 404 && text.includes('"error":"no route ');
}
