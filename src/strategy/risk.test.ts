import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OrderNewEvent } from '../core/kernel/events.js';
import { BUNDLED_INSTRUMENTS } from '../core/instruments/bundled-instruments.js';
import { parseFixed } from '../core/money/fixed.js';
import { PaperTradingEngine } from '../library/paper-trading-engine.js';
import type { PaperTradingEvent } from '../library/engine-events.js';
import { candlesFile } from '../test-kit/data-paths.js';
import { readCandlesFile } from './candles.js';
import { sizeFromStop } from './risk.js';

const P = (s: string) => parseFixed(s);
const E18 = 10n ** 18n;
const CANDLES = readCandlesFile(candlesFile('coinbase_btcusd_1m_20180404_20180406.csv'));

/** Independent: integer arithmetic at 18 decimals, every step rounded down. */
function expectedSize(equity: bigint, riskPct: bigint, entry: bigint, stop: bigint, step: bigint): bigint {
  const risk = (equity * riskPct) / E18 / 100n;
  const qty = (risk * E18) / (entry > stop ? entry - stop : stop - entry);
  return (qty / step) * step;
}

describe('risk: size from the stop distance', () => {
  it('is exact in fixed point', () => {
    expect(sizeFromStop({ equity: P('10000'), riskPercent: P('1'), entry: P('50000'), stop: P('49500'), stepSize: P('0.001'), leverage: 2 }).quantity).toBe(P('0.2'));
    const input = { equity: P('12345.678901'), riskPercent: P('0.75'), entry: P('6827.82'), stop: P('6745.7'), stepSize: P('0.001'), leverage: 5 };
    const sized = sizeFromStop(input);
    expect(sized.quantity).toBe(expectedSize(input.equity, input.riskPercent, input.entry, input.stop, input.stepSize));
    expect(sized.quantity).toBe(P('1.127'));
    expect(sized.riskAmount).toBe(P('92.5925917575'));
    expect(sized.capped).toBe(false);
  });

  it('is capped by what the margin affords', () => {
    const sized = sizeFromStop({ equity: P('10000'), riskPercent: P('5'), entry: P('50000'), stop: P('49900'), stepSize: P('0.001'), leverage: 1 });
    expect(sized.riskQuantity).toBe(P('5'));
    expect(sized.quantity).toBe(P('0.196')); // 10000 × 0.98 / 50000
    expect(sized.capped).toBe(true);
  });

  it('sizes every entry on real prices from the stop distance, exactly', () => {
    for (const candle of CANDLES.filter((_, i) => i % 97 === 0)) {
      const engine = new PaperTradingEngine();
      const placed: OrderNewEvent[] = [];
      engine.subscribe((e) => e.type === 'ORDER_NEW' && placed.push(e));
      engine.advanceTo(candle.openTime);
      engine.createAccount({ id: 'r', initialBalance: '25000', maxRiskPerTrade: '0.8', leverage: 3, tacticsSets: [{ stopLoss: { type: 'percent', percent: 1.7 } }] });
      engine.updatePrices({ BTCUSDT: candle.close }, candle.openTime);
      expect(engine.openPosition('r', { symbol: 'BTCUSDT', side: 'LONG' }).ok).toBe(true);
      const entry = P(candle.close);
      const stop = ((entry * (E18 - (P('1.7') * E18) / (100n * E18))) / E18 / P('0.1')) * P('0.1');
      expect(P(placed[0]!.quantity)).toBe(expectedSize(P('25000'), P('0.8'), entry, stop, P('0.001')));
      expect(placed[1]!.stopPrice).toBeDefined();
      expect(P(placed[1]!.stopPrice!)).toBe(stop);
    }
  });
});

/**
 * Independent model of the ladder's size: exact rationals over a common denominator, no rounding
 * until the entry's quantity is floored to the step (risk.ts rounds its weights up instead).
 */
function ladderOracle(o: { equity: bigint; riskPct: bigint; entry: bigint; stop: bigint; step: bigint; leverage: number; prices: bigint[]; m: bigint; fee?: bigint }) {
  const long = o.entry > o.stop;
  const n = o.prices.length;
  const D = E18 ** BigInt(n);
  let wNum = (long ? o.entry - o.stop : o.stop - o.entry) * D;
  let vNum = o.entry * D;
  o.prices.forEach((p, k) => {
    const i = BigInt(k + 1);
    const scale = o.m ** i * E18 ** (BigInt(n) - i); // m^i / E18^i, over D
    const d = long ? p - o.stop : o.stop - p;
    if (d > 0n) wNum += scale * d;
    vNum += scale * p;
  });
  const budget = (o.equity * o.riskPct) / E18 / 100n;
  // Margin (notional / L) plus the fee reserved on the notional (notional × fee) within 98 % of the equity.
  const affordable = (((o.equity * BigInt(o.leverage) * (E18 - (2n * E18) / 100n)) / E18) * E18) / (E18 + (o.fee ?? 0n) * BigInt(o.leverage));
  const floorStep = (q: bigint) => (q / o.step) * o.step;
  const byRisk = floorStep((budget * E18 * D) / wNum);
  const byCap = floorStep((affordable * E18 * D) / vNum);
  return { budget, affordable, quantity: byRisk < byCap ? byRisk : byCap };
}

