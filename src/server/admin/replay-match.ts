import type { ServerConfig } from '../config.js';
import { httpError } from '../errors.js';
import type { ReplayMatch } from '../store/types.js';

export interface ReplayRequest {
  destination: string;
  fromMs: number;
  toMs: number;
  source?: string;
  type?: string;
  /** A track event's name. */
  event?: string;
}

/**
 * The stored events a replay copies: those the operator asked for that the destination would have
 * been sent (its sources and its filter, as routes.ts decides for new events), so filling a
 * destination added today sends it what it would have had.
 */
export function replayMatch(config: Readonly<ServerConfig>, r: ReplayRequest): ReplayMatch {
  const d = config.destinations.find((x) => x.name === r.destination);
  if (!d) throw httpError('not_found', `no destination is named "${r.destination}"`);
  if (r.source !== undefined && !config.sources.some((s) => s.name === r.source)) throw httpError('invalid_body', `no source is named "${r.source}"`);
  const sources = config.sources
    .filter((s) => (s.destinations === undefined || s.destinations.includes(d.name)) && (r.source === undefined || s.name === r.source))
    .map((s) => s.name);
  const narrow = (asked: string | undefined, allowed: readonly string[] | undefined): string[] | null => {
    if (asked === undefined) return allowed ? [...allowed] : null;
    return allowed && !allowed.includes(asked) ? [] : [asked];
  };
  return { fromMs: r.fromMs, toMs: r.toMs, sources, types: narrow(r.type, d.filter?.types), events: narrow(r.event, d.filter?.events) };
}
