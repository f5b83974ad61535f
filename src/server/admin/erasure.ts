import type { ServerConfig } from '../config.js';
import { eraseFromArchive } from '../destinations/file.js';
import type { ErasureCounts, ErasureRequest, PendingErasure, Store } from '../store/types.js';

export interface ErasureReceipt extends ErasureCounts {
  erasureId: number;
  archiveLines: number;
}

/**
 * Erases a user (G11): the store's rows of the whole identity graph and the audit row in one
 * transaction, then the lines of every file destination's archives. Until the archives are
 * rewritten the erasure stays pending in the store; a failure here is finished by the next
 * erasure or the next start (resumeErasures).
 */
export async function eraseUser(store: Store, config: Readonly<ServerConfig>, request: ErasureRequest): Promise<ErasureReceipt> {
  await resumeErasures(store, config);
  const done = await store.eraseUser(request);
  const archiveLines = await finish(store, config, done);
  return { erasureId: done.id, ...done.counts, archiveLines };
}

/** Finishes erasures whose archives were not rewritten; returns how many. */
export async function resumeErasures(store: Store, config: Readonly<ServerConfig>): Promise<number> {
  const pending = await store.pendingErasures();
  for (const p of pending) await finish(store, config, p);
  return pending.length;
}

async function finish(store: Store, config: Readonly<ServerConfig>, erasure: PendingErasure): Promise<number> {
  let lines = 0;
  for (const d of config.destinations) if (d.type === 'file') lines += await eraseFromArchive(d, erasure, store.archiveLock);
  await store.completeErasure(erasure.id, lines, Date.now());
  return lines;
}