describe('risk: a DCA ladder sized as one trade', () => {
  // Long at 100, stop 98: the entry risks 2 a unit, DCA 1 (1.5×) at 99.5 risks 1.5, DCA 2 (2.25×) at 99 risks 1.
  const ladder = { equity: P('10000'), riskPercent: P('1'), entry: P('100'), stop: P('98'), stepSize: P('0.001'), leverage: 10, dca: { prices: [P('99.5'), P('99')], sizeMultiplier: P('1.5') } };

  it('spends the risk budget on the whole ladder: 100 / (2 + 1.5 × 1.5 + 2.25 × 1) = 15.384 after the step', () => {
    const sized = sizeFromStop(ladder);
    expect(sized.quantity).toBe(P('15.384'));
    expect(sized.dcaQuantities).toEqual([P('23.076'), P('34.614')]); // 15.384 × 1.5, then × 1.5, each rounded down
    expect(sized.riskAmount).toBe(P('100'));
    expect(sized.capped).toBe(false);
    // Every order filled, then the stop: 15.384 × 2 + 23.076 × 1.5 + 34.614 × 1 = 99.996.
    expect(sized.quantity * 2n + (sized.dcaQuantities[0]! * 3n) / 2n + sized.dcaQuantities[1]!).toBe(P('99.996'));
  });

  it('mirrors for a short, and counts no risk for a level past the stop', () => {
    const short = sizeFromStop({ ...ladder, entry: P('100'), stop: P('102'), dca: { prices: [P('100.5'), P('101')], sizeMultiplier: P('1.5') } });
    expect(short.quantity).toBe(P('15.384'));
    // Stop at 99.2: DCA 2 at 99 cannot fill before it; 100 / (0.8 + 1.5 × 0.3) = 80 exactly.
    const past = sizeFromStop({ ...ladder, stop: P('99.2') });
    expect(past.quantity).toBe(P('80'));
    expect(past.dcaQuantities).toEqual([P('120'), P('180')]);
  });

  it('caps the ladder resting at once by the margin: 10000 × 0.98 / (100 + 1.5 × 99.5 + 2.25 × 99) = 20.762', () => {
    const sized = sizeFromStop({ ...ladder, riskPercent: P('5'), leverage: 1 });
    expect(sized.riskQuantity).toBe(P('76.923'));
    expect(sized.quantity).toBe(P('20.762'));
    expect(sized.capped).toBe(true);
    const notional = (sized.quantity * P('100') + sized.dcaQuantities[0]! * P('99.5') + sized.dcaQuantities[1]! * P('99')) / E18;
    expect(notional).toBe(P('9799.6145'));
  });

  it("keeps the whole ladder within the largest market order: 120 / (1 + 1.5 + 2.25) = 25.263, a position of 119.998", () => {
    // 1,000,000 risking 1 %: 10,000 / (2 + 1.5 × 1.5 + 2.25 × 1) = 1,538.461 (the margin cap, 9,800,000 / 472, is far above).
    // Within 120: the entry 25.263, its DCA orders 25.263 × 1.5 = 37.8945 → 37.894 and 37.894 × 1.5 = 56.841, a position
    // of 25.263 + 37.894 + 56.841 = 119.998 ≤ 120; one step more, 25.264, makes 37.896 and 56.844: 120.004 > 120.
    const sized = sizeFromStop({ ...ladder, equity: P('1000000'), maxPosition: P('120') });
    expect(sized.fundedQuantity).toBe(P('1538.461'));
    expect(sized.quantity).toBe(P('25.263'));
    expect(sized.dcaQuantities).toEqual([P('37.894'), P('56.841')]);
    expect(sized.positionCapped).toBe(true);
    // Below the cap it changes nothing: 15.384 + 23.076 + 34.614 = 73.074 ≤ 120.
    const small = sizeFromStop({ ...ladder, maxPosition: P('120') });
    expect(small.quantity).toBe(P('15.384'));
    expect(small.positionCapped).toBe(false);
  });

  it('counts within the largest market order only the DCA orders that can fill before the stop: one past it changes nothing', () => {
    // Stop at 99.2: DCA 2 at 99 is past it (the stop closes the position first). 1,000,000 risking 1 %:
    // 10,000 / (0.8 + 1.5 × 0.3) = 8,000 with or without it (no risk past the stop); the margin cap, 9,800,000 / 472 or
    // / 249.25, is above. Within 120, the position is the entry and DCA 1: 120 / (1 + 1.5) = 48, DCA 1 48 × 1.5 = 72,
    // a position of 120 ≤ 120 (48.001 makes 48.001 + 72.001 = 120.002). Counting DCA 2 would give 120 / 4.75 → 25.263.
    const past = sizeFromStop({ ...ladder, stop: P('99.2'), equity: P('1000000'), maxPosition: P('120') });
    const without = sizeFromStop({ ...ladder, stop: P('99.2'), equity: P('1000000'), maxPosition: P('120'), dca: { prices: [P('99.5')], sizeMultiplier: P('1.5') } });
    expect(without.fundedQuantity).toBe(P('8000'));
    expect(without.quantity).toBe(P('48'));
    expect(past.fundedQuantity).toBe(P('8000'));
    expect(past.quantity).toBe(P('48'));
    expect(past.positionCapped).toBe(true);
    // DCA 2 still rests (48 × 2.25 = 108) until the stop's plan cancels it; the position before the stop is 48 + 72.
    expect(past.dcaQuantities).toEqual([P('72'), P('108')]);
    expect(past.position).toBe(P('120'));
    expect(without.position).toBe(P('120'));
  });

  it('takes the steps the rounded-down DCA quantities leave within the largest market order, and 0 when none fits', () => {
    // Step 1, one DCA order at 1.5×, at most 7: 7 / 2.5 = 2.8 → 2 (a position of 2 + 3 = 5), but 3 fits: 3 + floor(4.5) = 7;
    // 4 does not: 4 + 6 = 10.
    const steps = sizeFromStop({ ...ladder, stepSize: P('1'), dca: { prices: [P('99.5')], sizeMultiplier: P('1.5') }, maxPosition: P('7') });
    expect(steps.quantity).toBe(P('3'));
    expect(steps.dcaQuantities).toEqual([P('4')]);
    // At most 0.002 for 4.75 units of the entry: 0.0004 rounds down to 0.
    expect(sizeFromStop({ ...ladder, maxPosition: P('0.002') }).quantity).toBe(0n);
  });

  it('never risks more than the budget nor rests more than the cap, and stays within a step of the exact size (5,000 random ladders)', () => {
    const decimal = (min: number, max: number, places: number) => fc.integer({ min: Math.round(min * 10 ** places), max: Math.round(max * 10 ** places) }).map((v) => BigInt(v) * 10n ** BigInt(18 - places));
    fc.assert(
      fc.property(
        fc.record({
          equity: decimal(100, 1_000_000, 2), riskPct: decimal(0.1, 5, 2), entry: decimal(1, 100_000, 2), stopPct: fc.integer({ min: 1, max: 1_000 }),
          long: fc.boolean(), step: fc.constantFrom(P('0.00001'), P('0.001'), P('0.01'), P('1')), leverage: fc.integer({ min: 1, max: 125 }), fee: fc.constantFrom(0n, P('0.0002'), P('0.0005'), P('0.001')),
          m: fc.constantFrom(P('1'), P('1.25'), P('1.333'), P('1.5'), P('2')), dcaSteps: fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 4 }),
        }),
        (r) => {
          const tick = P('0.01');
          const away = (bp: number, against: boolean) => {
            const shifted = (r.entry * BigInt(10_000 + (against === r.long ? -bp : bp))) / 10_000n;
            return (shifted / tick) * tick;
          };
          const stop = away(r.stopPct, true);
          if (stop <= 0n || stop === r.entry) return;
          let total = 0;
          const prices = r.dcaSteps.map((bp) => away((total += bp), true)).filter((p) => p > 0n);
          const sized = sizeFromStop({ equity: r.equity, riskPercent: r.riskPct, entry: r.entry, stop, stepSize: r.step, leverage: r.leverage, feeRate: r.fee, ...(prices.length > 0 ? { dca: { prices, sizeMultiplier: r.m } } : {}) });
          const oracle = ladderOracle({ equity: r.equity, riskPct: r.riskPct, entry: r.entry, stop, step: r.step, leverage: r.leverage, prices, m: r.m, fee: r.fee });
          const quantities = [sized.quantity, ...sized.dcaQuantities];
          const levels = [r.entry, ...prices];
          let loss = 0n;
          let notional = 0n;
          levels.forEach((p, i) => {
            const d = r.long ? p - stop : stop - p;
            if (d > 0n) loss += quantities[i]! * d;
            notional += quantities[i]! * p;
          });
          expect(loss).toBeLessThanOrEqual(oracle.budget * E18);
          expect(notional).toBeLessThanOrEqual(oracle.affordable * E18);
          expect(sized.quantity).toBeLessThanOrEqual(oracle.quantity);
          expect(sized.quantity).toBeGreaterThanOrEqual(oracle.quantity - r.step);
          expect(sized.dcaQuantities).toHaveLength(prices.length);
        },
      ),
      { numRuns: 5_000, seed: 19 },
    );
  });
});

