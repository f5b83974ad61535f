import { describe, expect, it } from 'vitest';
import { laneRetryDelayMs } from '../../../src/server/router/lane-retry.js';

const opts = { baseMs: 1000, capMs: 60_000 };

describe('a lane\'s wait after an endpoint failure', () => {
  it('retries the first failure of a lane at once, unless the destination asked for a pause', () => {
    expect(laneRetryDelayMs(1, undefined, 0.99, opts)).toBe(0);
    expect(laneRetryDelayMs(1, 5000, 0.99, opts)).toBe(5000);
    expect(laneRetryDelayMs(1, 0, 0.5, opts)).toBe(1000);
  });

  it('backs off from baseMs on the second failure in a row, doubling the jitter range each time, up to capMs', () => {
    expect(laneRetryDelayMs(2, undefined, 0, opts)).toBe(1000);
    expect(laneRetryDelayMs(2, undefined, 0.99, opts)).toBe(1000);
    expect(laneRetryDelayMs(3, undefined, 0.99, opts)).toBe(1980);
    expect(laneRetryDelayMs(4, undefined, 0.99, opts)).toBe(3960);
    expect(laneRetryDelayMs(40, undefined, 0.99, opts)).toBe(59_400);
    expect(laneRetryDelayMs(40, 3_600_000, 0.5, opts)).toBe(60_000);
  });
});
