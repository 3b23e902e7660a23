import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { formatFixed, parseFixed, type Fixed } from '../money/fixed.js';
import type { LiquidationEvent, PositionEvent } from '../kernel/events.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';
import { Kernel } from '../kernel/kernel.js';
import { crossLiquidationPrice } from './liquidation-price.js';
import type { Position } from './position.js';

const BTC = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const d = parseFixed;
const E18 = 10n ** 18n;
const position = (size: string, entry: string, margin: string): Position => ({
  id: 'p', symbol: 'BTCUSDT', size: d(size), entryPrice: d(entry), leverage: 10, margin: d(margin), realizedPnl: 0n, totalFundingPaid: 0n, feesPaid: 0n, openedAt: 0,
});
const first8 = (v: Fixed | undefined) => formatFixed(v!).slice(0, 11);

describe('cross-margin liquidation price (Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts")', () => {
  // LP = (WB − TMM1 + UPNL1 + cumB − side·Q·EP) / (Q·MMR − side·Q), by hand.
  it('long 1 BTC at 60,000, wallet 10,000, nothing else: (10,000 + 50 − 60,000) / (0.005 − 1) = 50,201.005…, bracket 2', () => {
    expect(first8(crossLiquidationPrice(BTC, position('1', '60000', '6000'), { walletBalance: d('10000'), othersMaintenance: 0n, othersUnrealized: 0n }))).toBe('50201.00502');
  });

  it('with another position holding 120 maintenance and 300 of unrealized profit: (10,000 − 120 + 300 + 50 − 60,000) / (−0.995) = 50,020.100…', () => {
    expect(first8(crossLiquidationPrice(BTC, position('1', '60000', '6000'), { walletBalance: d('10000'), othersMaintenance: d('120'), othersUnrealized: d('300') }))).toBe('50020.10050');
  });

  it('short 1 BTC at 60,000, wallet 10,000: (10,000 + 50 + 60,000) / (0.005 + 1) = 69,701.492…, bracket 2', () => {
    expect(first8(crossLiquidationPrice(BTC, position('-1', '60000', '6000'), { walletBalance: d('10000'), othersMaintenance: 0n, othersUnrealized: 0n }))).toBe('69701.49253');
  });
});

