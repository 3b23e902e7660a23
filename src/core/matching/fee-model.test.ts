import { describe, expect, it } from 'vitest';
import { formatFixed, parseFixed, type Fixed } from '../money/fixed.js';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { feeReserve, fillFee, NO_FEES_YET, spotFeeBasis, type OrderFees } from './fee-model.js';
import type { FillEvent, KernelEvent } from '../kernel/events.js';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { mulberry32 } from '../../test-kit/mulberry32.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';

const d = parseFixed;
const MEXC_BTC = findBundledInstrument('mexc', 'spot', 'BTCUSDT')!;
const BINANCE_BTC = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;

/** Charges fills one after another as an order would, returning each fill's fee. */
function charge(fills: readonly (readonly [amount: string, rate: string])[], decimals: number): string[] {
  let state: OrderFees = NO_FEES_YET;
  return fills.map(([amount, rate]) => {
    const fill = fillFee(state, d(amount), d(rate), decimals);
    state = fill;
    return formatFixed(fill.fee);
  });
}

/** The hand formula, written apart from the model: ceil to cents of Σ notional × rate. */
function ceilCents(fills: readonly (readonly [notional: Fixed, rate: Fixed])[]): Fixed {
  const exact = fills.reduce((sum, [notional, rate]) => sum + notional * rate, 0n); // scale 10^36
  const cent = 10n ** 34n;
  return ((exact + cent - 1n) / cent) * 10n ** 16n;
}

describe('the fee model: one rounding per order', () => {
  it('three fills of 10.01 USDT at 0.05 % are charged 0.01, 0.01, 0 (ceil of 0.015015 is 0.02), not 0.01 each', () => {
    expect(charge([['10.01', '0.0005'], ['10.01', '0.0005'], ['10.01', '0.0005']], 2)).toEqual(['0.01', '0.01', '0']);
  });

  it('a rebate lowers the cumulative fee: 100 USDT taker at 0.05 % then 100 USDT maker at −0.01 % is 0.05 then −0.01', () => {
    expect(charge([['100', '0.0005'], ['100', '-0.0001']], 2)).toEqual(['0.05', '-0.01']);
  });

  it('on Binance a buy pays in BTC at 8 digits: 0.00123 BTC at 0.1 % is 0.00000123 BTC', () => {
    const basis = spotFeeBasis({}, BINANCE_BTC, 'BUY');
    expect(basis).toEqual({ asset: 'BTC', decimals: 8, onBase: true });
    expect(charge([['0.00123', '0.001']], basis.decimals)).toEqual(['0.00000123']);
  });

  it('on MEXC buys and sells pay in USDT rounded to cents', () => {
    expect(spotFeeBasis({}, MEXC_BTC, 'BUY')).toEqual({ asset: 'USDT', decimals: 2, onBase: false });
    expect(spotFeeBasis({}, MEXC_BTC, 'SELL')).toEqual({ asset: 'USDT', decimals: 2, onBase: false });
    expect(spotFeeBasis({ feeAsset: 'quote' }, BINANCE_BTC, 'BUY').asset).toBe('USDT');
  });

  it('the reserve of the remainder after a fill is ceil(exact so far + rest × rate) − charged: 0.02 − 0.01 = 0.01', () => {
    const after = fillFee(NO_FEES_YET, d('10.01'), d('0.0005'), 2); // exact 0.005005, charged 0.01
    expect(formatFixed(feeReserve(after, d('20.02'), d('0.0005'), 2))).toBe('0.01'); // ceil(0.015015) − 0.01
    expect(formatFixed(feeReserve(NO_FEES_YET, d('30.03'), d('0.0005'), 2))).toBe('0.02');
  });
});

