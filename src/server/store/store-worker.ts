/**
 * The SQLite store in its own thread: ingestion's HTTP, decoding and validation keep the main
 * thread while the writer commits on the other core. Each message is one Store call.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './types.js';

type Call = { id: number; method: keyof Store; args: unknown[] };

const store = new SqliteStore((workerData as { dataDir: string }).dataDir);
parentPort!.on('message', (call: Call) => {
  const fn = store[call.method] as unknown as (...args: unknown[]) => Promise<unknown>;
  fn.apply(store, call.args).then(
    (value) => parentPort!.postMessage({ id: call.id, ok: true, value }),
    (err: Error) => parentPort!.postMessage({ id: call.id, ok: false, error: { message: err.message, code: (err as { code?: string }).code } }),
  );
});
parentPort!.postMessage({ id: 0, ok: true, value: 'ready' });
