// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { consentAtLoad } from '../../../src/sdk/consent.js';

// A pending start is stored for the origin (so that a tab without a consent option does not
// send), but it is nobody's decision: with `gpc`, a browser sending Global Privacy Control starts
// denied unless the visitor decided otherwise through consent().
describe('a stored pending start and Global Privacy Control', () => {
  beforeEach(() => {
    localStorage.clear();
    Object.defineProperty(navigator, 'globalPrivacyControl', { configurable: true, value: true });
  });

  it('a GPC browser still starts denied in a tab loaded with gpc after another tab started pending', () => {
    // Tab A: the consent banner page, load({ consent: 'pending' }) (GPC honoured only where asked).
    expect(consentAtLoad('pending', false).state).toBe('pending');
    // Tab B: load({ gpc: true }), no decision made anywhere.
    expect(consentAtLoad(undefined, true).state).toBe('denied');
  });

  it('…and so does a tab loaded with gpc and consent pending', () => {
    consentAtLoad('pending', false);
    expect(consentAtLoad('pending', true).state).toBe('denied');
  });
});