describe('risk: the trade manager places the ladder it sized', () => {
  it('on real candles at 5× leverage: every DCA order rests (none refused for margin), and no trade can lose more than 1 % of the equity it was sized on', () => {
    const tactics = {
      name: 'full', entry: { type: 'limit', offsetPercent: 0.05, validBars: 2 }, dca: { count: 2, stepPercent: 0.5, sizeMultiplier: 1.5 },
      stopLoss: { type: 'atr', multiple: 2, period: 14 }, takeProfits: [{ percent: 0.5, share: 0.5 }, { percent: 1, share: 0.25 }], breakEvenAfterFirstTarget: true,
    };
    const engine = new PaperTradingEngine({ barInputs: true });
    engine.advanceTo(CANDLES[0]!.openTime);
    engine.createAccount({ id: 'd', strategyId: 'rsi-reversal', autoTrading: true, tacticsSets: [tactics], leverage: 5, maxRiskPerTrade: 1 });
    engine.start('d');
    type Plan = { long: boolean; equity: bigint; levels: [bigint, bigint][]; stop?: bigint };
    const plans = new Map<string, Plan>();
    const refused: string[] = [];
    engine.subscribe((e) => {
      if (e.type === 'ORDER_REJECTED') refused.push(`${e.clientOrderId} ${e.code}`);
      if (e.type !== 'ORDER_NEW') return;
      const [account, symbol, seq, role] = e.clientOrderId.split(':');
      const id = `${account}:${symbol}:${seq}`;
      if (role === 'entry') plans.set(id, { long: e.side === 'BUY', equity: engine.kernel.equity('d')!, levels: [[P(e.price!), P(e.quantity)]] });
      else if (role?.startsWith('dca')) plans.get(id)!.levels.push([P(e.price!), P(e.quantity)]);
      else if (role === 'stop' && plans.get(id)!.stop === undefined) plans.get(id)!.stop = P(e.stopPrice!);
    });
    engine.processCandles('d', 'BTCUSDT', CANDLES);
    expect(refused.filter((r) => r.includes(':dca'))).toEqual([]);
    const stopped = [...plans.values()].filter((p) => p.stop !== undefined);
    expect(stopped.length).toBeGreaterThan(20);
    expect(stopped.filter((p) => p.levels.length === 3).length).toBe(stopped.length);
    for (const plan of stopped) {
      // Every order of the ladder filled, then the stop: Σ quantity × distance to the stop, on the entry's side of it.
      let loss = 0n;
      for (const [price, quantity] of plan.levels) {
        const d = plan.long ? price - plan.stop! : plan.stop! - price;
        if (d > 0n) loss += (quantity * d) / E18;
      }
      expect(loss).toBeLessThanOrEqual((plan.equity * P('1')) / E18 / 100n);
      // The entry is the largest the budget and the margin allow, within the step of rounding (ladderOracle above).
      const [[entry, quantity], ...dca] = plan.levels as [[bigint, bigint], ...[bigint, bigint][]];
      const oracle = ladderOracle({ equity: plan.equity, riskPct: P('1'), entry, stop: plan.stop!, step: P('0.001'), leverage: 5, prices: dca.map(([p]) => p), m: P('1.5'), fee: P('0.0005') });
      expect(quantity).toBeLessThanOrEqual(oracle.quantity);
      expect(quantity).toBeGreaterThanOrEqual(oracle.quantity - P('0.001'));
    }
  });
});

