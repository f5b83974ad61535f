import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { createBaseApp } from '../../../src/server/http/base-app.js';
import { operatorGuard } from '../../../src/server/http/operator-guard.js';

// The comparison itself, observed: every token check must go through crypto.timingSafeEqual.
const compared = vi.hoisted(() => ({ calls: [] as Array<[number, number]> }));
vi.mock('node:crypto', async (original) => {
  const crypto = await original<typeof import('node:crypto')>();
  return {
    ...crypto,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compared.calls.push([a.byteLength, b.byteLength]);
      return crypto.timingSafeEqual(a, b);
    },
  };
});

const TOKEN = 'operator-token-0123456789';
let app: FastifyInstance;

beforeAll(async () => {
  app = createBaseApp({ logger: false, bodyLimit: 1024, trustProxy: false });
  await app.register(operatorGuard, { token: TOKEN, allowedHosts: ['localhost'] });
  app.get('/admin/ping', async () => ({ ok: true }));
  await app.ready();
});
afterAll(async () => {
  await app.close();
});

async function statusWith(authorization: string | undefined): Promise<number> {
  const res = await app.inject({ method: 'GET', url: '/admin/ping', headers: { host: 'localhost', ...(authorization === undefined ? {} : { authorization }) } });
  return res.statusCode;
}

describe('the operator token (G10)', () => {
  it('is compared in constant time: one timingSafeEqual of equal-length digests per request, whatever the candidate', async () => {
    // The right token, a prefix of it, a longer one, one byte off, none: lengths never reach the comparison.
    const candidates = [TOKEN, TOKEN.slice(0, 5), `${TOKEN}x`, `${TOKEN.slice(0, -1)}0`, '', undefined];
    const statuses: number[] = [];
    for (const c of candidates) {
      compared.calls.length = 0;
      statuses.push(await statusWith(c === undefined ? undefined : `Bearer ${c}`));
      expect(compared.calls, String(c)).toEqual([[32, 32]]);
    }
    expect(statuses).toEqual([200, 401, 401, 401, 401, 401]);
  });

  it('admits exactly the configured token, for any candidate', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 40 }), fc.constant(TOKEN), fc.constant(` ${TOKEN} `), fc.constant(TOKEN.toUpperCase())), async (candidate) => {
        const status = await statusWith(`Bearer ${candidate}`);
        // Surrounding spaces are not part of a header value; any other difference is refused.
        expect(status).toBe(candidate.trim() === TOKEN ? 200 : 401);
      }),
      { numRuns: 60 },
    );
  });
});