describe('limit buys that spend the whole free balance, under MEXC rules, on the real recording', () => {
  const recording = loadRecording(BUNDLED_RECORDING);
  const CASES = 400;

  it('never overdraw: balances reconcile, none is negative, and each order pays ceil_cents(Σ notional × rate)', () => {
    const s = new RecordingStepper(recording, { instrument: MEXC_BTC });
    const random = mulberry32(13);
    const first = recording.inputs[0]!.time + 5_000;
    const span = recording.lastTime - 120_000 - first;
    const plans = Array.from({ length: CASES }, (_, i) => ({
      account: `m${i}`,
      at: first + Math.floor(random() * span),
      balance: d(`${10 + Math.floor(random() * 50_000)}.${String(Math.floor(random() * 100)).padStart(2, '0')}`),
      // Half rest below the ask; half take up to exactly one of the five best ask levels.
      level: random() < 0.5 ? -1 - Math.floor(random() * 200) : Math.floor(random() * 5),
      maker: [undefined, '0.0002', '0.0005'][Math.floor(random() * 3)],
    })).sort((a, b) => a.at - b.at);
    const rates = new Map<string, { maker: Fixed; taker: Fixed }>();
    const budgets = new Map<string, Fixed>();
    for (const plan of plans) {
      s.advanceTo(plan.at);
      const asks = s.kernel.depth(s.symbol, 5)?.asks ?? [];
      const ask = asks[plan.level < 0 ? 0 : plan.level];
      if (ask === undefined) continue;
      const price = d(ask[0]) + (plan.level < 0 ? BigInt(plan.level) * MEXC_BTC.tickSize : 0n);
      const taker = MEXC_BTC.takerFee;
      const maker = plan.maker === undefined ? MEXC_BTC.makerFee : d(plan.maker);
      const worst = maker > taker ? maker : taker;
      // A quantity for about the drawn amount, and a balance that it spends whole: notional plus
      // ceil_cents(notional × worst rate), leaving nothing free.
      const quantity = ((plan.balance * 10n ** 18n) / price / MEXC_BTC.stepSize) * MEXC_BTC.stepSize;
      const cost = (q: Fixed) => (price * q) / 10n ** 18n + ceilCents([[(price * q) / 10n ** 18n, worst]]);
      if ((price * quantity) / 10n ** 18n < MEXC_BTC.minNotional) continue;
      const balance = cost(quantity);
      s.handle({
        kind: 'account.open', time: s.kernel.now, account: plan.account, balances: { USDT: formatFixed(balance) },
        ...(plan.maker === undefined ? {} : { fees: { maker: plan.maker } }),
      });
      const placed = s.handle({ kind: 'order.place', time: s.kernel.now, account: plan.account, symbol: s.symbol, side: 'BUY', type: 'LIMIT', price: formatFixed(price), quantity: formatFixed(quantity), clientOrderId: 'all-in' });
      expect(placed.find((e) => e.type === 'ORDER_REJECTED')).toBeUndefined();
      if (!placed.some((e) => e.type === 'FILL')) expect(s.kernel.balances(plan.account)!.USDT!.free).toBe('0');
      rates.set(plan.account, { maker, taker });
      budgets.set(plan.account, balance);
    }
    while (!s.done) s.step();

    expect(s.events.filter((e) => e.type === 'INPUT_REJECTED')).toEqual([]);
    s.kernel.checkInvariants();
    expect(rates.size).toBeGreaterThan(CASES * 0.9);
    const fills = s.events.filter((e: KernelEvent): e is FillEvent => e.type === 'FILL');
    let filledOrders = 0;
    let multiFill = 0;
    let overdrawnPerFill = 0;
    for (const [account, rate] of rates) {
      const own = fills.filter((f) => f.account === account);
      if (own.length > 0) filledOrders += 1;
      if (own.length > 1) multiFill += 1;
      const notional = own.reduce((sum, f) => sum + d(f.price) * d(f.quantity) / 10n ** 18n, 0n);
      const bought = own.reduce((sum, f) => sum + d(f.quantity), 0n);
      const expectedFee = ceilCents(own.map((f) => [d(f.price) * d(f.quantity) / 10n ** 18n, f.liquidity === 'MAKER' ? rate.maker : rate.taker] as const));
      const charged = own.reduce((sum, f) => sum + d(f.fee), 0n);
      expect({ account, fee: formatFixed(charged) }).toEqual({ account, fee: formatFixed(expectedFee) });
      expect(own.every((f) => f.feeAsset === 'USDT')).toBe(true);
      // Rounding each fill on its own, as fees were charged before, would have spent more than the balance.
      const perFill = own.reduce((sum, f) => sum + ceilCents([[d(f.price) * d(f.quantity) / 10n ** 18n, f.liquidity === 'MAKER' ? rate.maker : rate.taker]]), 0n);
      if (notional + perFill > budgets.get(account)!) overdrawnPerFill += 1;
      const usdt = s.kernel.balances(account)!.USDT!;
      const total = d(usdt.free) + d(usdt.locked);
      expect(d(usdt.free) >= 0n && d(usdt.locked) >= 0n).toBe(true);
      expect(formatFixed(total)).toBe(formatFixed(budgets.get(account)! - notional - charged));
      expect(s.kernel.balances(account)!.BTC?.free ?? '0').toBe(formatFixed(bought));
    }
    // The cases reach the paths that overdrew: many orders fill, many in several fills.
    expect(filledOrders).toBeGreaterThan(CASES / 4);
    expect(multiFill).toBeGreaterThan(CASES / 20);
    expect(overdrawnPerFill).toBeGreaterThan(0);
  }, 120_000);
});
