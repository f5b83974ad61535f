import type { Forwarded } from './fault-proxy.js';
import type { World } from './chaos-world.js';
import { waitFor } from './sink.js';

/**
 * The chaos suite's bookkeeping, done at the destination by messageId. Each tracked event carries
 * a label (`tab:i`) in its properties, so the expected set is known by construction.
 *
 * - delivered: labels that reached the sink (in a 2xx the sink gave); lost = tracked − delivered.
 * - twice: a label stored twice, or stored or delivered under two messageIds: a copy no dedupe by
 *   messageId can catch. Must be 0.
 * - copies: arrivals at the sink beyond the first per messageId (at-least-once: an answer lost, a
 *   timeout, a server killed before it recorded the success); counted, not failed. Copies the
 *   router sent again after the sink's 2xx was written back to it in full, within one server run,
 *   are listed as findings: only a router that missed its own timeout (a blocked event loop) or
 *   lost its lease does that.
 * - resent after a 2xx: events a page put on the wire again after the collector's 2xx for them had
 *   reached it in full (issue 10's "copies on the wire"; the server's dedupe absorbs them, the
 *   visitor's data plan does not). Legitimate only when the browser died before it could delete.
 * - order breaks: per user, first arrivals at the sink out of ingestion order (G6); per tab (labels
 *   `tab:i`), events stored out of track order (G3).
 */
export interface Tally {
  tracked: number;
  delivered: number;
  lost: number;
  twice: number;
  copies: number;
  resentAfterAck: number;
  orderBreaks: number;
  /** One line per finding, for the failure message. */
  findings: string[];
}

type Event = Record<string, unknown>;

export function labelOf(e: Event): string | undefined {
  const label = (e.properties as { label?: unknown } | undefined)?.label;
  return typeof label === 'string' ? label : undefined;
}

const userOf = (e: Event) => String(e.userId ?? e.anonymousId);
/** Hostile batches hold nulls and strings where events should be. */
const eventsIn = (r: Forwarded): Event[] => r.events.filter((e): e is Event => typeof e === 'object' && e !== null);
const is2xx = (r: Forwarded) => r.status >= 200 && r.status < 300;

/** Waits (bounded) until every label reached the sink, then a little longer for late copies. */
export async function awaitDelivery(world: World, tracked: string[], timeoutMs: number): Promise<void> {
  const want = new Set(tracked);
  const seen = new Set<string>();
  let at = 0;
  try {
    await waitFor(() => {
      for (; at < world.sink.received.length; at++) {
        const label = labelOf(world.sink.received[at]!);
        if (label !== undefined) seen.add(label);
      }
      return [...want].every((l) => seen.has(l));
    }, timeoutMs, 'every tracked event at the destination');
  } catch {
    return; // the tally says what is missing
  }
  await new Promise((r) => setTimeout(r, 750));
}

function distinctIdsByLabel(events: Event[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const e of events) {
    const label = labelOf(e);
    if (label === undefined) continue;
    if (!out.has(label)) out.set(label, new Set());
    out.get(label)!.add(String(e.messageId));
  }
  return out;
}

function extraAppearances(ids: string[]): number {
  return ids.length - new Set(ids).size;
}

/** Events put on the wire again after a 2xx for them was written back in full, with the first few as examples. */
function resentAfterAck(requests: Forwarded[], excused: ExcuseResend): { count: number; excused: number; examples: string[] } {
  const acked = new Map<string, Forwarded>();
  for (const r of requests) {
    if (!is2xx(r) || r.answeredAt === undefined) continue;
    // A hostile event's messageId may be an object ("[object Object]" in every round): no id to follow.
    for (const e of eventsIn(r).filter((e) => typeof e.messageId === 'string')) {
      const id = e.messageId as string;
      const first = acked.get(id);
      if (!first || r.answeredAt < first.answeredAt!) acked.set(id, r);
    }
  }
  let count = 0;
  let forgiven = 0;
  const examples: string[] = [];
  for (const r of requests) {
    for (const e of eventsIn(r)) {
      const ack = acked.get(String(e.messageId));
      if (!ack || ack.answeredAt! >= r.at) continue;
      if (excused(labelOf(e), ack)) {
        forgiven++;
        continue;
      }
      count++;
      if (examples.length < 3) examples.push(`${labelOf(e) ?? String(e.messageId)}: 2xx written at +${ack.answeredAt! - ack.start} ms of a ${ack.events.length}-event request, sent again ${r.at - ack.answeredAt!} ms later in a ${r.events.length}-event ${r.gzip ? 'gzip' : 'uncompressed'} request (answered ${r.status || 'nothing'})`);
    }
  }
  return { count, excused: forgiven, examples };
}

