import { Worker } from 'node:worker_threads';
import type { Store } from './types.js';

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

/**
 * A Store whose every call runs in the store worker thread (store-worker.ts). Calls are
 * answered in order; the worker owns the only connection that writes.
 */
export class WorkerStore {
  readonly kind = 'sqlite' as const;
  private next = 1;
  private readonly pending = new Map<number, Pending>();

  private constructor(private readonly worker: Worker) {
    worker.on('message', (msg: { id: number; ok: boolean; value?: unknown; error?: { message: string; code?: string } }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(Object.assign(new Error(msg.error!.message), { code: msg.error!.code }));
    });
    worker.on('error', (err) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  static async open(file: URL, dataDir: string): Promise<Store> {
    const worker = new Worker(file, { workerData: { dataDir } });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (msg: { id: number }) => {
        if (msg.id !== 0) return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve();
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    const store = new WorkerStore(worker);
    return new Proxy(store, {
      get(target, prop: string | symbol) {
        if (prop === 'kind') return target.kind;
        if (prop === 'close') return () => target.call('close', []).finally(() => target.worker.terminate());
        if (typeof prop !== 'string' || prop === 'then') return undefined;
        return (...args: unknown[]) => target.call(prop, args);
      },
    }) as unknown as Store;
  }

  private call(method: string, args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.next++;
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, method, args });
    });
  }
}
