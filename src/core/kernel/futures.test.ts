import { describe, expect, it } from 'vitest';
import { formatFixed, parseFixed, type Fixed } from '../money/fixed.js';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { isolatedLiquidationPrice, type Position } from '../accounts/position.js';
import { BookSynchronizer } from '../book/book-synchronizer.js';
import type { FundingEvent, KernelEvent, LiquidationEvent, PositionEvent } from './events.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';
import type { MarketInput } from '../../market-data/recording-reader.js';

const BTC_PERP = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const d = parseFixed;
const position = (size: string, entry: string, margin: string): Position => ({
  id: 'p', symbol: 'BTCUSDT', size: d(size), entryPrice: d(entry), leverage: 10, margin: d(margin),
  realizedPnl: 0n, totalFundingPaid: 0n, feesPaid: 0n, openedAt: 0,
});
type EventOf<T> = KernelEvent extends infer E ? (E extends { type: infer U } ? (T extends U ? E : never) : never) : never;
const of = <T extends KernelEvent['type']>(events: readonly KernelEvent[], type: T) => events.filter((e): e is EventOf<T> => e.type === type);

/** Mid prices (rounded down to the tick) after each input, rebuilt independently of the kernel. */
function midsAfterEachInput(inputs: readonly MarketInput[]): Array<Fixed | undefined> {
  const sync = new BookSynchronizer('BTCUSDT', 'usdm');
  const lv = (raw: readonly (readonly [string, string])[]) => raw.map(([p, q]) => [d(p), d(q)] as const);
  return inputs.map((input) => {
    if (input.kind === 'book.snapshot') sync.onSnapshot({ lastUpdateId: input.lastUpdateId, bids: lv(input.bids), asks: lv(input.asks) });
    if (input.kind === 'book.delta') {
      sync.onDelta({ firstUpdateId: input.firstUpdateId, finalUpdateId: input.finalUpdateId, previousFinalUpdateId: input.previousFinalUpdateId!, bids: lv(input.bids), asks: lv(input.asks) });
    }
    return sync.status === 'synced' ? sync.book.mid(d('0.1')) : undefined;
  });
}

describe('liquidation price (Binance USD-M, "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts")', () => {
  // LP = (WB − TMM1 + UPNL1 + cumB − side·Q·EP) / (Q·MMR − side·Q), isolated: TMM1 = UPNL1 = 0.
  // https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93 (worked by hand below).
  it('long 1 BTC at 60,000 with 10x: (6,000 + 50 − 60,000) / (0.005 − 1) = 54,221.105…, bracket 2', () => {
    const lp = isolatedLiquidationPrice(BTC_PERP, position('1', '60000', '6000'))!;
    expect(formatFixed(lp).slice(0, 11)).toBe('54221.10552');
  });

  it('short 1 BTC at 60,000 with 10x: (6,000 + 50 + 60,000) / (0.005 + 1) = 65,721.393…, bracket 2', () => {
    const lp = isolatedLiquidationPrice(BTC_PERP, position('-1', '60000', '6000'))!;
    expect(formatFixed(lp).slice(0, 11)).toBe('65721.39303');
  });

  it('long 0.5 BTC at 60,000 with 125x: (240 + 0 − 30,000) / (0.5 × 0.004 − 0.5) = 59,759.036…, bracket 1', () => {
    const lp = isolatedLiquidationPrice(BTC_PERP, position('0.5', '60000', '240'))!;
    expect(formatFixed(lp).slice(0, 11)).toBe('59759.03614');
  });
});

