// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { Identity } from '../../../src/sdk/identity.js';

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
    const id = new Identity(true).get().anonymousId;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(localStorage.getItem('ferry_aid')).toBe(id);
    expect(document.cookie).toContain(`ferry_aid=${id}`);
    expect(new Identity(true).get().anonymousId).toBe(id);
  });

  it('recovers the ids from the cookie when localStorage was cleared, and writes them back', () => {
    const first = new Identity(true);
    first.identify('user-1', { plan: 'pro' });
    const aid = first.get().anonymousId;
    localStorage.clear();
    const again = new Identity(true).get();
    expect(again.anonymousId).toBe(aid);
    expect(again.userId).toBe('user-1');
    expect(localStorage.getItem('ferry_aid')).toBe(aid);
  });

  it('keeps cookies out of it when cookie: false', () => {
    new Identity(false).identify('u', {});
    expect(document.cookie).not.toMatch(/ferry_\w+=[^;]/);
    expect(localStorage.getItem('ferry_uid')).toBe('u');
  });

  it('merges traits for the same user and starts fresh for a new one', () => {
    const id = new Identity(true);
    id.identify('a', { x: 1 });
    expect(id.identify(undefined, { y: 2 }).traits).toEqual({ x: 1, y: 2 });
    expect(id.identify('a', { z: 3 }).traits).toEqual({ x: 1, y: 2, z: 3 });
    expect(id.identify('b', { w: 4 }).traits).toEqual({ w: 4 });
    expect(JSON.parse(localStorage.getItem('ferry_traits')!)).toEqual({ w: 4 });
  });

  it('reset() forgets the user and issues a new anonymousId', () => {
    const id = new Identity(true);
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
    expect(new Identity(true).get().traits).toEqual({});
  });
});