describe('risk: the ladder fits the margin and the fee the kernel reserves', () => {
  // Long at 60000, stop 0.5 % (59700), three DCA orders 0.05 % apart (59970, 59940, 59910), × 1, at 50×:
  // the budget (50 % of 10000 over 300 + 270 + 240 + 210 a unit) allows 4.9, the margin less.
  // Each resting order reserves notional / 50 + notional × 0.0005 (BTCUSDT's taker rate, its worst):
  // Σ notional ≤ 10000 × 50 × 0.98 / (1 + 0.0005 × 50) = 478048.78…, over 239820 a unit = 1.993 after the step.
  const tactics = { stopLoss: { type: 'percent', percent: 0.5 }, dca: { count: 3, stepPercent: 0.05, sizeMultiplier: 1 } };

  it('sizes the cap for margin plus fee reserve', () => {
    const sized = sizeFromStop({
      equity: P('10000'), riskPercent: P('50'), entry: P('60000'), stop: P('59700'), stepSize: P('0.001'), leverage: 50, feeRate: P('0.0005'),
      dca: { prices: [P('59970'), P('59940'), P('59910')], sizeMultiplier: P('1') },
    });
    expect(sized.riskQuantity).toBe(P('4.901'));
    expect(sized.quantity).toBe(P('1.993'));
    expect(sized.capped).toBe(true);
  });

  it('at 50× every order of a margin-capped ladder rests: none is refused for margin', () => {
    const engine = new PaperTradingEngine();
    const events: PaperTradingEvent[] = [];
    engine.subscribe((e) => events.push(e));
    engine.createAccount({ id: 'f', initialBalance: '10000', leverage: 50, maxRiskPerTrade: 50, tacticsSets: [tactics] });
    engine.updatePrices({ BTCUSDT: '60000' }, 1_700_000_000_000);
    expect(engine.openPosition('f', { symbol: 'BTCUSDT', side: 'LONG' }).ok).toBe(true);
    expect(events.filter((e) => e.type === 'ORDER_REJECTED')).toEqual([]);
    const placed = events.filter((e): e is OrderNewEvent => e.type === 'ORDER_NEW' && e.orderType === 'LIMIT');
    expect(placed.map((e) => [e.price, e.quantity])).toEqual([['59970', '1.993'], ['59940', '1.993'], ['59910', '1.993']]);
    engine.kernel.checkInvariants();
  });

  it('keeps the ladder within the leverage bracket the kernel checks with the resting orders counted', () => {
    // 1000 at 125×: the margin would allow 1000 × 125 × 0.98 / (1 + 0.0005 × 125) / 239820 = 0.480, but 125× holds below 50000 of
    // notional (BTCUSDT's first bracket), entry and DCA orders together: 50000 × 0.98 / 239820 = 0.2043… → 0.204.
    const engine = new PaperTradingEngine();
    const events: PaperTradingEvent[] = [];
    engine.subscribe((e) => events.push(e));
    engine.createAccount({ id: 'k', initialBalance: '1000', leverage: 125, maxRiskPerTrade: 50, tacticsSets: [tactics] });
    engine.updatePrices({ BTCUSDT: '60000' }, 1_700_000_000_000);
    expect(engine.openPosition('k', { symbol: 'BTCUSDT', side: 'LONG' }).ok).toBe(true);
    expect(events.filter((e) => e.type === 'ORDER_REJECTED')).toEqual([]);
    const placed = events.filter((e): e is OrderNewEvent => e.type === 'ORDER_NEW' && e.orderType !== 'STOP_LOSS');
    expect(placed.map((e) => [e.price, e.quantity])).toEqual([[undefined, '0.204'], ['59970', '0.204'], ['59940', '0.204'], ['59910', '0.204']]);
    engine.kernel.checkInvariants();
  });

  it('caps a second position’s ladder by what the first leaves available, not by the equity', () => {
    const engine = new PaperTradingEngine();
    const events: PaperTradingEvent[] = [];
    engine.createAccount({ id: 's', initialBalance: '10000', leverage: 5, maxRiskPerTrade: 20, maxOpenPositions: 2, tacticsSets: [tactics] });
    engine.updatePrices({ BTCUSDT: '60000', ETHUSDT: '3000' }, 1_700_000_000_000);
    // 0.5 BTC at 60000, 5×: margin 6000 and the taker fee 15 leave 3985 of cash (the equity is 9985).
    expect(engine.openPosition('s', { symbol: 'BTCUSDT', side: 'LONG', quantity: '0.5', tactics: { stopLoss: { type: 'percent', percent: 10 } } }).ok).toBe(true);
    engine.subscribe((e) => events.push(e));
    expect(engine.openPosition('s', { symbol: 'ETHUSDT', side: 'LONG' }).ok).toBe(true);
    // ETH at 3000, its ladder 2998.5, 2997, 2995.5 (Σ 11991 a unit): 3985 × 5 × 0.98 / 1.0025 / 11991 = 1.6243… → 1.624
    // (the budget, 1997 over 15 + 13.5 + 12 + 10.5 = 51 a unit, would allow 39.156; the equity's cap 4.07).
    expect(events.filter((e) => e.type === 'ORDER_REJECTED')).toEqual([]);
    const placed = events.filter((e): e is OrderNewEvent => e.type === 'ORDER_NEW' && e.orderType !== 'STOP_LOSS');
    expect(placed.map((e) => [e.orderType, e.price, e.quantity])).toEqual([['MARKET', undefined, '1.624'], ['LIMIT', '2998.5', '1.624'], ['LIMIT', '2997', '1.624'], ['LIMIT', '2995.5', '1.624']]);
    engine.kernel.checkInvariants();
  });
});

