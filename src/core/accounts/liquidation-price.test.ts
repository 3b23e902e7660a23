import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { formatFixed, parseFixed, type Fixed } from '../money/fixed.js';
import type { LiquidationEvent, PositionEvent } from '../kernel/events.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';
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
});
