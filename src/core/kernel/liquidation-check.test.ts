import { describe, expect, it } from 'vitest';
import { FuturesAccount } from '../accounts/futures-account.js';
import type { Position } from '../accounts/position.js';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { Instrument, MarginTier } from '../instruments/instrument.js';
import type { Market } from '../matching/market.js';
import type { MatchingEngine } from '../matching/matching-engine.js';
import { parseFixed } from '../money/fixed.js';
import type { KernelEvent } from './events.js';
import { checkLiquidations, type RiskContext } from './futures-risk.js';

// The check runs on every mark move of a candle bar; most of them are answered from a range of
// marks proven safe before. These cases move the mark the way a bar does (a proof first, then on)
// and compare with the condition worked by hand: liquidated when wallet + uPnL ≤ |size|·mark·MMR − cum.

const d = parseFixed;
const BTC = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const tier = (floor: string, cap: string, rate: string, cum = '0'): MarginTier => ({
  notionalFloor: d(floor), notionalCap: d(cap), maxLeverage: 10, maintenanceMarginRate: d(rate), maintenanceAmount: d(cum),
});

function setup(marginTiers: readonly MarginTier[], size: string, cash: string) {
  const instrument: Instrument = { ...BTC, marginTiers };
  const market = { instrument, mark: undefined as bigint | undefined } as unknown as Market;
  const events: KernelEvent[] = [];
  const ctx: RiskContext = {
    now: 0,
    engine: { cancelAll: () => undefined } as unknown as MatchingEngine,
    emit: (event) => events.push(event),
    market: () => market,
    mark: () => market.mark,
    safeRanges: new WeakMap(),
  };
  const account = new FuturesAccount('a', 'USDT', 'cross', {}, 10);
  account.cash = d(cash);
  const position: Position = {
    id: 'p', symbol: 'BTCUSDT', size: d(size), entryPrice: d('60000'), leverage: 10, margin: d('6000'),
    realizedPnl: 0n, totalFundingPaid: 0n, feesPaid: 0n, openedAt: 0,
  };
  account.positions.set('BTCUSDT', position);
  /** Moves the mark; true when the position was liquidated there. */
  const markAt = (price: string): boolean => {
    market.mark = d(price);
    checkLiquidations(ctx, market, [account]);
    return events.some((e) => e.type === 'LIQUIDATION');
  };
  return { account, markAt };
}

const ONE_TIER = [tier('0', '1000000000', '0.005')];

describe('the liquidation check along a bar (cross, one position)', () => {
  it('a long proven safe higher up is still liquidated when the mark falls to 53,266.33 (wallet 7,000: (60,000 − 7,000) / 0.995 = 53,266.331…)', () => {
    // wallet = 1,000 cash + 6,000 margin; g(m) = 7,000 + (m − 60,000) − 0.005·m.
    const { markAt } = setup(ONE_TIER, '1', '1000');
    expect(markAt('61000')).toBe(false);
    expect(markAt('62000')).toBe(false);
    expect(markAt('53266.34')).toBe(false); // g = 0.0083
    expect(markAt('53266.33')).toBe(true); // g = −0.00165
  });

  it('a short proven safe lower down is still liquidated when the mark rises to 66,666.7 (wallet 7,000: (60,000 + 7,000) / 1.005 = 66,666.66…)', () => {
    // g(m) = 7,000 − (m − 60,000) − 0.005·m ≤ 0 from m = 66,666.666…
    const { markAt } = setup(ONE_TIER, '-1', '1000');
    expect(markAt('59000')).toBe(false);
    expect(markAt('58000')).toBe(false);
    expect(markAt('66666.6')).toBe(false); // g = 0.067
    expect(markAt('66666.7')).toBe(true); // g = −0.0335
  });

  it('a wallet that shrank since the proof is checked again at the same mark', () => {
    const { account, markAt } = setup(ONE_TIER, '1', '1000');
    expect(markAt('59400')).toBe(false); // g = 7,000 − 600 − 297 = 6,103
    account.cash -= d('6200'); // g = −97 at the same mark
    expect(markAt('59400')).toBe(true);
  });

  it('a long whose notional rises into a tier with a higher maintenance is checked there (notional 70,000: MM 35,000 > equity 17,000)', () => {
    // Tiers without the cumulative amount that makes MM continuous: a rise can put a long under.
    const { markAt } = setup([tier('0', '70000', '0.005'), tier('70000', '1000000000', '0.5')], '1', '1000');
    expect(markAt('61000')).toBe(false); // g = 7,000 + 1,000 − 305
    expect(markAt('69999.9')).toBe(false); // tier 1: g = 7,000 + 9,999.9 − 349.9995
    expect(markAt('70000')).toBe(true); // tier 2: 7,000 + 10,000 ≤ 35,000
  });

  it('a short whose notional falls into a tier with a higher maintenance is checked there (notional 49,999 at 0.4: MM 19,999.6 > equity 7,000 + 10,001)', () => {
    const { markAt } = setup([tier('0', '50000', '0.4'), tier('50000', '1000000000', '0.005')], '-1', '1000');
    expect(markAt('59000')).toBe(false); // tier 2: g = 7,000 + 1,000 − 295
    expect(markAt('50000')).toBe(false); // tier 2: g = 7,000 + 10,000 − 250
    expect(markAt('49999')).toBe(true); // tier 1: 7,000 + 10,001 ≤ 19,999.6
  });
});

