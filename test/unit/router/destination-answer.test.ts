import { describe, expect, it } from 'vitest';
import { answerAction } from '../../../src/server/router/destination-answer.js';
import type { DestinationAnswer } from '../../../src/server/destinations/types.js';

const http = (status: number, html = false, retryAfterMs?: number): DestinationAnswer => ({ kind: 'http', status, html, retryAfterMs });

describe('the destination-answer table', () => {
  it('counts an in-process store and every 2xx as delivered, whatever the body', () => {
    expect(answerAction({ kind: 'stored' })).toBe('delivered');
    for (let s = 200; s < 300; s++) {
      expect(answerAction(http(s))).toBe('delivered');
      expect(answerAction(http(s, true))).toBe('delivered');
    }
  });

  it('treats no answer at all (timeout, refused connection, I/O error) as an endpoint failure', () => {
    expect(answerAction({ kind: 'no-answer' })).toBe('endpoint');
  });

  it('refuses the content only on 400, 413 and 422 from the application', () => {
    expect([400, 413, 422].map((s) => answerAction(http(s)))).toEqual(['content', 'content', 'content']);
  });

  it('reads an HTML error page as the endpoint speaking, even as a 400, 413 or 422', () => {
    expect([400, 413, 422].map((s) => answerAction(http(s, true)))).toEqual(['endpoint', 'endpoint', 'endpoint']);
  });

  it('never aborts for answers about the endpoint: credentials, a wrong URL, pace, server errors', () => {
    for (const s of [401, 403, 404, 405, 408, 409, 410, 411, 415, 429, 431, 451, 500, 502, 503, 504, 599]) {
      expect(answerAction(http(s)), `HTTP ${s}`).toBe('endpoint');
      expect(answerAction(http(s, false, 30_000)), `HTTP ${s} with Retry-After`).toBe('endpoint');
    }
  });

  it('treats 1xx and 3xx (redirects are not followed) as endpoint failures', () => {
    for (const s of [100, 101, 103, 199, 300, 301, 302, 303, 304, 307, 308, 399]) expect(answerAction(http(s)), `HTTP ${s}`).toBe('endpoint');
  });

  it('gives every status from 100 to 599, HTML or not, the verdict of its class', () => {
    for (let status = 100; status < 600; status++) {
      for (const html of [false, true]) {
        const expected = status >= 200 && status < 300 ? 'delivered' : !html && [400, 413, 422].includes(status) ? 'content' : 'endpoint';
        expect(answerAction(http(status, html)), `HTTP ${status}${html ? ' (HTML)' : ''}`).toBe(expected);
      }
    }
  });
});
