/**
 * A futures account closed and opened again under the same id numbers its positions on from the
 * closed account's last: a position id (`<account>:<symbol>:<n>`) keys the read tables' positions and
 * trades, which keep the closed account's rows. Carried across a snapshot; a snapshot written before
 * the numbers were kept still restores.
 */
import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { KernelEvent } from './events.js';
import type { KernelInput } from './inputs.js';
import { Kernel, type KernelConfig } from './kernel.js';

const T0 = 1_700_000_000_000;
const symbol = 'BTCUSDT';
const CONFIG: KernelConfig = { instruments: [findBundledInstrument('binance', 'perpetual', symbol)!] };

const open: KernelInput = { kind: 'account.open', time: T0, account: 'a', type: 'futures', balances: { USDT: '100000' }, leverage: 10 };
const book = (time: number): KernelInput => ({ kind: 'book.snapshot', time, symbol, lastUpdateId: time, bids: [['59999.9', '5']], asks: [['60000.0', '5']] });
const order = (time: number, side: 'BUY' | 'SELL', account = 'a'): KernelInput => ({ kind: 'order.place', time, account, symbol, side, type: 'MARKET', quantity: '0.1' });
const positionIds = (events: readonly KernelEvent[]) => events.flatMap((e) => (e.type === 'POSITION_OPENED' || e.type === 'POSITION_CLOSED' ? [[e.type, e.positionId]] : []));

/** Opens `a`, opens and closes one position, then closes the account: position 1 is spent. */
function closedAfterOnePosition(): Kernel {
  const kernel = new Kernel(CONFIG);
  kernel.handle(open);
  kernel.handle(book(T0 + 1));
  expect(positionIds(kernel.handle(order(T0 + 2, 'BUY')))).toEqual([['POSITION_OPENED', 'a:BTCUSDT:1']]);
  expect(positionIds(kernel.handle(order(T0 + 3, 'SELL')))).toEqual([['POSITION_CLOSED', 'a:BTCUSDT:1']]);
  kernel.handle({ kind: 'account.close', time: T0 + 4, account: 'a' });
  return kernel;
}

describe('an account opened again under a closed id', () => {
  it('numbers its first position 2, after the closed account’s 1', () => {
    const kernel = closedAfterOnePosition();
    kernel.handle({ ...open, time: T0 + 5 });
    expect(positionIds(kernel.handle(order(T0 + 6, 'BUY')))).toEqual([['POSITION_OPENED', 'a:BTCUSDT:2']]);
    kernel.checkInvariants();
  });

  it('numbers on from the closed account across a snapshot', () => {
    const restored = Kernel.restore(CONFIG, closedAfterOnePosition().snapshot());
    restored.handle({ ...open, time: T0 + 5 });
    expect(positionIds(restored.handle(order(T0 + 6, 'BUY')))).toEqual([['POSITION_OPENED', 'a:BTCUSDT:2']]);
  });

  it('an account imported under the closed id gets position numbers after the closed account’s, its held position among them', () => {
    const kernel = closedAfterOnePosition();
    // Exported from `b`, which holds its own position 1 (a long of 0.1): imported as `a`, that position
    // would be named a:BTCUSDT:1, the closed account's position, whose rows the read tables keep.
    kernel.handle({ ...open, account: 'b', time: T0 + 5 });
    expect(positionIds(kernel.handle(order(T0 + 6, 'BUY', 'b')))).toEqual([['POSITION_OPENED', 'b:BTCUSDT:1']]);
    kernel.handle({ kind: 'account.import', time: T0 + 7, document: kernel.exportAccount('b')!, account: 'a' });
    const held = kernel.account('a');
    expect(held?.kind === 'futures' ? held.openPositions().map((p) => p.id) : []).toEqual(['a:BTCUSDT:2']);
    // Closing it names position 2; the next one is 3.
    expect(positionIds(kernel.handle(order(T0 + 8, 'SELL')))).toEqual([['POSITION_CLOSED', 'a:BTCUSDT:2']]);
    expect(positionIds(kernel.handle(order(T0 + 9, 'BUY')))).toEqual([['POSITION_OPENED', 'a:BTCUSDT:3']]);
    kernel.checkInvariants();
  });

  it('a snapshot written before the numbers were kept restores (and the account starts from 1, as it did)', () => {
    const snapshot = JSON.parse(closedAfterOnePosition().snapshot()) as { positionSeqs?: unknown };
    expect(snapshot.positionSeqs).toEqual([['a', 1]]);
    delete snapshot.positionSeqs;
    const restored = Kernel.restore(CONFIG, JSON.stringify(snapshot));
    restored.handle({ ...open, time: T0 + 5 });
    expect(positionIds(restored.handle(order(T0 + 6, 'BUY')))).toEqual([['POSITION_OPENED', 'a:BTCUSDT:1']]);
  });

  it('a snapshot with no closed futures account is written as before (no positionSeqs key)', () => {
    const kernel = new Kernel(CONFIG);
    kernel.handle(open);
    kernel.handle({ kind: 'account.open', time: T0, account: 's', balances: { USDT: '1' } });
    kernel.handle({ kind: 'account.close', time: T0 + 1, account: 's' });
    expect(Object.keys(JSON.parse(kernel.snapshot()) as object)).not.toContain('positionSeqs');
  });
});
