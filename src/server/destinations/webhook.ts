import { createHash } from 'node:crypto';
import { parseRetryAfter } from '../../protocol/retry.js';
import type { WebhookDestinationConfig } from '../config.js';
import type { DeliveryItem, Destination, SendResult } from './types.js';

const RESPONSE_EXCERPT = 1000;

/**
 * POSTs `{ "batch": [events] }` as JSON. Idempotency-Key is the messageId for one event, else a
 * hash of the batch's messageIds, so a resent batch carries the same key; every event also
 * carries its own messageId. It reports what came back and leaves the verdict to the router's
 * answer table. Redirects are not followed: fetch would re-send a POST as a bodiless GET after
 * a 301/302, and a 2xx to that would count as delivered.
 */
export class WebhookDestination implements Destination {
  readonly atomic = true;
  readonly name: string;
  /** The timeout covers the whole exchange, the answer's body included. */
  readonly maxSendMs: number;

  constructor(private readonly config: Readonly<WebhookDestinationConfig>) {
    this.name = config.name;
    this.maxSendMs = config.timeoutMs;
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
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      const text = await excerpt(res);
      const location = res.headers.get('location');
      result = {
        answer: { kind: 'http', status: res.status, html: isHtml(res.headers.get('content-type'), text), retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) },
        error: res.status >= 300 && res.status < 400 && location ? `redirected to ${location}; redirects are not followed, fix the URL` : null,
        response: text,
      };
    } catch (err) {
      const e = err as Error & { cause?: Error };
      const error = e.name === 'TimeoutError' ? `timed out after ${this.config.timeoutMs} ms` : `${e.message}${e.cause ? `: ${e.cause.message}` : ''}`;
      result = { answer: { kind: 'no-answer' }, error, response: null };
    }
    return items.map(() => result);
  }
}

/**
 * The start of the answer's body, for the attempt log and the HTML check; the rest is never
 * read (a destination may answer a 2xx with a body of any size, and reading it all would hold
 * the router's memory and its lease for nothing).
 */
async function excerpt(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < RESPONSE_EXCERPT) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return text.slice(0, RESPONSE_EXCERPT);
}

/** An HTML page, by its type or, when a server mislabels it, by how it starts. */
function isHtml(contentType: string | null, body: string): boolean {
  if (contentType && /^\s*(text\/html|application\/xhtml\+xml)\b/i.test(contentType)) return true;
  return /^\s*<(!doctype\s+html|html[\s>])/i.test(body);
}
