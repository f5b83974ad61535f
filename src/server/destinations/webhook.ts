import { createHash } from 'node:crypto';
import { classifyStatus, parseRetryAfter } from '../../protocol/retry.js';
import type { WebhookDestinationConfig } from '../config.js';
import type { DeliveryItem, Destination, SendResult } from './types.js';

const RESPONSE_EXCERPT = 1000;

/**
 * POSTs `{ "batch": [events] }` as JSON. Idempotency-Key is the messageId for one event, else a
 * hash of the batch's messageIds, so a resent batch carries the same key; every event also
 * carries its own messageId.
 */
export class WebhookDestination implements Destination {
  readonly atomic = true;
  readonly name: string;

  constructor(private readonly config: Readonly<WebhookDestinationConfig>) {
    this.name = config.name;
  }

  async send(items: DeliveryItem[]): Promise<SendResult[]> {
    const ids = items.map((i) => i.messageId);
    const key = ids.length === 1 ? ids[0]! : createHash('sha256').update(ids.join('\n')).digest('hex');
    let result: SendResult;
    try {
      const res = await fetch(this.config.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key, 'User-Agent': 'ferry-router', ...this.config.headers },
        body: JSON.stringify({ batch: items.map((i) => i.event) }),
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      const text = (await res.text()).slice(0, RESPONSE_EXCERPT);
      const action = classifyStatus(res.status);
      if (action === 'success') result = { ok: true, status: res.status, response: text };
      else {
        result = {
          ok: false,
          // 401/403 (a bad credential) and 5xx/429 are the destination's problem: retry.
          retryable: action !== 'reject',
          status: res.status,
          error: `HTTP ${res.status}`,
          response: text,
          retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
        };
      }
    } catch (err) {
      const e = err as Error;
      result = { ok: false, retryable: true, status: null, error: e.name === 'TimeoutError' ? `timed out after ${this.config.timeoutMs} ms` : `${e.message}${(e as { cause?: Error }).cause ? `: ${(e as { cause?: Error }).cause!.message}` : ''}`, response: null };
    }
    return items.map(() => result);
  }
}
