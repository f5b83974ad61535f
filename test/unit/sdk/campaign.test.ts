import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { arrival } from '../../../src/sdk/campaign.js';

const at = (url: string) => new URL(url) as unknown as Location;

describe('arrival', () => {
  it('reads utm_* under Segment\'s names and the click ids, and an external referrer', () => {
    expect(arrival(at('https://shop.test/p?utm_source=a&utm_medium=b&utm_campaign=c&utm_term=d&utm_content=e&gclid=G&fbclid=F&msclkid=M&ttclid=T&li_fat_id=L&q=1'), 'https://news.test/x')).toEqual({
      campaign: { source: 'a', medium: 'b', name: 'c', term: 'd', content: 'e', gclid: 'G', fbclid: 'F', msclkid: 'M', ttclid: 'T', li_fat_id: 'L' },
      referrer: { url: 'https://news.test/x' },
    });
  });

  it('has nothing to say about an internal visit without parameters', () => {
    expect(arrival(at('https://shop.test/p?q=1&constructor=x&__proto__=y'), 'https://shop.test/home')).toEqual({});
  });

  it('stays small whatever the link holds', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('utm_source', 'utm_campaign', 'gclid', 'utm_x', 'x', 'toString'), fc.string({ maxLength: 5000 })), { maxLength: 50 }), fc.string({ maxLength: 5000 }), (params, referrer) => {
        const url = new URL('https://shop.test/');
        for (const [k, v] of params) url.searchParams.append(k, v);
        expect(JSON.stringify(arrival(at(url.href), `https://ref.test/${referrer}`)).length).toBeLessThan(2000);
      }),
      { numRuns: 200 },
    );
  });
});
