import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { BarContext } from './bar-input.js';
import type { BarInput } from './inputs.js';
import { Kernel, type KernelConfig } from './kernel.js';

// A quiet bar (no order and no position on its symbol) runs the drawdown guard after a step only
// when an equity can have moved since the last guard (ADR 0042, 2026-12-03); on a perpetual, the
// guard after the input is left out too, while on spot the bar's close, the new last price, can
// value a holding anew (ADR 0042, seventh pass). The steps of a bar
// with intervalMs 60000 at time t: the open at t, the extremes at t + 15000 and t + 30000, the
// close at t + 59999.
const BTC = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const ETH = findBundledInstrument('binance', 'perpetual', 'ETHUSDT')!;
const SPOT_BTC = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
/** A whole minute: 28,333,333 × 60,000 ms. */
const T = 1_699_999_980_000;
const MINUTE = 60_000;

function bar(symbol: string, time: number, open: string, high: string, low: string, close: string): BarInput {
  return { kind: 'bar', time, symbol, open, high, low, close, volume: '10', intervalMs: MINUTE };
}

/** The kernel and a count of the guard runs its bar path asks for. */
function counted(config: KernelConfig): { kernel: Kernel; guards: () => number } {
  const kernel = new Kernel(config);
  const ctx = (kernel as unknown as { barContext: { -readonly [K in keyof BarContext]: BarContext[K] } }).barContext;
  const guard = ctx.guardDrawdowns;
  let calls = 0;
  ctx.guardDrawdowns = () => {
    calls += 1;
    guard();
  };
  return { kernel, guards: () => calls };
}

/** The kernel and a count of every guard run, the bar path's and the one after each price input. */
function countedAll(config: KernelConfig): { kernel: Kernel; guards: () => number } {
  const kernel = new Kernel(config);
  const own = kernel as unknown as { guardDrawdowns: () => void };
  const guard = own.guardDrawdowns.bind(kernel);
  let calls = 0;
  own.guardDrawdowns = () => {
    calls += 1;
    guard();
  };
  return { kernel, guards: () => calls };
}

describe('the drawdown guard on a quiet bar', () => {
  it('runs after the first step only when nothing moves an equity: 1 of the 4 steps', () => {
    const { kernel, guards } = counted({ instruments: [BTC], equityIntervalMs: MINUTE, equityEveryStep: true });
    kernel.handle({ kind: 'account.open', time: T, account: 'a', type: 'futures', balances: { USDT: '1000' }, leverage: 10, fees: { maker: '0', taker: '0' } });
    const before = guards();
    // Open 60000, low 59900, high 60100, close 60050: four steps, no order, no position.
    const events = kernel.handle(bar('BTCUSDT', T + MINUTE, '60000', '60100', '59900', '60050'));
    expect(guards() - before).toBe(1);
    // The sample at the minute the open crosses (the first after the clock started at T) is still there, at the deposit.
    expect(events.filter((e) => e.type === 'EQUITY').map((e) => [e.at, e.type === 'EQUITY' ? e.equity : ''])).toEqual([[T + MINUTE, '1000']]);
    expect(kernel.drawdown('a')).toEqual({ max: 0n, maxAmount: 0n });
  });

  it('runs again after a later step that funded a position on another symbol, and sees its payment', () => {
    // ETHUSDT funds every minute at 0.001: a long of 1 ETH marked at 2000 pays 2000 × 0.001 = 2 USDT.
    const { kernel, guards } = counted({
      instruments: [BTC, ETH], equityIntervalMs: 0, equityEveryStep: true, funding: { intervalMs: MINUTE, rates: { ETHUSDT: '0.001' } },
    });
    kernel.handle({ kind: 'account.open', time: T, account: 'a', type: 'futures', balances: { USDT: '10000' }, leverage: 10, fees: { maker: '0', taker: '0' } });
    kernel.handle({ kind: 'order.place', time: T, account: 'a', symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: '1', clientOrderId: 'eth' });
    // A flat ETH bar at 2000 fills the long at 2000.01 (the open plus ETHUSDT's tick, 0.01) and marks it at 2000.
    const filled = kernel.handle(bar('ETHUSDT', T, '2000', '2000', '2000', '2000'));
    expect(filled.filter((e) => e.type === 'FILL').map((e) => (e.type === 'FILL' ? e.price : ''))).toEqual(['2000.01']);
    const before = guards();
    // A BTC bar from T + 30000: its steps at T + 30000, T + 45000, T + 60000 (the funding time) and T + 89999.
    const events = kernel.handle(bar('BTCUSDT', T + 30_000, '60000', '60100', '59900', '60050'));
    expect(events.filter((e) => e.type === 'FUNDING').map((e) => e.at)).toEqual([T + MINUTE]);
    // The first step and the funded one.
    expect(guards() - before).toBe(2);
    // Equity: the peak 10000 (the deposit, valued at the ETH bar's open before the fill), then
    // 10000 − 0.01 (paid over the mark at entry) − 2 (funding) = 9997.99: a fall of 2.01.
    expect(kernel.drawdown('a')?.maxAmount).toBe(201n * 10n ** 16n);
  });

  it('on a perpetual, is not run again after the input: the bar guards once in all', () => {
    const { kernel, guards } = countedAll({ instruments: [BTC], equityIntervalMs: MINUTE, equityEveryStep: true });
    kernel.handle({ kind: 'account.open', time: T, account: 'a', type: 'futures', balances: { USDT: '1000' }, leverage: 10, fees: { maker: '0', taker: '0' }, risk: { maxDrawdown: '0.5' } });
    const before = guards();
    kernel.handle(bar('BTCUSDT', T + MINUTE, '60000', '60100', '59900', '60050'));
    // The first step's guard only (before: that one and the one after the input).
    expect(guards() - before).toBe(1);
    expect(kernel.drawdown('a')).toEqual({ max: 0n, maxAmount: 0n });
  });

  it('on spot, runs again after the input: the close, now the last price, values what the account holds', () => {
    const { kernel, guards } = countedAll({ instruments: [SPOT_BTC], equityIntervalMs: MINUTE, equityEveryStep: true });
    kernel.handle({ kind: 'account.open', time: T, account: 'a', balances: { USDT: '1000', BTC: '1' } });
    // No book, no mark: BTC is valued at the last price, the close of the bar before. After this
    // bar 1000 + 60000 = 61000, the peak.
    kernel.handle(bar('BTCUSDT', T + MINUTE, '60000', '60000', '60000', '60000'));
    const before = guards();
    // Closed down: the high first. Its steps value BTC at 60000 still (no print on a quiet path);
    // the close sets the last price to 59500: 1000 + 59500 = 60500, 500 under the peak.
    kernel.handle(bar('BTCUSDT', T + 2 * MINUTE, '60000', '60100', '59000', '59500'));
    expect(guards() - before).toBe(2);
    expect(kernel.drawdown('a')?.maxAmount).toBe(500n * 10n ** 18n);
  });
});
