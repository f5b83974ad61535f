import type { ServerConfig } from '../config.js';
import { createDestination, MemoryDestination } from '../destinations/index.js';
import type { Store } from '../store/types.js';
import { DestinationLoop, type LoopEvents } from './destination-loop.js';
import { loadTransform } from './transform.js';

export interface DestinationStatus {
  name: string;
  type: string;
  paused: boolean;
  probeAt: number | null;
}

/** Starts one loop per destination, wakes them when events are committed, stops them cleanly. */
export class Router {
  private constructor(
    private readonly loops: DestinationLoop[],
    private readonly config: Readonly<ServerConfig>,
    private readonly memories: Map<string, MemoryDestination>,
  ) {}

  static async create(store: Store, config: Readonly<ServerConfig>, events: LoopEvents): Promise<Router> {
    const memories = new Map<string, MemoryDestination>();
    const loops: DestinationLoop[] = [];
    for (const d of config.destinations) {
      const destination = createDestination(d);
      if (destination instanceof MemoryDestination) memories.set(d.name, destination);
      const transform = d.transform ? await loadTransform(d.transform, d.name) : undefined;
      loops.push(new DestinationLoop(store, destination, d, transform, config.router.leaseMs, events));
    }
    return new Router(loops, config, memories);
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

  status(): DestinationStatus[] {
    return this.loops.map((l) => ({
      name: l.name,
      type: this.config.destinations.find((d) => d.name === l.name)!.type,
      paused: l.breaker.paused,
      probeAt: l.breaker.paused ? l.breaker.probeAt : null,
    }));
  }

  /** The in-process sinks, for the demo. */
  memory(name: string): MemoryDestination | undefined {
    return this.memories.get(name);
  }
}