describe('risk: ladders that run out of prices or of size', () => {
  function open(tactics: object) {
    const engine = new PaperTradingEngine();
    const events: PaperTradingEvent[] = [];
    engine.createAccount({ id: 'x', initialBalance: '10000', leverage: 5, maxRiskPerTrade: 50, tacticsSets: [tactics] });
    engine.updatePrices({ BTCUSDT: '60000' }, 1_700_000_000_000);
    engine.subscribe((e) => events.push(e));
    const outcome = engine.openPosition('x', { symbol: 'BTCUSDT', side: 'LONG' });
    return { outcome, events, engine };
  }

  it('a long ladder ends where its prices reach zero instead of turning the size negative', () => {
    // An instrument without a price band or minimum price, so that only zero ends the ladder.
    const { priceBand: _band, minPrice: _min, ...bare } = BUNDLED_INSTRUMENTS.find((i) => i.exchange === 'binance' && i.market === 'perpetual' && i.symbol === 'BTCUSDT')!;
    const engine = new PaperTradingEngine({ instruments: [bare] });
    const events: PaperTradingEvent[] = [];
    engine.createAccount({ id: 'z', initialBalance: '10000', leverage: 5, maxRiskPerTrade: 50, tacticsSets: [{ stopLoss: { type: 'percent', percent: 50 }, dca: { count: 5, stepPercent: 30, sizeMultiplier: 2 } }] });
    engine.updatePrices({ BTCUSDT: '60000' }, 1_700_000_000_000);
    engine.subscribe((e) => events.push(e));
    // 60000 less 30 % a level: 42000, 24000, 6000, then −12000 and below (no order can rest there).
    // Stop at 30000; at risk 50 % of 10000 = 5000: 30000 + 2 × 12000 (24000 and 6000 are past the stop) = 54000 a unit → 0.092.
    expect(engine.openPosition('z', { symbol: 'BTCUSDT', side: 'LONG' }).ok).toBe(true);
    expect(events.filter((e) => e.type === 'ORDER_REJECTED')).toEqual([]);
    const placed = events.filter((e): e is OrderNewEvent => e.type === 'ORDER_NEW' && e.orderType !== 'STOP_LOSS');
    expect(placed.map((e) => [e.price, e.quantity])).toEqual([[undefined, '0.092'], ['42000', '0.184'], ['24000', '0.368'], ['6000', '0.736']]);
    expect(() => sizeFromStop({ equity: P('10000'), riskPercent: P('1'), entry: P('100'), stop: P('50'), stepSize: P('0.001'), leverage: 1, dca: { prices: [P('40'), P('-20')], sizeMultiplier: P('1') } })).toThrow(RangeError);
    engine.kernel.checkInvariants();
  });

  it('a ladder ends at the instrument’s price band about the mark (PERCENT_PRICE, BUY ≥ 0.85 × the mark on BTCUSDT)', () => {
    // 60000 less 5 % a level: 57000, 54000, 51000 (0.85 × 60000 exactly: inside), 48000 (outside: not placed, not counted).
    // Stop at 45000; 5000 / (15000 + 12000 + 9000 + 6000) = 0.1190… → 0.119 (with 48000 counted it would be 0.111).
    const { outcome, events } = open({ stopLoss: { type: 'percent', percent: 25 }, dca: { count: 4, stepPercent: 5, sizeMultiplier: 1 } });
    expect(outcome.ok).toBe(true);
    expect(events.filter((e) => e.type === 'ORDER_REJECTED')).toEqual([]);
    const placed = events.filter((e): e is OrderNewEvent => e.type === 'ORDER_NEW' && e.orderType !== 'STOP_LOSS');
    expect(placed.map((e) => [e.price, e.quantity])).toEqual([[undefined, '0.119'], ['57000', '0.119'], ['54000', '0.119'], ['51000', '0.119']]);
  });

  it('a DCA order that a sizeMultiplier below 1 rounds below the minimum is not placed', () => {
    // Stop 2 % (58800), levels 59700, 59400, 59100 at 0.1×: 100 % … 50 % risk = 5000 / (1200 + 0.1 × 900 + 0.01 × 600 + 0.001 × 300)
    // = 3.857 → capped by 10000 × 5 × 0.98 / 1.0025 / (60000 + 5970 + 594 + 59.1) = 0.7336… → 0.733; DCA 0.0733 → 0.073, 0.0073 → 0.007, 0.0007 → 0 (< 0.001).
    const { outcome, events } = open({ stopLoss: { type: 'percent', percent: 2 }, dca: { count: 3, stepPercent: 0.5, sizeMultiplier: 0.1 } });
    expect(outcome.ok).toBe(true);
    expect(events.filter((e) => e.type === 'ORDER_REJECTED')).toEqual([]);
    const limits = events.filter((e): e is OrderNewEvent => e.type === 'ORDER_NEW' && e.orderType !== 'STOP_LOSS');
    expect(limits.map((e) => [e.price, e.quantity])).toEqual([[undefined, '0.733'], ['59700', '0.073'], ['59400', '0.007']]);
  });
});

