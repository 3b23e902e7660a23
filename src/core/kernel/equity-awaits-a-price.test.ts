import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { KernelEvent } from './events.js';
import type { KernelInput } from './inputs.js';
import { Kernel, type KernelConfig } from './kernel.js';

const config: KernelConfig = { instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!] };
const T0 = 1_723_161_600_000;
const book = (time: number, bid: string, ask: string): KernelInput => ({ kind: 'book.snapshot', time, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [[bid, '1']], asks: [[ask, '1']] });
const eth = findBundledInstrument('binance', 'spot', 'ETHUSDT')!;
const print = (time: number, price: string, id: number): KernelInput => ({ kind: 'trade', time, symbol: 'BTCUSDT', tradeId: id, price, quantity: '0.1', buyerMaker: true });
const equities = (events: readonly KernelEvent[]) => events.flatMap((e) => (e.type === 'EQUITY' ? [{ at: e.at, account: e.account, equity: e.equity }] : []));

/**
 * An account is valued only when everything it holds has a price: one opened holding BTC before the
 * BTCUSDT book has any is valued (its opening equity, the baseline of its metrics) at the first
 * price, not at its USDT alone.
 */
describe('equity waits for a price', () => {
  it('an account of 1000 USDT and 2 BTC opened before any price is first valued at 1000 + 2 × the first mid', () => {
    const kernel = new Kernel(config);
    const opened = kernel.handle({ kind: 'account.open', time: T0, account: 'a', balances: { USDT: '1000', BTC: '2' } });
    expect(opened.map((e) => e.type)).toEqual(['ACCOUNT_OPENED']);
    expect(kernel.awaitingPrice('a')).toBe(true);
    // A minute boundary crossed with still no price (and no market data, so the wait has not started counting): no sample either.
    expect(equities(kernel.handle({ kind: 'clock', time: T0 + 61_000 }))).toEqual([]);
    // The first book: 100.00 / 101.01, mid 100.505 → 100.50 at the 0.01 tick.
    expect(equities(kernel.handle(book(T0 + 62_000, '100.00', '101.01')))).toEqual([{ at: T0 + 62_000, account: 'a', equity: '1201' }]);
    expect(kernel.awaitingPrice('a')).toBe(false);
    expect(equities(kernel.handle({ kind: 'clock', time: T0 + 121_000 }))).toEqual([{ at: T0 + 120_000, account: 'a', equity: '1201' }]);
  });

  it('a reset before any price waits for one too; an account of USDT alone does not', () => {
    const kernel = new Kernel(config);
    kernel.handle({ kind: 'account.open', time: T0, account: 'a', balances: { USDT: '1000' } });
    const cash = kernel.handle({ kind: 'account.open', time: T0, account: 'cash', balances: { USDT: '500' } });
    expect(equities(cash)).toEqual([{ at: T0, account: 'cash', equity: '500' }]);
    expect(kernel.handle({ kind: 'account.reset', time: T0 + 1, account: 'a', balances: { USDT: '10', BTC: '1' } }).map((e) => e.type)).toEqual(['ACCOUNT_RESET']);
    // A print is a price: 1 BTC at 99.99 + 10 USDT.
    const print = kernel.handle({ kind: 'trade', time: T0 + 2, symbol: 'BTCUSDT', tradeId: 1, price: '99.99', quantity: '0.1', buyerMaker: true });
    expect(equities(print)).toEqual([{ at: T0 + 2, account: 'a', equity: '109.99' }]);
  });

  it('an asset with no market in USDT is not waited for: it counts as zero, as before', () => {
    const kernel = new Kernel(config);
    expect(equities(kernel.handle({ kind: 'account.open', time: T0, account: 'e', balances: { USDT: '1000', ETH: '5' } }))).toEqual([{ at: T0, account: 'e', equity: '1000' }]);
    expect(kernel.awaitingPrice('e')).toBe(false);
  });

  it('a kernel restored while a sample waits takes it at the same input, and its snapshot is the same', () => {
    const kernel = new Kernel(config);
    kernel.handle({ kind: 'account.open', time: T0, account: 'a', balances: { USDT: '1000', BTC: '2' } });
    const snapshot = kernel.snapshot();
    const restored = Kernel.restore(config, snapshot);
    expect(restored.snapshot()).toBe(snapshot);
    expect(restored.awaitingPrice('a')).toBe(true);
    const next = book(T0 + 1_000, '200.00', '200.02');
    const events = kernel.handle(next);
    expect(equities(events)).toEqual([{ at: T0 + 1_000, account: 'a', equity: '1400.02' }]);
    expect(restored.handle(next)).toEqual(events);
    // The account's exported document keeps no trace of the wait: the importing engine values it itself.
    expect(kernel.exportAccount('a')).not.toContain('awaitingPrice');
  });

  it('a copy imported before any price is valued at the first price', () => {
    const source = new Kernel(config);
    source.handle({ kind: 'account.open', time: T0, account: 'a', balances: { USDT: '1000', BTC: '2' } });
    source.handle(book(T0 + 1, '300.00', '300.02'));
    const kernel = new Kernel(config);
    const imported = kernel.handle({ kind: 'account.import', time: T0 + 2, account: 'copy', document: source.exportAccount('a')! });
    expect(imported.map((e) => e.type)).toEqual(['ACCOUNT_IMPORTED']);
    expect(equities(kernel.handle(book(T0 + 3, '250.00', '250.02')))).toEqual([{ at: T0 + 3, account: 'copy', equity: '1500.02' }]);
  });

  it('waits at most PRICE_WAIT_MS of market data: a market still silent then counts as zero, and the drawdown guard watches the rest', () => {
    // ETHUSDT is configured but never prints; BTCUSDT trades. 1000 USDT, 1 BTC, 1 ETH, a 10 % limit.
    const kernel = new Kernel({ instruments: [config.instruments[0]!, eth] });
    kernel.handle({ kind: 'account.open', time: T0 + 1_000, account: 'h', balances: { USDT: '1000', BTC: '1', ETH: '1' }, risk: { maxDrawdown: '0.1' } });
    // BTC is priced, ETH is not: the account waits (its count starts at this first market data), and its limit is not watched yet.
    expect(equities(kernel.handle(print(T0 + 2_000, '60005', 1)))).toEqual([]);
    expect(kernel.awaitingPrice('h')).toBe(true);
    // 59.999 s into the wait, still waiting.
    expect(equities(kernel.handle(print(T0 + 61_999, '60005', 2)))).toEqual([]);
    // 60 s of market data and ETH still silent: it counts as zero, 1000 + 60005 = 61005.
    expect(equities(kernel.handle(print(T0 + 62_000, '60005', 3)))).toEqual([{ at: T0 + 62_000, account: 'h', equity: '61005' }]);
    expect(kernel.awaitingPrice('h')).toBe(false);
    // BTC falls to 6005: 7005 against the peak 61005, a drawdown of 54000 / 61005 ≥ 10 %: the account halts.
    const crash = kernel.handle(print(T0 + 63_000, '6005', 4));
    const halted = crash.find((e) => e.type === 'MAX_DRAWDOWN_REACHED');
    // 54000 / 61005 to 18 decimals, half-up (0.885173346447012539|6…), by hand.
    expect(halted).toMatchObject({ account: 'h', equity: '7005', drawdown: '0.88517334644701254' });
    expect(kernel.isHalted('h')).toBe(true);
  });

  it('a clock that jumps (an account made before a replay\'s first input) does not end the wait: only market data counts', () => {
    const kernel = new Kernel(config);
    kernel.handle({ kind: 'account.open', time: 0, account: 'a', balances: { USDT: '1000', BTC: '2' } });
    // The feed starts years later; its first inputs state no price (a delta before the snapshot).
    expect(equities(kernel.handle({ kind: 'clock', time: T0 }))).toEqual([]);
    expect(equities(kernel.handle(book(T0 + 15_000, '100.00', '101.01')))).toEqual([{ at: T0 + 15_000, account: 'a', equity: '1201' }]);
  });

  it('the wait is kept across a snapshot: a restored kernel ends it at the same input', () => {
    const both = { instruments: [config.instruments[0]!, eth] };
    const kernel = new Kernel(both);
    kernel.handle({ kind: 'account.open', time: T0 + 1_000, account: 'a', balances: { USDT: '1000', ETH: '2' } });
    kernel.handle(print(T0 + 2_000, '60005', 1));
    const restored = Kernel.restore(both, kernel.snapshot());
    const later = print(T0 + 62_000, '60006', 2);
    const events = kernel.handle(later);
    expect(equities(events)).toEqual([{ at: T0 + 62_000, account: 'a', equity: '1000' }]);
    expect(restored.handle(later)).toEqual(events);
  });

  it('awaitedPrices names what the valuation waits for, until it is priced or the wait is over', () => {
    // BTCUSDT and ETHUSDT configured; DOGE has no market in USDT and is never waited for.
    const kernel = new Kernel({ instruments: [config.instruments[0]!, eth] });
    kernel.handle({ kind: 'account.open', time: T0 + 1_000, account: 'w', balances: { USDT: '1000', BTC: '1', ETH: '1', DOGE: '7' } });
    expect(kernel.awaitedPrices('w')).toEqual(['BTC', 'ETH']);
    kernel.handle(print(T0 + 2_000, '60005', 1));
    expect(kernel.awaitedPrices('w')).toEqual(['ETH']);
    // 60 s of market data with ETH silent: the kernel values it at zero from then on, and waits for nothing.
    kernel.handle(print(T0 + 62_000, '60005', 2));
    expect(kernel.awaitingPrice('w')).toBe(false);
    expect(kernel.awaitedPrices('w')).toEqual([]);
    expect(kernel.awaitedPrices('nobody')).toEqual([]);
  });
});