/**
 * Whether a re-send after a 2xx is legitimate for this event, given the request whose 2xx came
 * first: that answer reached a page that no longer existed (a closed tab cannot delete what it sent).
 */
export type ExcuseResend = (label: string | undefined, acked: Forwarded) => boolean;

export function tally(world: World, tracked: string[], excuseResend: ExcuseResend = () => false): Tally {
  const findings: string[] = [];
  const stored = world.stored();
  const arrivals = world.sink.received;

  const atSink = distinctIdsByLabel(arrivals);
  const missing = tracked.filter((l) => !atSink.has(l));
  if (missing.length) findings.push(`lost ${missing.length}: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}`);

  let twice = 0;
  const storedIds = stored.map((s) => s.messageId);
  const storedTwice = extraAppearances(storedIds);
  if (storedTwice) findings.push(`${storedTwice} messageId(s) stored twice`);
  twice += storedTwice;
  for (const [where, byLabel] of [['stored', distinctIdsByLabel(stored.map((s) => s.event))], ['delivered', atSink]] as const) {
    for (const [label, ids] of byLabel) {
      if (ids.size > 1) {
        twice++;
        findings.push(`${label} ${where} under ${ids.size} messageIds`);
      }
    }
  }
  const acked = new Map<string, number>();
  for (const r of world.hook.requests) {
    if (!is2xx(r) || !r.answered) continue;
    for (const e of eventsIn(r)) {
      const key = `${r.epoch}/${String(e.messageId)}`;
      acked.set(key, (acked.get(key) ?? 0) + 1);
    }
  }
  const reacked = [...acked].filter(([, n]) => n > 1);
  if (reacked.length) findings.push(`${reacked.length} event(s) sent again by the router after the sink's 2xx had been written back in full (same server run), e.g. ${reacked[0]![0].split('/')[1]}`);

  let orderBreaks = 0;
  const seqOf = new Map(stored.map((s) => [s.messageId, s.seq]));
  const firstSeen = new Set<string>();
  const lastSeqOfUser = new Map<string, number>();
  for (const e of arrivals) {
    const id = String(e.messageId);
    if (firstSeen.has(id)) continue;
    firstSeen.add(id);
    const seq = seqOf.get(id);
    if (seq === undefined) continue;
    const user = userOf(e);
    if ((lastSeqOfUser.get(user) ?? -1) > seq) {
      orderBreaks++;
      if (orderBreaks <= 5) findings.push(`user ${user}: ${labelOf(e) ?? id} (seq ${seq}) reached the destination after a later event`);
    }
    lastSeqOfUser.set(user, Math.max(seq, lastSeqOfUser.get(user) ?? -1));
  }
  const lastIndexOfTab = new Map<string, number>();
  for (const s of stored) {
    const label = labelOf(s.event);
    if (label === undefined) continue;
    const cut = label.lastIndexOf(':');
    if (cut < 0) continue; // not a tab's label (a Node client's): counted, not order-checked
    const tab = label.slice(0, cut);
    const i = Number(label.slice(cut + 1));
    if ((lastIndexOfTab.get(tab) ?? -1) > i) {
      orderBreaks++;
      if (orderBreaks <= 5) findings.push(`tab ${tab}: ${label} was stored after a later event of that tab`);
    }
    lastIndexOfTab.set(tab, Math.max(i, lastIndexOfTab.get(tab) ?? -1));
  }

  const resent = resentAfterAck(world.site.requests, excuseResend);
  if (resent.count) findings.push(`re-sent after a 2xx, e.g. ${resent.examples.join('; ')}`);
  if (resent.excused) findings.push(`${resent.excused} re-send(s) after a 2xx that reached a closed tab (it could not delete them): dedupe absorbed them`);

  // The server's own error log lines, to tell a reader where to look.
  const errors = world.ferry.output().split('\n').filter((l) => /"level":(50|60)/.test(l));
  const kinds = new Map<string, string>();
  for (const line of errors) {
    const msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? line.slice(0, 80);
    if (!kinds.has(msg)) kinds.set(msg, line);
  }
  for (const [msg, line] of kinds) findings.push(`server log (${errors.filter((l) => l.includes(msg)).length}× "${msg}"): ${line.slice(0, 600)}`);
  return {
    tracked: tracked.length,
    delivered: tracked.length - missing.length,
    lost: missing.length,
    twice,
    copies: extraAppearances(arrivals.map((e) => String(e.messageId))),
    resentAfterAck: resent.count,
    orderBreaks,
    findings,
  };
}