describe('risk: a ladder longer than the instrument allows open orders', () => {
  it('ends where the plan’s stop, target and trailing stop still fit in MAX_NUM_ORDERS', () => {
    // BTCUSDT allows 200 open orders: the stop (in the market entry's place), a target and a trailing stop leave 197 DCA levels.
    const engine = new PaperTradingEngine();
    const events: PaperTradingEvent[] = [];
    engine.createAccount({ id: 'n', initialBalance: '1000000', leverage: 5, maxRiskPerTrade: 5, tacticsSets: [{
      stopLoss: { type: 'percent', percent: 10 }, dca: { count: 250, stepPercent: 0.01, sizeMultiplier: 1 },
      takeProfits: [{ percent: 5, share: 0.5 }], trailingStop: { activationPercent: 3, callbackPercent: 1 },
    }] });
    engine.updatePrices({ BTCUSDT: '60000' }, 1_700_000_000_000);
    engine.subscribe((e) => events.push(e));
    expect(engine.openPosition('n', { symbol: 'BTCUSDT', side: 'SHORT' }).ok).toBe(true);
    // Up through two levels (60006, 60012): each fill re-places the stop, the target and the trailing stop.
    engine.updatePrices({ BTCUSDT: '60013' }, 1_700_000_060_000);
    expect(events.filter((e) => e.type === 'ORDER_REJECTED')).toEqual([]);
    expect(events.filter((e) => e.type === 'ORDER_NEW' && e.clientOrderId.includes(':dca')).length).toBe(197);
    expect(events.filter((e) => e.type === 'FILL' && e.clientOrderId.includes(':dca')).length).toBe(2);
    engine.kernel.checkInvariants();
  });
});

