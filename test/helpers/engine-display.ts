import { existsSync } from 'node:fs';
import { requireBinary, spawnGroup, until, type GroupProcess } from './engine-process.js';

/**
 * An X display for WebKitGTK's MiniBrowser, which has no headless mode: one Xvfb per test
 * worker, on a display number it finds free (several developers run tests on this machine).
 */
let display: { name: string; xvfb: GroupProcess } | undefined;

export async function xDisplay(): Promise<string> {
  if (display && display.xvfb.proc.exitCode === null) return display.name;
  const xvfb = requireBinary('/usr/bin/Xvfb', 'xvfb');
  for (let n = 100 + (process.pid % 300); n < 1000; n += 7) {
    if (existsSync(`/tmp/.X11-unix/X${n}`) || existsSync(`/tmp/.X${n}-lock`)) continue;
    const proc = spawnGroup(xvfb, [`:${n}`, '-screen', '0', '1280x1024x24', '-nolisten', 'tcp']);
    const up = await until(async () => (proc.proc.exitCode !== null ? false : existsSync(`/tmp/.X11-unix/X${n}`) || undefined), 10_000, `Xvfb :${n}`).catch(() => false);
    if (up) {
      display = { name: `:${n}`, xvfb: proc };
      return display.name;
    }
    await proc.kill();
  }
  throw new Error('no free X display for Xvfb');
}

export async function closeDisplay(): Promise<void> {
  await display?.xvfb.kill('SIGTERM');
  display = undefined;
}
