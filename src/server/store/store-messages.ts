/**
 * The messages between WorkerStore (main thread) and store-worker.ts (the writer thread): one
 * request shape per Store method, discriminated by `method`, so a name that is not a Store
 * method is a type error on both sides.
 */
import type { PackedEvents } from './packed-events.js';
import type { Store } from './types.js';

/**
 * The Store members that are calls (everything but its fields). `archiveLock` takes a callback,
 * which cannot cross to a thread; the embedded store has none (one process).
 */
export type StoreMethod = Exclude<{
  [K in keyof Store]-?: Store[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof Store], 'archiveLock'>;

/** Ingest, the hot call, carries its events packed (packed-events.ts); every other call its arguments as they are. */
export type StoreRequest =
  | { [M in Exclude<StoreMethod, 'ingest'>]: { id: number; method: M; args: Parameters<Store[M]> } }[Exclude<StoreMethod, 'ingest'>]
  | { id: number; method: 'ingest'; args: [events: PackedEvents, dedupeCutoff: number] };

export type StoreResult<M extends StoreMethod> = Awaited<ReturnType<Store[M]>>;

/** `id: 0` is the worker's first message: the store is open and migrated. */
export type StoreReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { message: string; code?: string } };