describe('the liquidation check with proven ranges against the check without them (random walks)', () => {
  // The same account twice, one checked with the proofs kept across marks, one with none (a fresh
  // map each time: every mark gets the full check, the rule as it was). Tiers with and without the
  // cumulative amount that makes the maintenance continuous, long and short, cross and isolated,
  // the wallet moved between marks: the two must liquidate at the same mark with the same events.
  const RUNS = Number(process.env.LIQUIDATION_RUNS ?? 3_000);
  const STEPS = 60;

  function rng(seed: number): () => number {
    let x = seed >>> 0 || 1;
    return () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 2 ** 32;
    };
  }

  function twin(tiers: readonly MarginTier[], mode: 'cross' | 'isolated', size: bigint, entry: bigint, margin: bigint, cash: bigint, cached: boolean) {
    const instrument: Instrument = { ...BTC, marginTiers: tiers };
    const market = { instrument, mark: undefined as bigint | undefined } as unknown as Market;
    const events: KernelEvent[] = [];
    let ranges = new WeakMap();
    const ctx = {
      now: 0,
      engine: { cancelAll: () => undefined } as unknown as MatchingEngine,
      emit: (event: KernelEvent) => events.push(event),
      market: () => market,
      mark: () => market.mark,
      get safeRanges() {
        if (!cached) ranges = new WeakMap();
        return ranges;
      },
    } satisfies RiskContext;
    const account = new FuturesAccount('a', 'USDT', mode, {}, 10);
    account.cash = cash;
    account.positions.set('BTCUSDT', { id: 'p', symbol: 'BTCUSDT', size, entryPrice: entry, leverage: 10, margin, realizedPnl: 0n, totalFundingPaid: 0n, feesPaid: 0n, openedAt: 0 });
    return {
      events,
      account,
      at(mark: bigint) {
        market.mark = mark;
        checkLiquidations(ctx, market, [account]);
      },
    };
  }

  it(`${RUNS.toLocaleString('en')} walks of ${STEPS} marks liquidate at the same mark, with the same events`, () => {
    let liquidated = 0;
    for (let run = 0; run < RUNS; run += 1) {
      const r = rng(run + 1);
      const units = (lo: number, hi: number) => BigInt(Math.floor(lo + r() * (hi - lo)));
      const scale = 10n ** 18n;
      // Two or three tiers, caps in USDT, rates up to 50 %, the cumulative amount continuous or not.
      const caps = [units(20_000, 80_000), units(80_000, 200_000)].sort((a, b) => (a < b ? -1 : 1));
      const rates = [units(1, 900), units(1, 200), units(1, 500)].map((x) => (x * scale) / 1000n);
      const continuous = r() < 0.5;
      const tiers: MarginTier[] = [];
      let floor = 0n;
      let cum = 0n;
      for (let t = 0; t < 3; t += 1) {
        const cap = t < 2 ? caps[t]! * scale : 10n ** 9n * scale;
        if (t > 0 && continuous) cum += (floor * (rates[t]! - rates[t - 1]!)) / scale;
        tiers.push({ notionalFloor: floor, notionalCap: cap, maxLeverage: 10, maintenanceMarginRate: rates[t]!, maintenanceAmount: cum > 0n ? cum : 0n });
        floor = cap;
      }
      const long = r() < 0.5;
      const size = (units(1, 3_000) * scale) / 1000n * (long ? 1n : -1n); // 0.001 … 3 BTC
      const entry = units(20_000, 70_000) * scale + units(0, 10) * (scale / 10n);
      const margin = units(100, 20_000) * scale;
      const cash = units(0, 5_000) * scale + units(0, 100) * (scale / 100n);
      const mode = r() < 0.5 ? 'cross' : 'isolated';
      const kept = twin(tiers, mode, size, entry, margin, cash, true);
      const fresh = twin(tiers, mode, size, entry, margin, cash, false);
      let mark = entry;
      for (let step = 0; step < STEPS; step += 1) {
        // A bar's path: mostly small moves, now and then a jump; prices on a 0.1 tick.
        const jump = r() < 0.1 ? 8_000 : 600;
        mark += BigInt(Math.round((r() - 0.5) * jump * 10)) * (scale / 10n);
        if (mark <= scale) mark = scale;
        if (r() < 0.1) {
          const delta = units(-500, 500) * scale;
          kept.account.cash += delta;
          fresh.account.cash += delta;
        }
        kept.at(mark);
        fresh.at(mark);
        expect(kept.events, `run ${run}, step ${step}, mark ${mark}`).toEqual(fresh.events);
      }
      if (fresh.events.some((e) => e.type === 'LIQUIDATION')) liquidated += 1;
    }
    // The walks reach liquidation often enough for the comparison to mean something.
    expect(liquidated).toBeGreaterThan(RUNS / 10);
  });
});