describe('risk: a DCA fill and the stop sized before it', () => {
  it('bar inputs close what the book and prints close (ADR 0009): the path pauses at a DCA fill before it reaches the stop', () => {
    const tactics = { name: 'm', dca: { count: 4, stepPercent: 0.3, sizeMultiplier: 2 }, stopLoss: { type: 'percent', percent: 1.5 }, takeProfits: [{ percent: 1, share: 1 }] };
    const run = (barInputs: boolean) => {
      const engine = new PaperTradingEngine({ barInputs });
      engine.advanceTo(CANDLES[0]!.openTime);
      engine.createAccount({ id: 'b', strategyId: 'rsi-reversal', autoTrading: true, tacticsSets: [tactics], leverage: 5, maxRiskPerTrade: 1 });
      engine.start('b');
      const closed: string[] = [];
      engine.subscribe((e) => {
        if (e.type === 'POSITION_CLOSED') closed.push(`${e.at} ${e.realizedPnl}`);
      });
      engine.processCandles('b', 'BTCUSDT', CANDLES.slice(0, 3000));
      engine.kernel.checkInvariants();
      return closed;
    };
    const book = run(false);
    expect(book.length).toBeGreaterThan(40);
    expect(run(true)).toEqual(book);
  });

  it('a bar that opens past both the DCA bid and the stop: the stop re-sized then is refused as passed, and the position is closed at market', () => {
    // Long at market from 60000: stop 2 % under (58800), one DCA bid 1 % under (59400, × 1). Budget 100:
    // 100 / (1200 + 600) = 0.0555… → 0.055 for the entry and the bid.
    const tactics = { name: 'g', entry: { type: 'market' }, dca: { count: 1, stepPercent: 1, sizeMultiplier: 1 }, stopLoss: { type: 'percent', percent: 2 }, takeProfits: [] };
    const engine = new PaperTradingEngine({ barInputs: true });
    const events: PaperTradingEvent[] = [];
    engine.subscribe((e) => events.push(e));
    engine.createAccount({ id: 'g', initialBalance: '10000', leverage: 5, maxRiskPerTrade: 1, tacticsSets: [tactics] });
    engine.updatePrices({ BTCUSDT: '60000' }, 1_700_000_000_000);
    expect(engine.openPosition('g', { symbol: 'BTCUSDT', side: 'LONG' }).ok).toBe(true);
    const fillsBefore = events.filter((e) => e.type === 'FILL').length;
    // The next bar opens at 58000: the bid fills at its price, the old stop (0.055) fills at the open less the tick.
    engine.processCandles('g', 'BTCUSDT', [{ openTime: 1_700_000_040_000, open: '58000', high: '58100', low: '57900', close: '58050', volume: '1' }]);
    const fills = events.filter((e) => e.type === 'FILL').slice(fillsBefore).map((e) => e.type === 'FILL' && [e.clientOrderId.split(':')[3], e.side, e.price, e.quantity]);
    expect(fills).toEqual([
      ['dca1', 'BUY', '59400', '0.055'],
      ['stop', 'SELL', '57999.9', '0.055'],
      ['close', 'SELL', '57999.9', '0.055'], // the close at market, at the quote's bid
    ]);
    expect(events.filter((e) => e.type === 'ORDER_REJECTED').map((e) => e.type === 'ORDER_REJECTED' && e.code)).toEqual(['WOULD_TRIGGER_IMMEDIATELY']);
    const account = engine.kernel.account('g');
    expect(account?.kind === 'futures' && account.openPositions().length).toBe(0);
    engine.kernel.checkInvariants();
  });
});

