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
  });
});

describe('retryDelayMs', () => {
  it('prefers Retry-After, capped', () => {
    expect(retryDelayMs(0, 2000, () => 0, { baseMs: 100, capMs: 60_000 })).toBe(2000);
    expect(retryDelayMs(0, 3_600_000, () => 0, { baseMs: 100, capMs: 60_000 })).toBe(60_000);
    expect(retryDelayMs(2, undefined, () => 0.5, { baseMs: 100, capMs: 60_000 })).toBe(200);
  });
});
