import { describe, expect, it } from 'vitest';
import { LISTEN_KEY_VALIDITY_MS, ListenKeyStore, MAX_LISTEN_KEYS_PER_ACCOUNT } from './mexc-listen-keys.js';

describe("MEXC's listen keys", () => {
  it('live 60 minutes from creation or the last keep-alive, then name no account', () => {
    let now = 1_000_000;
    const keys = new ListenKeyStore(() => now);
    const key = keys.create('alice');
    now += 59 * 60_000;
    expect(keys.accountOf(key)).toBe('alice');
    expect(keys.keepAlive('alice', key)).toBe(true);
    now += 59 * 60_000;
    expect(keys.accountOf(key)).toBe('alice');
    now += 60_000;
    expect(keys.accountOf(key)).toBeUndefined();
    expect(keys.keepAlive('alice', key)).toBe(false);
    expect(LISTEN_KEY_VALIDITY_MS).toBe(3_600_000);
  });

  it("are kept alive, listed and closed by their own account only", () => {
    const keys = new ListenKeyStore(() => 0);
    const key = keys.create('alice');
    expect(keys.keepAlive('bob', key)).toBe(false);
    expect(keys.close('bob', key)).toBe(false);
    expect(keys.keysOf('bob')).toEqual([]);
    expect(keys.keysOf('alice')).toEqual([key]);
    expect(keys.close('alice', key)).toBe(true);
    expect(keys.accountOf(key)).toBeUndefined();
  });

  it('are at most 60 per account: a new one drops the oldest', () => {
    const keys = new ListenKeyStore(() => 0);
    const made = Array.from({ length: MAX_LISTEN_KEYS_PER_ACCOUNT + 1 }, () => keys.create('alice'));
    expect(keys.keysOf('alice')).toEqual(made.slice(1));
    expect(keys.accountOf(made[0]!)).toBeUndefined();
    expect(new Set(made).size).toBe(made.length);
    expect(made.every((k) => /^[0-9a-f]{64}$/.test(k))).toBe(true);
  });

  it("of a deleted account are all forgotten, and no other account's", () => {
    const keys = new ListenKeyStore(() => 0);
    const alices = [keys.create('alice'), keys.create('alice')];
    const bobs = keys.create('bob');
    keys.forget('alice');
    expect(alices.map((k) => keys.accountOf(k))).toEqual([undefined, undefined]);
    expect(keys.keysOf('alice')).toEqual([]);
    expect(keys.accountOf(bobs)).toBe('bob');
  });
});
