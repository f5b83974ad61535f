import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packEvents, unpackEvents } from '../../../src/server/store/packed-events.js';
import type { NewEvent } from '../../../src/server/store/types.js';

// Any UTF-16 text, lone surrogates and separator-like characters included: the packing must not
// rely on a character that cannot occur.
const text = fc.string({ unit: fc.oneof(fc.constantFrom('\u0000', '\n', '\ud800', '\udfff', '😀', 'é'), fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))), maxLength: 40 });
const event: fc.Arbitrary<NewEvent> = fc.record({
  source: text,
  messageId: text,
  type: text,
  userKey: text,
  receivedAt: fc.oneof(fc.integer({ min: 0, max: 2 ** 48 }), fc.double({ noNaN: true })),
  body: text,
  destinations: fc.array(text, { maxLength: 3 }),
  links: fc.array(fc.record({ userId: text, otherId: text, kind: fc.constantFrom('anonymousId' as const, 'previousId' as const) }), { maxLength: 2 }),
});

describe('packed events (the ingest message to the store worker)', () => {
  it('unpacks to exactly the events that were packed, in order, after a structured clone', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), (events) => {
        expect(unpackEvents(structuredClone(packEvents(events)))).toEqual(events);
      }),
      { numRuns: 300 },
    );
  });
});
