import { describe, expect, it } from 'vitest';
import { HealthMap, type HealthState } from './account-health.js';

const health = (limit: bigint | undefined): HealthState => ({ tracker: undefined, limit, closeOnHalt: false, halted: false, lastEquity: 0n });

describe('the accounts whose drawdown the kernel guards', () => {
  it('counts the accounts with a limit through opening, replacing, closing and clearing', () => {
    const map = new HealthMap();
    map.set('a', health(10n));
    map.set('b', health(undefined));
    map.set('c', health(5n));
    expect(map.limited).toBe(2); // a, c
    map.set('a', health(20n)); // a reset keeping a limit
    map.set('b', health(1n)); // b reopened with one
    map.set('c', health(undefined)); // c reopened without
    expect(map.limited).toBe(2); // a, b
    expect(map.delete('a')).toBe(true);
    expect(map.delete('zz')).toBe(false);
    expect(map.limited).toBe(1); // b
    map.clear();
    expect(map.limited).toBe(0);
    expect(map.size).toBe(0);
  });
});

describe('the accounts whose sample waits for a price', () => {
  it('follows awaitPrice, a restored health that waits, replacing, closing and clearing', () => {
    const map = new HealthMap();
    map.set('a', health(undefined));
    map.set('b', { ...health(undefined), awaitingPrice: true }); // restored from a snapshot
    map.awaitPrice('a', true);
    map.awaitPrice('zz', true); // no such account: nothing
    expect([...map.awaiting].sort()).toEqual(['a', 'b']);
    map.awaitPrice('b', false);
    expect(map.get('b')!.awaitingPrice).toBeUndefined();
    expect([...map.awaiting]).toEqual(['a']);
    map.set('a', health(undefined)); // a reset: a fresh health
    expect(map.awaiting.size).toBe(0);
    map.awaitPrice('b', true);
    expect(map.delete('b')).toBe(true);
    expect(map.awaiting.size).toBe(0);
    map.awaitPrice('a', true);
    map.clear();
    expect(map.awaiting.size).toBe(0);
  });
});
