import { describe, expect, it } from 'vitest';
import { FuturesAccount } from '../accounts/futures-account.js';
import type { Position } from '../accounts/position.js';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { Instrument, MarginTier } from '../instruments/instrument.js';
import type { Market } from '../matching/market.js';
import type { MatchingEngine } from '../matching/matching-engine.js';
import { parseFixed, type Fixed } from '../money/fixed.js';
import { Rng } from '../../test-kit/mulberry32.js';
import type { KernelEvent } from './events.js';
import { checkLiquidations, type RiskContext } from './futures-risk.js';
import type { KernelInput } from './inputs.js';
import { Kernel } from './kernel.js';

// A mark in a range proven safe skips the check only while everything the check reads is as it was
// at the proof. Each case below changes one thing the proof must notice (the entry alone, the size
// alone, a second open position, a maintenance rate above 1, a margin of one unit) and compares
// with the condition worked by hand: liquidated when wallet + uPnL ≤ Σ |size|·mark·MMR − cum.

const d = parseFixed;
const BTC = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const ETH = findBundledInstrument('binance', 'perpetual', 'ETHUSDT')!;
const tier = (cap: string, rate: string): MarginTier => ({ notionalFloor: 0n, notionalCap: d(cap), maxLeverage: 10, maintenanceMarginRate: d(rate), maintenanceAmount: 0n });
const ONE_TIER = [tier('1000000000', '0.005')];

function position(symbol: string, size: Fixed, entry: Fixed, margin: Fixed): Position {
  return { id: symbol, symbol, size, entryPrice: entry, leverage: 10, margin, realizedPnl: 0n, totalFundingPaid: 0n, feesPaid: 0n, openedAt: 0 };
}

/** One account on BTCUSDT (with `tiers`) and ETHUSDT (its bundled tiers), each market with its own mark. */
function setup(mode: 'cross' | 'isolated', tiers: readonly MarginTier[], btc: Position, cash: Fixed) {
  const markets = new Map<string, Market>();
  for (const instrument of [{ ...BTC, marginTiers: tiers }, ETH] as Instrument[]) {
    markets.set(instrument.symbol, { instrument, mark: undefined } as unknown as Market);
  }
  const events: KernelEvent[] = [];
  const ctx: RiskContext = {
    now: 0,
    engine: { cancelAll: () => undefined } as unknown as MatchingEngine,
    safeRanges: new WeakMap(),
    emit: (event) => events.push(event),
    market: (symbol) => markets.get(symbol)!,
    mark: (symbol) => markets.get(symbol)!.mark,
  };
  const account = new FuturesAccount('a', 'USDT', mode, {}, 10);
  account.cash = cash;
  account.positions.set('BTCUSDT', btc);
  /** Moves the mark of `symbol`; true when the BTCUSDT position has been liquidated. */
  const markAt = (price: Fixed | string, symbol = 'BTCUSDT'): boolean => {
    const market = markets.get(symbol)!;
    (market as { mark: Fixed | undefined }).mark = typeof price === 'string' ? d(price) : price;
    checkLiquidations(ctx, market, [account]);
    return events.some((e) => e.type === 'LIQUIDATION' && e.symbol === 'BTCUSDT');
  };
  return { account, markAt };
}

