import type { IdentityLink, NewEvent } from './types.js';

/**
 * The events of one ingest call, packed for the store worker: a structured clone pays per value
 * (every object, every property), so a group of thousands of small event objects cost the writer
 * thread more to rebuild than it costs to copy one long string and a table of lengths. Lossless:
 * unpackEvents(packEvents(x)) deep-equals x, whatever the strings hold (lengths, not separators).
 */
export interface PackedEvents {
  /** Every string of every event, concatenated in the order `shape` describes. */
  text: string;
  /**
   * Per event: the lengths of source, messageId, type, userKey and body; the number of
   * destinations and the length of each; the number of links and, for each, the lengths of
   * userId, otherId and kind.
   */
  shape: Uint32Array;
  receivedAt: Float64Array;
}

export function packEvents(events: readonly NewEvent[]): PackedEvents {
  const parts: string[] = [];
  const shape: number[] = [];
  const receivedAt = new Float64Array(events.length);
  const add = (s: string) => {
    parts.push(s);
    shape.push(s.length);
  };
  events.forEach((e, i) => {
    receivedAt[i] = e.receivedAt;
    add(e.source);
    add(e.messageId);
    add(e.type);
    add(e.userKey);
    add(e.body);
    shape.push(e.destinations.length);
    for (const d of e.destinations) add(d);
    shape.push(e.links.length);
    for (const l of e.links) {
      add(l.userId);
      add(l.otherId);
      add(l.kind);
    }
  });
  return { text: parts.join(''), shape: Uint32Array.from(shape), receivedAt };
}

export function unpackEvents({ text, shape, receivedAt }: PackedEvents): NewEvent[] {
  let at = 0;
  let k = 0;
  const next = (): string => {
    const end = at + shape[k++]!;
    const s = text.slice(at, end);
    at = end;
    return s;
  };
  const out: NewEvent[] = [];
  for (let i = 0; i < receivedAt.length; i++) {
    const source = next();
    const messageId = next();
    const type = next();
    const userKey = next();
    const body = next();
    const destinations: string[] = [];
    for (let n = shape[k++]!; n > 0; n--) destinations.push(next());
    const links: IdentityLink[] = [];
    for (let n = shape[k++]!; n > 0; n--) links.push({ userId: next(), otherId: next(), kind: next() as IdentityLink['kind'] });
    out.push({ source, messageId, type, userKey, receivedAt: receivedAt[i]!, body, destinations, links });
  }
  return out;
}
