import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { startFerry, trackEvent, type FerryProcess } from './ferry-process.js';

const STRACE = process.env.STRACE_PATH ?? 'strace';

/**
 * What the trace needs: every thread (-f: the store commits in a worker thread), descriptors
 * decoded to paths and socket endpoints (-yy), whole WAL pages (-s 4096; binary ones in hex,
 * -x), and only the calls that write or sync (seccomp-bpf stops the server on those alone).
 */
const OPTIONS = ['-f', '--seccomp-bpf', '-qq', '-ttt', '-yy', '-x', '-s', '4096', '-e', 'trace=write,writev,pwrite64,pwritev,pwritev2,sendto,sendmsg,fsync,fdatasync'];

/** Why strace cannot trace a child here, or null when it can. */
export function straceProblem(): string | null {
  const res = spawnSync(STRACE, ['-f', '-qq', '-e', 'trace=none', process.execPath, '-e', '0'], { encoding: 'utf8', timeout: 30_000 });
  if (res.error && (res.error as NodeJS.ErrnoException).code === 'ENOENT') {
    return `strace is not installed (looked for "${STRACE}"). G4's proof traces the server's syscalls: install Debian's strace (apt-get install strace; \`npm run setup\` and .ci/run do it) or set STRACE_PATH.`;
  }
  if (res.error) return `strace could not run: ${res.error.message}`;
  if (res.status !== 0) return `strace cannot trace a child process here (exit ${res.status}): ${res.stderr.trim()}. Ptrace must be allowed (in a container: --cap-add SYS_PTRACE or a seccomp profile that permits ptrace).`;
  return null;
}

export interface TracedFerry {
  ferry: FerryProcess;
  /** Stops the server with SIGTERM, waits for strace to finish writing, and returns the trace. */
  stop(): Promise<string>;
  /** For cleanup after a failure: SIGKILL to the server, then to strace. */
  kill(): Promise<void>;
}

export async function startTracedFerry(opts: { dataDir: string; args: string[]; env?: Record<string, string> }): Promise<TracedFerry> {
  const tracePath = join(opts.dataDir, 'strace.txt');
  const ferry = await startFerry({ ...opts, wrapper: [STRACE, ...OPTIONS, '-o', tracePath] });
  // strace's only child is the server. Signals go to it: SIGTERM to strace detaches it and leaves the server running.
  const serverPid = Number(readFileSync(`/proc/${ferry.proc.pid}/task/${ferry.proc.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
  if (!Number.isInteger(serverPid) || serverPid <= 0) throw new Error(`could not find the server under strace (pid ${ferry.proc.pid})`);
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(serverPid, sig);
    } catch {
      // already gone
    }
  };
  return {
    ferry,
    async stop() {
      signal('SIGTERM');
      const code = await ferry.exited;
      if (code !== 0) throw new Error(`the traced server exited with ${code}:\n${ferry.output()}`);
      return readFileSync(tracePath, 'utf8');
    },
    async kill() {
      if (ferry.proc.exitCode !== null) return;
      signal('SIGKILL');
      await ferry.kill('SIGKILL');
    },
  };
}

/** One POST of one event on its own connection, so the client's port names the socket the answer goes to. */
export function postOnOwnConnection(port: number, writeKey: string, marker: string): Promise<{ status: number; clientPort: number; marker: string }> {
  const body = Buffer.from(JSON.stringify({ batch: [trackEvent({ messageId: marker })] }));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1', port, path: '/v1/batch', method: 'POST', agent: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': body.length, Connection: 'close', Authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
      },
      (res) => {
        const clientPort = req.socket!.localPort!;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, clientPort, marker }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