describe('futures on the real USD-M recording', () => {
  const recording = loadRecording(USDM_RECORDING);

  it('a 125x long bought at the top is liquidated when the mark first crosses its liquidation price, at the bankruptcy price with the fee', () => {
    const s = new RecordingStepper(recording);
    s.advanceTo(1723161310714); // the recording's highest ask, 61,839.9
    s.handle({ kind: 'account.open', time: s.kernel.now, account: 'f', type: 'futures', leverage: 125, balances: { USDT: '1000' } });
    const opened = s.handle({ kind: 'order.place', time: s.kernel.now, account: 'f', symbol: s.symbol, side: 'BUY', type: 'MARKET', quantity: '0.5' });
    const open = [...of(opened, 'POSITION_OPENED'), ...of(opened, 'POSITION_UPDATED')].at(-1);
    const fill = of(opened, 'FILL');
    const entry = d(open!.entryPrice);
    const margin = d(open!.marginUsed);
    const openFee = fill.reduce((sum, f) => sum + d(f.fee), 0n);
    // Initial margin = Σ fill notional / 125, each rounded up to the fee precision.
    expect(margin).toBe(fill.reduce((sum, f) => sum + (d(f.quoteQuantity) * 10n ** 8n + 125n * 10n ** 18n - 1n) / (125n * 10n ** 18n) * 10n ** 10n, 0n));
    // By hand: LP = (Q·EP − WB − cum) / (Q·(1 − MMR)) with bracket 1 (MMR 0.4 %, cum 0).
    const lp = ((d('0.5') * entry) / 10n ** 18n - margin) * 10n ** 18n / d('0.498');
    expect(entry >= d('61839.9')).toBe(true);
    expect(d(open!.liquidationPrice!) / 10n ** 12n).toBe(lp / 10n ** 12n);

    const mids = midsAfterEachInput(recording.inputs);
    const start = recording.inputs.findIndex((i) => i.time > 1723161310714);
    const crossing = mids.findIndex((mid, i) => i >= start && mid !== undefined && mid <= lp);
    expect(crossing).toBeGreaterThan(start);

    let liquidation: LiquidationEvent | undefined;
    let index = start - 1;
    while (liquidation === undefined && !s.done) {
      index += 1;
      liquidation = of(s.step()!.events, 'LIQUIDATION')[0];
    }
    expect(index).toBe(crossing);
    const mark = mids[crossing]!;
    const fee = d('0.5') * mark * d('0.0125') / 10n ** 36n;
    const left = margin + (d('0.5') * (mark - entry)) / 10n ** 18n;
    expect(liquidation).toMatchObject({ at: recording.inputs[crossing]!.time, markPrice: formatFixed(mark), direction: 'LONG', size: '0.5', marginLost: formatFixed(margin) });
    expect(d(liquidation!.liquidationFee)).toBe(fee < left ? fee : left); // never more than the margin left
    // Closed at the bankruptcy price: EP − (margin − fee) / Q.
    const bankruptcy = entry - ((margin - d(liquidation!.liquidationFee)) * 10n ** 18n) / d('0.5');
    expect(liquidation!.bankruptcyPrice).toBe(formatFixed((bankruptcy / 10n ** 10n) * 10n ** 10n));
    // The isolated position lost exactly its margin; the rest of the wallet is untouched.
    expect(s.kernel.balances('f')).toEqual({ USDT: { free: formatFixed(d('1000') - margin - openFee), locked: '0' } });
    s.kernel.checkInvariants();
  });

  it('funding at 00:00 UTC: longs pay and shorts receive |size| × mark × rate, and a negative rate reverses it', () => {
    const s = new RecordingStepper(recording, { funding: { rates: { BTCUSDT: '0.0001' } } });
    s.advanceTo(1723161540000); // 23:59:00
    for (const [account, side] of [['long', 'BUY'], ['short', 'SELL']] as const) {
      s.handle({ kind: 'account.open', time: s.kernel.now, account, type: 'futures', leverage: 10, balances: { USDT: '20000' } });
      s.handle({ kind: 'order.place', time: s.kernel.now, account, symbol: s.symbol, side, type: 'MARKET', quantity: '1.5' });
    }
    const markBefore = new Map<number, Fixed>();
    const funding: FundingEvent[] = [];
    while (!s.done) {
      const before = s.kernel.markPrice(s.symbol)!;
      const { input, events } = s.step()!;
      for (const e of of(events, 'FUNDING')) {
        funding.push(e);
        markBefore.set(input.time, before);
      }
    }
    expect(funding.map((f) => [f.at, f.account])).toEqual([[1723161600000, 'long'], [1723161600000, 'short']]);
    const mark = d(funding[0]!.markPrice);
    const amount = (d('1.5') * mark * d('0.0001')) / 10n ** 36n;
    expect(funding[0]).toMatchObject({ account: 'long', amount: formatFixed(amount), rate: '0.0001' });
    expect(funding[1]).toMatchObject({ account: 'short', amount: formatFixed(-amount) });
    expect([...markBefore.values()][0]).toBe(mark); // paid on the mark at the funding time

    const negative = s.handle({ kind: 'funding', time: s.kernel.now, symbol: s.symbol, rate: '-0.0002' });
    const [longPays, shortPays] = of(negative, 'FUNDING');
    expect(d(longPays!.amount)).toBeLessThan(0n);
    expect(d(shortPays!.amount)).toBe(-d(longPays!.amount));
    const long = s.kernel.account('long')!;
    expect(long.kind === 'futures' ? long.ledger.funding : undefined).toBe(amount + d(longPays!.amount));
    s.kernel.checkInvariants();
  });

  it('a stop-loss and a take-profit of one position: the one the tape reaches first fills, the other is cancelled', () => {
    const s = new RecordingStepper(recording);
    const entryAt = 1723161330000; // 23:55:30
    s.advanceTo(entryAt);
    s.handle({ kind: 'account.open', time: s.kernel.now, account: 'f', type: 'futures', leverage: 10, balances: { USDT: '20000' } });
    s.handle({ kind: 'order.place', time: s.kernel.now, account: 'f', symbol: s.symbol, side: 'BUY', type: 'MARKET', quantity: '1' });
    const common = { kind: 'order.place', time: s.kernel.now, account: 'f', symbol: s.symbol, side: 'SELL', quantity: '1', reduceOnly: true, ocoGroup: 'exit' } as const;
    s.handle({ ...common, type: 'STOP_LOSS', stopPrice: '61700.0', clientOrderId: 'sl' });
    s.handle({ ...common, type: 'TAKE_PROFIT', stopPrice: '61830.0', clientOrderId: 'tp' });
    // Independently: the first trade after entry at or below 61,700.0 or at or above 61,830.0.
    const first = recording.inputs.find((i) => i.kind === 'trade' && i.time > entryAt && (d(i.price) <= d('61700.0') || d(i.price) >= d('61830.0')));
    const expected = first!.kind === 'trade' && d(first!.price) <= d('61700.0') ? 'sl' : 'tp';
    while (!s.done) s.step();
    const triggered = of(s.events, 'ORDER_TRIGGERED');
    expect(triggered.map((e) => [e.clientOrderId, e.at, e.triggerPrice])).toEqual([[expected, first!.time, first!.kind === 'trade' ? formatFixed(d(first!.price)) : '']]);
    const cancelled = of(s.events, 'ORDER_CANCELED');
    expect(cancelled.map((e) => [e.clientOrderId, e.reason, e.at])).toEqual([[expected === 'sl' ? 'tp' : 'sl', 'OCO_SIBLING_TRIGGERED', first!.time]]);
    expect(of(s.events, 'FILL').filter((f) => f.clientOrderId === expected).reduce((sum, f) => sum + d(f.quantity), 0n)).toBe(d('1'));
    expect(of(s.events, 'POSITION_CLOSED')).toHaveLength(1);
    s.kernel.checkInvariants();
  });

  it('a trailing stop follows the tape: its stop is the best price since activation less the callback', () => {
    const s = new RecordingStepper(recording);
    const entryAt = 1723161260000; // 23:54:20, once the book is synced
    s.advanceTo(entryAt);
    s.handle({ kind: 'account.open', time: s.kernel.now, account: 'f', type: 'futures', leverage: 10, balances: { USDT: '20000' } });
    s.handle({ kind: 'order.place', time: s.kernel.now, account: 'f', symbol: s.symbol, side: 'BUY', type: 'MARKET', quantity: '1' });
    s.handle({ kind: 'order.place', time: s.kernel.now, account: 'f', symbol: s.symbol, side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '1', callbackRate: '0.001', activationPrice: '61810.0', reduceOnly: true, clientOrderId: 'trail' });
    // Independently: activate at the first trade ≥ 61,810.0, follow the highest trade, trigger at ≤ peak × 0.999
    // rounded down to the 0.1 tick (away from the market).
    const tick = d('0.1');
    expect(s.kernel.instrument(s.symbol)!.tickSize).toBe(tick);
    let peak: Fixed | undefined;
    let expected: { at: number; stop: Fixed; price: Fixed } | undefined;
    for (const i of recording.inputs) {
      if (i.kind !== 'trade' || i.time <= entryAt || expected !== undefined) continue;
      const p = d(i.price);
      if (peak === undefined && p < d('61810.0')) continue;
      if (peak === undefined || p > peak) peak = p;
      const stop = ((peak * d('0.999')) / 10n ** 18n / tick) * tick;
      if (p <= stop) expected = { at: i.time, stop, price: p };
    }
    expect(expected).toBeDefined();
    while (!s.done) s.step();
    const [triggered] = of(s.events, 'ORDER_TRIGGERED');
    expect(triggered).toMatchObject({ clientOrderId: 'trail', at: expected!.at, stopPrice: formatFixed(expected!.stop), triggerPrice: formatFixed(expected!.price) });
    expect(of(s.events, 'POSITION_CLOSED')).toHaveLength(1);
  });

  it('conservation: equity = initial + realized PnL + unrealized PnL − fees − funding, exactly, for every account', () => {
    const s = new RecordingStepper(recording, { funding: { rates: { BTCUSDT: '0.0003' } } });
    s.advanceTo(recording.inputs[0]!.time + 3000);
    const accounts = ['a', 'b', 'c', 'd'];
    accounts.forEach((account, i) => s.handle({ kind: 'account.open', time: s.kernel.now, account, type: 'futures', leverage: [5, 20, 50, 125][i]!, marginMode: i === 3 ? 'cross' : 'isolated', balances: { USDT: '5000' } }));
    let n = 0;
    while (!s.done) {
      const { input } = s.step()!;
      n += 1;
      if (n % 900 !== 0) continue;
      const account = accounts[(n / 900) % accounts.length]!;
      const side = (n / 900) % 3 === 0 ? 'SELL' : 'BUY';
      const top = s.kernel.depth(s.symbol, 1)!;
      const price = side === 'BUY' ? top.bids[0]![0] : top.asks[0]![0];
      s.handle({ kind: 'order.place', time: input.time, account, symbol: s.symbol, side, type: n % 2 === 0 ? 'MARKET' : 'LIMIT', quantity: ['0.05', '0.2', '0.6'][n % 3]!, ...(n % 2 === 0 ? {} : { price }) });
    }
    const events = s.events;
    expect(of(events, 'FILL').length).toBeGreaterThan(10);
    expect(of(events, 'FUNDING').length).toBeGreaterThan(0);
    for (const account of accounts) {
      const mine = events.filter((e) => 'account' in e && e.account === account);
      const realized = of(mine, 'FILL').reduce((sum, f) => sum + d(f.realizedPnl ?? '0'), 0n) + of(mine, 'LIQUIDATION').reduce((sum, l) => sum + d(l.realizedPnl), 0n);
      const fees = of(mine, 'FILL').reduce((sum, f) => sum + d(f.fee), 0n) + of(mine, 'LIQUIDATION').reduce((sum, l) => sum + d(l.liquidationFee), 0n);
      const funding = of(mine, 'FUNDING').reduce((sum, f) => sum + d(f.amount), 0n);
      const mark = s.kernel.markPrice(s.symbol)!;
      const last: PositionEvent | undefined = [...of(mine, 'POSITION_OPENED'), ...of(mine, 'POSITION_UPDATED'), ...of(mine, 'POSITION_CLOSED')].sort((x, y) => x.at - y.at).at(-1);
      const acc = s.kernel.account(account)!;
      const open = acc.kind === 'futures' ? acc.positions.get(s.symbol) : undefined;
      const unrealized = open === undefined || open.size === 0n ? 0n : (open.size * (mark - open.entryPrice)) / 10n ** 18n;
      expect(last === undefined || last.symbol === s.symbol).toBe(true);
      expect(s.kernel.equity(account), account).toBe(d('5000') + realized + unrealized - fees - funding);
    }
    s.kernel.checkInvariants();
  });
});