describe('a cross account on the USD-M recording', () => {
  it('shows the cross liquidation price, and when liquidated pays the clearance fee from the equity left (all of it here, as it is below the fee)', () => {
    const s = new RecordingStepper(loadRecording(USDM_RECORDING));
    s.advanceTo(1723161350000);
    s.handle({ kind: 'account.open', time: s.kernel.now, account: 'x', type: 'futures', leverage: 10, marginMode: 'cross', balances: { USDT: '1000' } });
    const opened = s.handle({ kind: 'order.place', time: s.kernel.now, account: 'x', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1' });
    const fee = opened.filter((e) => e.type === 'FILL').reduce((sum, e) => sum + d((e as { fee: string }).fee), 0n);
    const last = opened.filter((e): e is PositionEvent => e.type === 'POSITION_OPENED' || e.type === 'POSITION_UPDATED').at(-1)!;
    const entry = d(last.entryPrice);
    const q = d('0.1');
    const wallet = d('1000') - fee;
    // Bracket 1 (MMR 0.4 %, cum 0): LP = (Q·EP − WB) / (Q·(1 − 0.004)).
    const lp = (((q * entry) / E18 - wallet) * E18) / ((q * d('0.996')) / E18);
    expect(Number(last.liquidationPrice)).toBeCloseTo(Number(formatFixed(lp)), 6);
    // The isolated formula would say (Q·EP − margin) / (Q·0.996), some 3,800 higher.
    expect(Number(formatFixed(lp))).toBeLessThan(Number(formatFixed(entry)) - 8000);

    const markPrice = formatFixed(((lp - d('2')) / d('0.1')) * d('0.1')); // 2 USDT below LP, on the tick
    const events = s.handle({ kind: 'mark', time: s.kernel.now + 1, symbol: 'BTCUSDT', price: markPrice });
    const liquidation = events.find((e): e is LiquidationEvent => e.type === 'LIQUIDATION')!;
    expect(liquidation).toBeDefined();
    // Equity at the mark = WB + Q·(mark − EP); the fee wanted (1.25 % of Q·mark ≈ 64.9) is more: all the equity goes.
    const equity = wallet + (q * (d(markPrice) - entry)) / E18;
    expect(equity).toBeGreaterThan(0n);
    expect((q * d(markPrice) * d('0.0125')) / E18 / E18).toBeGreaterThan(equity);
    expect(Number(liquidation.liquidationFee)).toBeCloseTo(Number(formatFixed(equity)), 8);
    expect(d(s.kernel.balances('x')!.USDT!.free)).toBe(0n);
    s.kernel.checkInvariants();
  });
  it('a cross liquidation with equity left above the clearance fee charges the fee in full and leaves the rest in the wallet (bracket 6: MMR 2.5 % > the 1.25 % fee)', () => {
    // A synthetic book deep enough for a 1,400 BTC long (84 M USDT, bracket 6: 70–100 M, 20x, MMR 2.5 %).
    const T = 1_723_161_300_000;
    const k = new Kernel({ instruments: [BTC] });
    k.handle({ kind: 'book.snapshot', time: T, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [['60000.0', '5000']], asks: [['60000.1', '5000']] });
    k.handle({ kind: 'account.open', time: T, account: 'c', type: 'futures', marginMode: 'cross', leverage: 20, balances: { USDT: '10000000' } });
    for (const id of ['a', 'b']) {
      const placed = k.handle({ kind: 'order.place', time: T, account: 'c', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '60000.1', quantity: '700', clientOrderId: id });
      expect(placed.filter((e) => e.type === 'FILL').reduce((sum, e) => sum + d((e as { quantity: string }).quantity), 0n)).toBe(d('700'));
    }
    // By hand: Q = 1,400 at EP = 60,000.1; taker fee 0.05 % of 84,000,140 = 42,000.07; wallet W = 10,000,000 − 42,000.07.
    const Q = d('1400');
    const EP = d('60000.1');
    const W = d('10000000') - d('42000.07');
    // Bracket 6's maintenance amount: cum = Σ over the brackets below of threshold × (MMR step) =
    // 50,000×0.001 + 600,000×0.0015 + 3,000,000×0.0035 + 12,000,000×0.01 + 70,000,000×0.005 = 481,450.
    const cum = d('481450');
    // Liquidated when W + Q·(m − EP) ≤ Q·m·0.025 − cum, i.e. m ≤ m* = (Q·EP − W − cum) / (Q·(1 − 0.025)).
    const mStar = ((Q * EP) / E18 - W - cum) * E18 / ((Q * d('0.975')) / E18);
    const tick = d('0.1');
    const above = ((mStar + tick) / tick) * tick; // the first tick above m*
    const below = (mStar / tick) * tick - tick; // a tick below m*, rounded down to the tick
    expect(k.handle({ kind: 'mark', time: T + 1, symbol: 'BTCUSDT', price: formatFixed(above) }).some((e) => e.type === 'LIQUIDATION')).toBe(false);
    const events = k.handle({ kind: 'mark', time: T + 2, symbol: 'BTCUSDT', price: formatFixed(below) });
    const liquidation = events.find((e): e is LiquidationEvent => e.type === 'LIQUIDATION')!;
    expect(liquidation).toBeDefined();
    const equity = W + (Q * (below - EP)) / E18;
    const fee = (Q * below * d('0.0125')) / E18 / E18; // 1.25 % of Q × mark: about 941,000
    expect(equity - fee).toBeGreaterThan(d('400000')); // equity is left after the fee
    expect(Number(liquidation.liquidationFee)).toBeCloseTo(Number(formatFixed(fee)), 6);
    // What the account keeps: its equity at the mark less the fee.
    expect(Number(k.balances('c')!.USDT!.free)).toBeCloseTo(Number(formatFixed(equity - fee)), 6);
    k.checkInvariants();
  });
});
