import type { FerryEvent } from '../../protocol/events.js';
import type { MemoryDestinationConfig } from '../config.js';
import type { DeliveryItem, Destination, SendResult } from './types.js';

/** What the demo can do to an in-process sink: work, fail (503), or refuse one event kind (400). */
export interface MemoryBehaviour {
  mode: 'ok' | 'fail';
  /** Events whose `event` name is this are refused with 400: a poison message. */
  poisonEvent?: string;
  delayMs?: number;
}

/** An in-process sink for the demo and tests: keeps what it received, in order. */
export class MemoryDestination implements Destination {
  readonly atomic = false;
  readonly name: string;
  readonly received: FerryEvent[] = [];
  behaviour: MemoryBehaviour = { mode: 'ok' };
  private static readonly KEEP = 10_000;

  constructor(config: Readonly<MemoryDestinationConfig>) {
    this.name = config.name;
  }

  async send(items: DeliveryItem[]): Promise<SendResult[]> {
    const { mode, poisonEvent, delayMs } = this.behaviour;
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    return items.map((item): SendResult => {
      if (mode === 'fail') return { answer: { kind: 'http', status: 503, html: false }, error: null, response: '{"error":"the demo switched this sink off"}' };
      if (poisonEvent && item.event.event === poisonEvent) {
        return { answer: { kind: 'http', status: 400, html: false }, error: null, response: `{"error":"\\"${poisonEvent}\\" is not accepted here"}` };
      }
      this.received.push(item.event);
      if (this.received.length > MemoryDestination.KEEP) this.received.splice(0, this.received.length - MemoryDestination.KEEP);
      return { answer: { kind: 'http', status: 200, html: false }, error: null, response: null };
    });
  }
}
