import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labels, launchProfile, openTracker, trackLabels } from '../../helpers/chaos-browser.js';
import { awaitDelivery, tally } from '../../helpers/chaos-ledger.js';
import { startWorld } from '../../helpers/chaos-world.js';
import type { Scenario } from '../scenario.js';

/** A small tmpfs for the data directory; the reason when this machine cannot mount one. */
function mountTmpfs(dir: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `mount -t tmpfs failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
}

/** Fills the file system holding `dir` with one file until ENOSPC. */
function fill(dir: string): string {
  const file = join(dir, 'filler');
  writeFileSync(file, '');
  const chunk = Buffer.alloc(256 * 1024, 1);
  try {
    for (;;) appendFileSync(file, chunk);
  } catch {
    // ENOSPC: full
  }
  try {
    for (;;) appendFileSync(file, Buffer.alloc(512, 1));
  } catch {
    // down to the last block
  }
  return file;
}

/**
 * The data directory fills up while a page tracks: the server must not
 * answer 2xx for events it could not keep (503 + Retry-After), and must recover when space returns.
 */
export const diskTrouble: Scenario = {
  id: 11,
  title: 'Disk trouble: data directory full (tmpfs), then space back',
  budgetMs: 120_000,
  async run({ rng, defer, note }) {
    const mountpoint = mkdtempSync(join(tmpdir(), 'ferry-chaos-disk-'));
    defer(() => rmSync(mountpoint, { recursive: true, force: true }));
    const reason = mountTmpfs(mountpoint);
    if (reason) return { skipped: reason };
    defer(() => execFileSync('umount', ['-l', mountpoint]));
    const world = await startWorld({ dataDir: mountpoint });
    defer(() => world.close());
    const context = await launchProfile(world.profileDir());
    defer(() => context.close().catch(() => undefined));
    const page = await openTracker(context, world.pageUrl({ flushAt: 20 }));
    const tracked: string[] = [];
    const track = async (n: number) => {
      const batch = labels('t0', n, tracked.length);
      tracked.push(...batch);
      await trackLabels(page, batch);
    };
    await track(20);
    await awaitDelivery(world, tracked, 20_000);

    const failures: string[] = [];
    const troubled = (from: number) => world.site.requests.slice(from).filter((r) => r.events.length > 0);
    const phase = async (what: string, trouble: () => void, recover: () => void) => {
      const from = world.site.requests.length;
      trouble();
      for (let b = 0; b < 4; b++) {
        await track(rng.int(10, 30));
        await page.waitForTimeout(rng.int(300, 800));
      }
      const during = troubled(from);
      const statuses = [...new Set(during.map((r) => r.status))].join('/');
      note(`${what}: ${during.length} requests answered ${statuses || 'nothing'}`);
      if (during.some((r) => r.status >= 500 && r.status !== 503)) failures.push(`${what}: answered ${statuses}, where 503 with Retry-After says "retry later"`);
      // (A 2xx is fine while SQLite still has room in pages it holds; what it answers must be kept.)
      if (!during.some((r) => r.status === 503)) failures.push(`${what}: no request was refused with 503: the trouble never reached the server, so this proved nothing`);
      recover();
      if (world.ferry.proc.exitCode !== null) {
        note(`${what}: the server exited with ${world.ferry.proc.exitCode}; restarted`);
        await world.restartFerry();
      }
    };
    let filler = '';
    // (A read-only remount is refused while SQLite holds its files open for writing: "busy".)
    await phase('disk full', () => (filler = fill(mountpoint)), () => rmSync(filler));
    // Well under router.leaseMs (60 s): a claim whose settle hit the full disk is settled again
    // once space returns, not left leased while its user's later events wait behind it.
    await awaitDelivery(world, tracked, 40_000);
    return { tally: tally(world, tracked), failures };
  },
};