describe('a range proven safe is given up when what the check reads has changed', () => {
  it('the entry alone moved (0.5 closed at the entry, 0.5 bought back at 76,000, no fees): liquidated at 61,000', () => {
    // Wallet 7,000 (1,000 cash + 6,000 margin) before and after: the close at the entry realizes 0.
    const btc = position('BTCUSDT', d('1'), d('60000'), d('6000'));
    const { markAt } = setup('cross', ONE_TIER, btc, d('1000'));
    expect(markAt('61000')).toBe(false); // 7,000 + 1,000 − 305 > 0
    btc.entryPrice = d('68000'); // (0.5 × 60,000 + 0.5 × 76,000) / 1
    expect(markAt('61000')).toBe(true); // 7,000 − 7,000 − 305 ≤ 0
  });

  it('the size alone moved (1 BTC more bought at the entry, no fees): liquidated at the mark proven before', () => {
    const btc = position('BTCUSDT', d('1'), d('60000'), d('3000'));
    const { account, markAt } = setup('cross', ONE_TIER, btc, d('4000'));
    expect(markAt('55000')).toBe(false); // 7,000 − 5,000 − 275 = 1,725
    btc.size = d('2');
    btc.margin += d('3000'); // out of cash: the wallet is 7,000 still
    account.cash -= d('3000');
    expect(markAt('55000')).toBe(true); // 7,000 − 10,000 − 550 ≤ 0
  });

  it('a second open position with a loss (its margin out of cash, the wallet unchanged): the next BTC mark in the proven range liquidates the account', () => {
    const btc = position('BTCUSDT', d('1'), d('60000'), d('6000'));
    const { account, markAt } = setup('cross', ONE_TIER, btc, d('1000'));
    expect(markAt('1000', 'ETHUSDT')).toBe(false); // no ETH position yet: nothing checked on ETH
    expect(markAt('55000')).toBe(false); // 1,725
    account.positions.set('ETHUSDT', position('ETHUSDT', d('1'), d('3000'), d('300')));
    account.cash -= d('300');
    // 7,000 − 5,000 − 2,000 = 0 ≤ 275 + 1,000 × 1 × 0.004 = 279
    expect(markAt('55000.1')).toBe(true);
  });

  it('a long whose maintenance rate is above 1 loses margin as the mark rises: liquidated at 80,000 (100,000 + (m − 60,000) − 1.5·m ≤ 0)', () => {
    const btc = position('BTCUSDT', d('1'), d('60000'), d('99000'));
    const { markAt } = setup('cross', [tier('1000000000', '1.5')], btc, d('1000'));
    expect(markAt('60000')).toBe(false); // 100,000 − 90,000 = 10,000
    expect(markAt('79999.9')).toBe(false); // 100,000 + 19,999.9 − 119,999.85 = 0.05
    expect(markAt('80000')).toBe(true); // 0
  });

  it('a long one unit above maintenance is checked again one rounding later (size 10⁻¹⁸, entry 2.5, rate 1: uPnL rounds to 8 at 10 and 10.5, the notional to 10 then 11)', () => {
    // Isolated margin 3 units: at 10, 3 + round(7.5) − 10 = 1 unit; at 10.5, 3 + 8 − round(10.5) = 0: under.
    const btc = position('BTCUSDT', 1n, d('2.5'), 3n);
    const { markAt } = setup('isolated', [tier('1000000000', '1')], btc, 0n);
    expect(markAt('10')).toBe(false);
    expect(markAt('10.5')).toBe(true);
  });
});

