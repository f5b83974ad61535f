// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { createIdentity } from '../../../src/sdk/identity.js';

function clearCookies() {
  for (const c of document.cookie.split(';')) {
    const name = c.split('=')[0]!.trim();
    if (name) document.cookie = `${name}=; Max-Age=0; Path=/`;
  }
}

beforeEach(() => {
  localStorage.clear();
  clearCookies();
});

describe('identity', () => {
  it('creates one anonymousId and keeps it in localStorage and a cookie', () => {
    const id = createIdentity(true).get().anonymousId;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(localStorage.getItem('ferry_aid')).toBe(id);
    expect(document.cookie).toContain(`ferry_aid=${id}`);
    expect(createIdentity(true).get().anonymousId).toBe(id);
  });

  it('recovers the ids from the cookie when localStorage was cleared, and writes them back', () => {
    const first = createIdentity(true);
    first.identify('user-1', { plan: 'pro' });
    const aid = first.get().anonymousId;
    localStorage.clear();
    const again = createIdentity(true).get();
    expect(again.anonymousId).toBe(aid);
    expect(again.userId).toBe('user-1');
    expect(localStorage.getItem('ferry_aid')).toBe(aid);
  });

  it('keeps cookies out of it when cookie: false', () => {
    createIdentity(false).identify('u', {});
    expect(document.cookie).not.toMatch(/ferry_\w+=[^;]/);
    expect(localStorage.getItem('ferry_uid')).toBe('u');
  });

  it('merges traits for the same user and starts fresh for a new one', () => {
    const id = createIdentity(true);
    id.identify('a', { x: 1 });
    expect(id.identify(undefined, { y: 2 }).traits).toEqual({ x: 1, y: 2 });
    expect(id.identify('a', { z: 3 }).traits).toEqual({ x: 1, y: 2, z: 3 });
    expect(id.identify('b', { w: 4 }).traits).toEqual({ w: 4 });
    expect(JSON.parse(localStorage.getItem('ferry_traits')!)).toEqual({ w: 4 });
  });

  it('reset() forgets the user and issues a new anonymousId', () => {
    const id = createIdentity(true);
    id.identify('a', { x: 1 });
    const before = id.get().anonymousId;
    id.reset();
    const after = id.get();
    expect(after.userId).toBeNull();
    expect(after.traits).toEqual({});
    expect(after.anonymousId).not.toBe(before);
    expect(document.cookie).not.toContain('ferry_uid=a');
  });

  it('survives corrupt stored traits', () => {
    localStorage.setItem('ferry_traits', '{not json');
    expect(createIdentity(true).get().traits).toEqual({});
  });

  it.each([
    ['cookies, JSON-quoted as analytics.js writes them', (): void => {
      document.cookie = 'ajs_anonymous_id=%22aid-1%22; Path=/';
      document.cookie = 'ajs_user_id=%22u-1%22; Path=/';
    }, 'aid-1', 'u-1'],
    ['raw cookies', (): void => {
      document.cookie = 'ajs_anonymous_id=aid-2; Path=/';
      document.cookie = 'ajs_user_id=u-2; Path=/';
    }, 'aid-2', 'u-2'],
    ['localStorage, JSON-quoted, with a numeric userId', (): void => {
      localStorage.setItem('ajs_anonymous_id', '"aid-3"');
      localStorage.setItem('ajs_user_id', '4217');
    }, 'aid-3', '4217'],
    ['an anonymous visitor', () => localStorage.setItem('ajs_anonymous_id', 'aid-4'), 'aid-4', null],
  ] as const)('adopts the identity analytics.js left in %s, once', (_, plant, anonymousId, userId) => {
    plant();
    expect(createIdentity(true).get()).toMatchObject({ anonymousId, userId });
    expect([localStorage.getItem('ferry_aid'), localStorage.getItem('ferry_uid')]).toEqual([anonymousId, userId]);
    // Ferry's own ids win from then on.
    document.cookie = 'ajs_anonymous_id=other; Path=/';
    expect(createIdentity(true).get().anonymousId).toBe(anonymousId);
  });

  it('reset() after adopting analytics.js ids does not adopt them again: the logged-out user stays out', () => {
    document.cookie = 'ajs_anonymous_id=%22aid-9%22; Path=/';
    document.cookie = 'ajs_user_id=%22u-9%22; Path=/';
    const id = createIdentity(true);
    expect(id.get()).toMatchObject({ anonymousId: 'aid-9', userId: 'u-9' });
    id.reset();
    expect(id.get().userId).toBeNull();
    expect(id.get().anonymousId).not.toBe('aid-9');
    // A reload after the reset, with analytics.js's cookies still there.
    expect(createIdentity(true).get()).toMatchObject({ anonymousId: id.get().anonymousId, userId: null });
  });

  it('ignores what analytics.js left when it is not an id', () => {
    localStorage.setItem('ajs_anonymous_id', '{"a":1}');
    localStorage.setItem('ajs_user_id', 'null');
    const state = createIdentity(true).get();
    expect(state.anonymousId).toMatch(/^[0-9a-f-]{36}$/);
    expect(state.userId).toBeNull();
  });

  it('setAnonymousId() names the visitor, in storage too', () => {
    const id = createIdentity(true);
    id.setAnonymousId('from-backend');
    expect(createIdentity(true).get().anonymousId).toBe('from-backend');
    expect(document.cookie).toContain('ferry_aid=from-backend');
  });
});