describe('risk: limits', () => {
  it('max open positions refuses a second entry', () => {
    const engine = new PaperTradingEngine();
    const errors: PaperTradingEvent[] = [];
    engine.subscribe((e) => e.type === 'ERROR' && errors.push(e));
    engine.createAccount({ id: 'm', maxOpenPositions: 1, leverage: 5, tacticsSets: [{ stopLoss: { type: 'percent', percent: 2 } }] });
    engine.updatePrices({ BTCUSDT: '60000', ETHUSDT: '3000' }, 1_700_000_000_000);
    expect(engine.openPosition('m', { symbol: 'BTCUSDT', side: 'LONG' }).ok).toBe(true);
    const second = engine.openPosition('m', { symbol: 'ETHUSDT', side: 'SHORT' });
    expect(second.ok).toBe(false);
    expect(errors.some((e) => e.type === 'ERROR' && /max open positions/.test(e.message))).toBe(true);
  });

  it('per-symbol leverage is set on the account', () => {
    const engine = new PaperTradingEngine();
    engine.createAccount({ id: 'l', leverage: { BTCUSDT: 7, ETHUSDT: 3 } });
    const account = engine.kernel.account('l');
    expect(account?.kind === 'futures' && [account.leverageOf('BTCUSDT'), account.leverageOf('ETHUSDT')]).toEqual([7, 3]);
  });

  it('the drawdown halt emits MAX_DRAWDOWN_REACHED and stops new orders', () => {
    const engine = new PaperTradingEngine();
    const events: PaperTradingEvent[] = [];
    engine.subscribe((e) => events.push(e));
    engine.advanceTo(CANDLES[0]!.openTime);
    engine.createAccount({ id: 'd', strategyId: 'rsi-reversal', autoTrading: true, maxRiskPerTrade: 2, maxDrawdown: 3, leverage: 5,
      tacticsSets: [{ stopLoss: { type: 'percent', percent: 0.5 }, takeProfits: [{ percent: 2, share: 1 }] }] });
    engine.start('d');
    engine.processCandles('d', 'BTCUSDT', CANDLES);
    const halt = events.findIndex((e) => e.type === 'MAX_DRAWDOWN_REACHED');
    expect(halt).toBeGreaterThan(0);
    const after = events.slice(halt + 1);
    const newOrders = after.filter((e) => e.type === 'ORDER_NEW' && !e.clientOrderId.startsWith('halt-close'));
    expect(newOrders).toEqual([]);
    expect(after.filter((e) => e.type === 'SIGNAL_GENERATED').length).toBeGreaterThan(0);
    expect(after.some((e) => e.type === 'ERROR' && /halted/.test(e.message))).toBe(true);
    expect(engine.getAccount('d').halted).toBe(true);
    expect(engine.getAccount('d').positions).toEqual([]);
    engine.kernel.checkInvariants();
  });
});
