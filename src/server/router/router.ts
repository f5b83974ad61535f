import type { ServerConfig } from '../config.js';
import { createDestination, MemoryDestination } from '../destinations/index.js';
import type { Store } from '../store/types.js';
import type { BreakerState } from './breaker.js';
import { DestinationLoop, type LoopEvents } from './destination-loop.js';
import { loadTransform } from './transform.js';

export interface DestinationStatus {
  name: string;
  type: string;
  /** Paused by an operator (POST /admin/destinations/:name/pause): nothing is claimed. */
  paused: boolean;
  pauseReason: string | null;
  pausedAt: number | null;
  /** The breaker's automatic pause: open sends nothing, half-open one probe. */
  breaker: BreakerState;
  /** When the breaker's next probe is due; null while closed. */
  probeAt: number | null;
}

/** Starts one loop per destination, wakes them when events are committed, stops them cleanly. */
export class Router {
  private constructor(
    private readonly store: Store,
    private readonly loops: DestinationLoop[],
    private readonly config: Readonly<ServerConfig>,
    private readonly memories: Map<string, MemoryDestination>,
  ) {}

  static async create(store: Store, config: Readonly<ServerConfig>, events: LoopEvents): Promise<Router> {
    const memories = new Map<string, MemoryDestination>();
    const loops: DestinationLoop[] = [];
    for (const d of config.destinations) {
      const destination = createDestination(d, store.archiveLock);
      if (destination instanceof MemoryDestination) memories.set(d.name, destination);
      const transform = d.transform ? await loadTransform(d.transform, d.name) : undefined;
      loops.push(new DestinationLoop(store, destination, d, transform, config.router.leaseMs, events));
    }
    // Operator pauses outlive restarts; a pause of a destination no longer configured is kept for when it returns.
    for (const p of await store.pauses()) {
      const loop = loops.find((l) => l.name === p.destination);
      if (loop) loop.operatorPause = { reason: p.reason, at: p.at };
    }
    return new Router(store, loops, config, memories);
  }

  has(name: string): boolean {
    return this.loops.some((l) => l.name === name);
  }

  /**
   * An operator pauses a destination: recorded first (it survives a restart), then nothing more
   * is claimed; answers once the claims in progress are settled, so nothing is sent after.
   */
  async pause(name: string, reason: string | null, now: number): Promise<void> {
    const loop = this.loop(name);
    await this.store.setPause(name, { reason, at: now });
    loop.operatorPause = { reason, at: now };
    await loop.idle();
  }

  async resume(name: string): Promise<void> {
    const loop = this.loop(name);
    await this.store.setPause(name, null);
    loop.operatorPause = null;
    loop.wake();
  }

  private loop(name: string): DestinationLoop {
    const loop = this.loops.find((l) => l.name === name);
    if (!loop) throw new Error(`no destination is named "${name}"`);
    return loop;
  }

  start(): void {
    for (const l of this.loops) l.start();
  }

  wake(): void {
    for (const l of this.loops) l.wake();
  }

  /** Probe paused destinations now (an operator says the destination is back). */
  probeNow(): void {
    for (const l of this.loops) {
      if (l.breaker.paused) l.breaker.probeAt = 0;
      l.wake();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.loops.map((l) => l.stop()));
  }

  status(now = Date.now()): DestinationStatus[] {
    return this.loops.map((l) => ({
      name: l.name,
      type: this.config.destinations.find((d) => d.name === l.name)!.type,
      paused: l.operatorPause !== null,
      pauseReason: l.operatorPause?.reason ?? null,
      pausedAt: l.operatorPause?.at ?? null,
      breaker: l.breaker.state(now),
      probeAt: l.breaker.paused ? l.breaker.probeAt : null,
    }));
  }

  /** The in-process sinks, for the demo. */
  memory(name: string): MemoryDestination | undefined {
    return this.memories.get(name);
  }
}
