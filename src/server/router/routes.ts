import type { FerryEvent } from '../../protocol/events.js';
import type { DestinationConfig, ServerConfig } from '../config.js';

/** Which destinations an event of a source goes to: the source's list, then each filter. */
export type RouteFn = (source: string, event: FerryEvent) => string[];

function matches(d: DestinationConfig, event: FerryEvent): boolean {
  const f = d.filter;
  if (!f) return true;
  if (f.types && !f.types.includes(event.type)) return false;
  if (f.events && !(event.type === 'track' && typeof event.event === 'string' && f.events.includes(event.event))) return false;
  return true;
}

export function createRoutes(config: Readonly<ServerConfig>): RouteFn {
  const bySource = new Map<string, DestinationConfig[]>();
  for (const s of config.sources) {
    bySource.set(s.name, s.destinations ? config.destinations.filter((d) => s.destinations!.includes(d.name)) : [...config.destinations]);
  }
  return (source, event) => (bySource.get(source) ?? []).filter((d) => matches(d, event)).map((d) => d.name);
}
