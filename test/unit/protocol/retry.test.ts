import { describe, expect, it } from 'vitest';
import { backoffMs, classifyStatus, parseRetryAfter, retryDelayMs } from '../../../src/protocol/retry.js';

describe('classifyStatus', () => {
  it.each([
    [200, 'success'], [204, 'success'],
    [0, 'retry'], [408, 'retry'], [425, 'retry'], [429, 'retry'], [500, 'retry'], [502, 'retry'], [503, 'retry'], [504, 'retry'],
    [401, 'pause'], [403, 'pause'],
    [400, 'reject'], [404, 'reject'], [413, 'reject'], [422, 'reject'],
    [302, 'retry'],
  ])('maps %i to %s', (status, action) => {
    expect(classifyStatus(status)).toBe(action);
  });
});

describe('backoffMs', () => {
  const opts = { baseMs: 100, capMs: 10_000 };
  it('draws uniformly below base * 2^attempt (full jitter)', () => {
    expect(backoffMs(0, () => 0, opts)).toBe(0);
    expect(backoffMs(0, () => 0.999999, opts)).toBe(99);
    expect(backoffMs(3, () => 0.5, opts)).toBe(400);
  });
  it('never exceeds the cap, even for huge attempt counts', () => {
    for (const attempt of [7, 8, 20, 1000, Number.MAX_SAFE_INTEGER]) {
      expect(backoffMs(attempt, () => 0.999999, opts)).toBeLessThan(10_000);
    }
    expect(backoffMs(50, () => 0.5, opts)).toBe(5000);
  });
  it('treats negative attempts as the first', () => {
    expect(backoffMs(-5, () => 0.5, opts)).toBe(50);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter('5')).toBe(5000);
    expect(parseRetryAfter(' 1.5 ')).toBe(1500);
  });
  it('reads an HTTP date relative to now, never negative', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
  });
  it('ignores absent and garbage values', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-3')).toBeUndefined();
    expect(parseRetryAfter('0 GMT')).toBeUndefined();
    expect(parseRetryAfter('1e3')).toBeUndefined();
  });
  it('reads the obsolete HTTP date forms too', () => {
    const now = Date.parse('1994-11-06T08:49:00Z');
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(37_000);
    expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', now - new Date(now).getTimezoneOffset() * 60_000)).toBe(37_000);
  });
});

describe('retryDelayMs', () => {
  it('prefers Retry-After, capped', () => {
    expect(retryDelayMs(0, 2000, () => 0, { baseMs: 100, capMs: 60_000 })).toBe(2000);
    expect(retryDelayMs(0, 3_600_000, () => 0, { baseMs: 100, capMs: 60_000 })).toBe(60_000);
    expect(retryDelayMs(2, undefined, () => 0.5, { baseMs: 100, capMs: 60_000 })).toBe(200);
  });
  it('never waits less than the base, whatever Retry-After or the jitter draw says', () => {
    const opts = { baseMs: 100, capMs: 60_000 };
    const now = Date.parse('2026-01-01T00:00:00Z');
    for (const header of ['0', '0.0', 'Wed, 31 Dec 2025 23:59:59 GMT', 'Thu, 01 Jan 1970 00:00:00 GMT']) {
      expect(retryDelayMs(5, parseRetryAfter(header, now), () => 0.5, opts), header).toBe(100);
    }
    // Negative and garbage values are not a Retry-After: the backoff applies, floored at the base.
    expect(retryDelayMs(0, parseRetryAfter('-3', now), () => 0, opts)).toBe(100);
    expect(retryDelayMs(0, undefined, () => 0, opts)).toBe(100);
    // Absurdly large ones are capped.
    expect(retryDelayMs(0, parseRetryAfter('9'.repeat(400), now), () => 0, opts)).toBe(60_000);
    expect(retryDelayMs(0, parseRetryAfter('Fri, 31 Dec 9999 23:59:59 GMT', now), () => 0, opts)).toBe(60_000);
  });
});