describe('a kernel with proven ranges against one without them (real inputs: fees, funding, partial closes, resets, imports, a second symbol)', () => {
  const SEEDS = Number(process.env.LIQUIDATION_KERNEL_SEEDS ?? 300);
  const text = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));

  it(`${SEEDS} random runs give the same events and the same final snapshot`, () => {
    let liquidations = 0;
    for (let seed = 1; seed <= SEEDS; seed += 1) {
      const r = new Rng(seed);
      const tierSets: (readonly MarginTier[])[] = [
        BTC.marginTiers!,
        [tier('1000000000000', '0.02')],
        [{ ...tier('2000', '0.01'), maxLeverage: 125 }, { notionalFloor: d('2000'), notionalCap: d('1000000000000'), maxLeverage: 125, maintenanceMarginRate: d('0.3'), maintenanceAmount: d('10') }],
        [{ ...tier('2000', '0.3'), maxLeverage: 125, maintenanceAmount: d('2') }, { notionalFloor: d('2000'), notionalCap: d('1000000000000'), maxLeverage: 125, maintenanceMarginRate: 0n, maintenanceAmount: 0n }],
      ];
      const config = { instruments: [{ ...BTC, marginTiers: r.pick(tierSets) }, ETH], latencyMs: 0, equityIntervalMs: 60_000 };
      const kept = new Kernel(config);
      const fresh = new Kernel(config);
      // The rule without the proofs: every mark gets the full check.
      Object.defineProperty((fresh as unknown as { risk: RiskContext }).risk, 'safeRanges', { get: () => new WeakMap() });
      const mode = r.chance(0.5) ? 'cross' : 'isolated';
      const accounts = r.chance(0.3) ? ['x', 'y'] : ['x'];
      const leverage = r.pick([5, 20, 50, 125]);
      let time = 1_723_161_600_000;
      const price = new Map([['BTCUSDT', r.int(55_000, 65_000)], ['ETHUSDT', r.int(2_700, 3_300)]]);
      const fmt = (symbol: string, p: number) => p.toFixed(symbol === 'BTCUSDT' ? 1 : 2);
      const inputs: KernelInput[] = [];
      for (const account of accounts) {
        inputs.push({ kind: 'account.open', time, account, type: 'futures', marginMode: account === 'x' ? mode : mode === 'cross' ? 'isolated' : 'cross', leverage, balances: { USDT: `${r.int(50, 5_000)}.${r.int(10, 99)}` }, fees: { maker: '0', taker: r.pick(['0', '0.0004']) } });
      }
      for (const [symbol, p] of price) inputs.push({ kind: 'bar', time, symbol, open: fmt(symbol, p), high: fmt(symbol, p), low: fmt(symbol, p), close: fmt(symbol, p), volume: '1', intervalMs: 60_000 });
      const step = (): KernelInput | undefined => {
        const symbol = r.chance(0.75) ? 'BTCUSDT' : 'ETHUSDT';
        const p = price.get(symbol)!;
        const account = r.pick(accounts);
        const quantity = symbol === 'BTCUSDT' ? (0.001 * r.int(1, 200)).toFixed(3) : (0.001 * r.int(10, 3_000)).toFixed(3);
        const roll = r.next();
        if (roll < 0.4) {
          time += 60_000;
          const move = p * (r.chance(0.1) ? 0.08 : 0.01);
          const close = Number(fmt(symbol, Math.max(p * 0.2, p + (r.next() - 0.5) * 2 * move)));
          price.set(symbol, close);
          const high = Math.max(p, close) + r.next() * move;
          const low = Math.max(0.1, Math.min(p, close) - r.next() * move);
          return { kind: 'bar', time, symbol, open: fmt(symbol, p), high: fmt(symbol, high), low: fmt(symbol, low), close: fmt(symbol, close), volume: '3', intervalMs: 60_000, ...(r.chance(0.2) ? { pauseOnFill: true } : {}) };
        }
        if (roll < 0.5) return { kind: 'mark', time, symbol, price: fmt(symbol, p * (1 + (r.next() - 0.5) * 0.02)) };
        if (roll < 0.6) return { kind: 'funding', time, symbol, rate: r.pick(['0.0001', '-0.0003', '0.01', '-0.02']) };
        if (roll < 0.8) return { kind: 'order.place', time, account, symbol, side: r.chance(0.5) ? 'BUY' : 'SELL', type: 'MARKET', quantity, ...(r.chance(0.2) ? { reduceOnly: true } : {}) };
        if (roll < 0.9) {
          const side = r.chance(0.5) ? 'BUY' : 'SELL';
          return { kind: 'order.place', time, account, symbol, side, type: 'LIMIT', quantity, price: fmt(symbol, p * (side === 'BUY' ? 1 - r.next() * 0.03 : 1 + r.next() * 0.03)) };
        }
        if (roll < 0.93) return { kind: 'leverage.set', time, account, symbol, leverage: r.pick([1, 10, 50, 125]) };
        if (roll < 0.95) return { kind: 'account.reset', time, account };
        if (roll < 0.97) {
          const document = kept.exportAccount(account);
          return document === undefined ? undefined : { kind: 'account.import', time, account, document };
        }
        return { kind: 'clock', time: (time += r.int(1, 3) * 3_600_000) };
      };
      for (let i = 0; i < 200; i += 1) {
        const input = inputs.shift() ?? step();
        if (input === undefined) continue;
        const a = kept.handle(input);
        const b = fresh.handle(input);
        expect(text(a), `seed ${seed}, input ${i}: ${text(input)}`).toBe(text(b));
        liquidations += a.filter((e) => e.type === 'LIQUIDATION').length;
      }
      expect(kept.snapshot()).toBe(fresh.snapshot());
    }
    // The runs reach liquidation often enough for the comparison to mean something.
    expect(liquidations).toBeGreaterThan(SEEDS / 2);
  });
});
