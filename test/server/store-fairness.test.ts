import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/server/store/sqlite-store.js';
import type { NewEvent } from '../../src/server/store/types.js';
import { cleanup, tempDir } from '../helpers/ferry-process.js';

const DESTINATION = 'shared';
const LIMIT = 100;
const LEASE_MS = 60_000;

const event = (source: string, userKey: string, n: number, receivedAt: number): NewEvent => ({
  source, messageId: `${source}-${userKey}-${n}`, type: 'track', userKey, receivedAt, body: '{}', destinations: [DESTINATION], links: [],
});

describe('claims shared fairly between sources', () => {
  it('claims a trickle source\'s events in the first claim after they arrive, while another source has 20,000 older events waiting', async () => {
    const dir = tempDir();
    const store = new SqliteStore(dir);
    try {
      const t0 = 1_000_000;
      // The flood: 20,000 events of 200 users, all older than anything the trickle sends.
      for (let from = 0; from < 20_000; from += 5000) {
        await store.ingest(Array.from({ length: 5000 }, (_, i) => event('flood', `f${(from + i) % 200}`, from + i, t0)), 0);
      }
      // The router's loop, one claim after another, each settled as delivered; a trickle event
      // arrives every 10 claims. Record in which claim each trickle event was taken.
      const arrived = new Map<number, number>();
      const claimedIn = new Map<number, number>();
      const floodOrder = new Map<string, number>();
      let floodClaimed = 0;
      for (let round = 0; round < 250 && (floodClaimed < 20_000 || claimedIn.size < arrived.size); round++) {
        const now = t0 + 1000 + round;
        if (round % 10 === 0 && arrived.size < 10) {
          const [seq] = await store.ingest([event('trickle', `t${arrived.size % 3}`, arrived.size, now)], 0);
          arrived.set(seq!, round);
        }
        const token = `claim-${round}`;
        const claimed = await store.claim(DESTINATION, now, LIMIT, LEASE_MS, token);
        expect(claimed.length).toBeLessThanOrEqual(LIMIT);
        for (const c of claimed) {
          if (arrived.has(c.eventSeq)) claimedIn.set(c.eventSeq, round);
          else {
            floodClaimed++;
            // Each flood user's events come in ingestion order (G6) whatever the sharing.
            expect(c.eventSeq).toBeGreaterThan(floodOrder.get(c.userKey) ?? 0);
            floodOrder.set(c.userKey, c.eventSeq);
          }
        }
        const attempt = { number: 1, at: now, status: 200, error: null, response: null, durationMs: 1 };
        await store.settle(DESTINATION, token, claimed.map((c) => ({ id: c.id, state: 'succeeded' as const, attempt })), now);
      }
      expect(floodClaimed).toBe(20_000);
      expect(arrived.size).toBe(10);
      // Every trickle event went out in the very claim after its arrival, not behind the flood.
      expect([...claimedIn.entries()].sort()).toEqual([...arrived.entries()].sort());
    } finally {
      await store.close();
      cleanup(dir);
    }
  }, 120_000);
});
