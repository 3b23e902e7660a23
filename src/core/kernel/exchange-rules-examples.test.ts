import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { formatFixed, parseFixed as d, SCALE, type Fixed } from '../money/fixed.js';
import { SPOT_RECORDING, USDM_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';
import type { KernelEvent } from './events.js';
import { Kernel } from './kernel.js';
import type { PlaceOrderInput } from './inputs.js';

// The examples of "orders the exchange would refuse", each on the real Binance recordings of
// 2024-08-08, with the outcome Binance documents (docs/exchange-rules.md has the sources).
const T = 1723161400000;

interface Trade {
  readonly price: string;
  readonly qty: string;
  readonly time: number;
}

/** The recording's trades read straight from its CSV: the oracle is independent of the kernel's reader. */
function tradesOf(dir: string): Trade[] {
  const lines = gunzipSync(readFileSync(`${dir}/trades.csv.gz`)).toString('utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const [p, q, t] = ['price', 'qty', 'trade_time_ms'].map((name) => header.indexOf(name));
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    return { price: cells[p!]!, qty: cells[q!]!, time: Number(cells[t!]) };
  });
}

/** Binance's avgPrice as docs/exchange-rules.md defines the window: the 300 whole seconds up to `time`. */
function fiveMinuteAverage(trades: readonly Trade[], time: number): Fixed {
  const first = Math.floor(time / 1000) - 299;
  let notional = 0n;
  let volume = 0n;
  for (const t of trades) {
    if (t.time > time || Math.floor(t.time / 1000) < first) continue;
    notional += d(t.price) * d(t.qty);
    volume += d(t.qty);
  }
  return notional / volume;
}

const lastTradeBefore = (trades: readonly Trade[], time: number): string => trades.filter((t) => t.time <= time).at(-1)!.price;

type Order = Omit<PlaceOrderInput, 'kind' | 'time' | 'account' | 'symbol'>;

function spotAt(time = T) {
  const s = new RecordingStepper(loadRecording(SPOT_RECORDING));
  s.advanceTo(time);
  s.open('a', { USDT: '100000', BTC: '10' });
  s.open('b', { USDT: '100000', BTC: '10' });
  return s;
}

function usdmAt(time = T) {
  const s = new RecordingStepper(loadRecording(USDM_RECORDING));
  s.advanceTo(time);
  s.handle({ kind: 'account.open', time: s.kernel.now, account: 'f', type: 'futures', leverage: 10, balances: { USDT: '20000' } });
  return s;
}

const place = (s: RecordingStepper, account: string, order: Order): KernelEvent[] =>
  s.handle({ kind: 'order.place', time: s.kernel.now, account, symbol: s.symbol, ...order });

const outcome = (events: readonly KernelEvent[]): string => {
  const first = events[0];
  if (first === undefined) return 'nothing';
  return first.type === 'ORDER_REJECTED' ? `REJECTED ${first.code} ${first.mexcCode}` : first.type;
};

describe('1. price bands: spot within 0.2×–5× the 5-minute average price, USD-M within 0.85×–1.15× the mark', () => {
  const trades = tradesOf(SPOT_RECORDING);
  const average = fiveMinuteAverage(trades, T);

  it('the kernel keeps the average of the tape as Binance defines avgPrice', () => {
    const s = spotAt();
    expect(s.kernel.averagePrice(s.symbol)).toBe(average);
    expect(formatFixed(average)).toBe('61812.192148380749394703');
    // It is part of the state: a kernel restored from the snapshot has the same average.
    const restored = Kernel.restore({ instruments: [s.kernel.instrument(s.symbol)!] }, s.kernel.snapshot());
    expect(restored.averagePrice(s.symbol)).toBe(average);
  });

  it('a LIMIT BUY 0.1 at 100, a SELL 0.001 at 500000 and a STOP_LOSS_LIMIT SELL 0.02 at 617.47/617.47 are refused (Binance -1013 "Filter failure: PERCENT_PRICE_BY_SIDE", MEXC 30087)', () => {
    const s = spotAt();
    // 0.2 × 61,812.19 ≈ 12,362.44 and 5 × 61,812.19 ≈ 309,060.96: all three lie outside.
    expect((100n * SCALE * SCALE) / average < d('0.2')).toBe(true);
    expect(outcome(place(s, 'a', { side: 'BUY', type: 'LIMIT', quantity: '0.1', price: '100' }))).toBe('REJECTED PERCENT_PRICE 30087');
    expect(outcome(place(s, 'a', { side: 'SELL', type: 'LIMIT', quantity: '0.001', price: '500000' }))).toBe('REJECTED PERCENT_PRICE 30087');
    expect(outcome(place(s, 'a', { side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.02', price: '617.47', stopPrice: '617.47' }))).toBe('REJECTED PERCENT_PRICE 30087');
    expect(s.kernel.openOrders('a')).toHaveLength(0);
  });

  it('a SELL 0.001 at 10000 no longer fills at once at 61747.27: it is refused; a BUY at 12,362.44 (the first tick inside 0.2×) rests', () => {
    const s = spotAt();
    const events = place(s, 'a', { side: 'SELL', type: 'LIMIT', quantity: '0.001', price: '10000' });
    expect(outcome(events)).toBe('REJECTED PERCENT_PRICE 30087');
    expect(events.some((e) => e.type === 'FILL')).toBe(false);
    // 0.2 × 61,812.192148… = 12,362.4384…: 12,362.44 is the first tick at or above it.
    expect(formatFixed((average * d('0.2')) / SCALE)).toMatch(/^12362\.4384/);
    expect(outcome(place(s, 'a', { side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '12362.44' }))).toBe('ORDER_NEW');
    expect(outcome(place(s, 'a', { side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '12362.43' }))).toBe('REJECTED PERCENT_PRICE 30087');
  });

  it('USD-M: a LIMIT BUY 0.01 at 40000 is refused (Binance -4024 "Limit price can\'t be lower than …", the floor 0.85 × the mark); at 53000 it rests', () => {
    const s = usdmAt();
    const mark = s.kernel.markPrice(s.symbol)!;
    // 0.85 × the mark (about 61,700) ≈ 52,445: 40,000 lies below, 53,000 above.
    expect((mark * d('0.85')) / SCALE > d('40000') && (mark * d('0.85')) / SCALE < d('53000')).toBe(true);
    expect(outcome(place(s, 'f', { side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '40000' }))).toBe('REJECTED PERCENT_PRICE 30087');
    expect(outcome(place(s, 'f', { side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '53000' }))).toBe('ORDER_NEW');
  });
});

describe('2. open-order caps per account and symbol: MAX_NUM_ORDERS 200, MAX_NUM_ALGO_ORDERS 5', () => {
  it('of 205 resting LIMIT orders on one account the last 5 are refused; of 7 stops on another the last 2', () => {
    const s = spotAt();
    const limits = Array.from({ length: 205 }, (_, i) => outcome(place(s, 'a', { side: 'BUY', type: 'LIMIT', quantity: '0.0002', price: formatFixed(d('60000') - BigInt(i) * d('0.01')) })));
    expect(limits.filter((o) => o === 'ORDER_NEW')).toHaveLength(200);
    expect(limits.slice(200)).toEqual(Array(5).fill('REJECTED MAX_NUM_ORDERS 30029'));
    const stops = Array.from({ length: 7 }, (_, i) => outcome(place(s, 'b', { side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.001', stopPrice: `${60000 - i}`, price: `${59990 - i}` })));
    expect(stops).toEqual([...Array(5).fill('ORDER_NEW'), 'REJECTED MAX_NUM_ALGO_ORDERS 30029', 'REJECTED MAX_NUM_ALGO_ORDERS 30029']);
    s.kernel.checkInvariants();
  });
});

describe('3. a stop whose trigger already holds is refused at placement (Binance spot -2010 "Stop price would trigger immediately.", USD-M -2021)', () => {
  it('at 1723161400000, last trade 61747.28: the four stops of the example are refused, their mirror images wait', () => {
    expect(lastTradeBefore(tradesOf(SPOT_RECORDING), T)).toBe('61747.28000000');
    const s = spotAt();
    const refused = [
      { side: 'BUY', type: 'STOP_LOSS_LIMIT', quantity: '0.001', stopPrice: '61000', price: '61010' },
      { side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.001', stopPrice: '62000', price: '61990' },
      { side: 'SELL', type: 'TAKE_PROFIT_LIMIT', quantity: '0.001', stopPrice: '61000', price: '61000' },
      { side: 'SELL', type: 'STOP_LOSS', quantity: '0.001', stopPrice: '62000' },
    ] as const;
    for (const order of refused) expect(outcome(place(s, 'a', order)), `${order.side} ${order.type}`).toBe('REJECTED WOULD_TRIGGER_IMMEDIATELY 30010');
    const waiting = [
      { side: 'BUY', type: 'STOP_LOSS_LIMIT', quantity: '0.001', stopPrice: '62000', price: '62010' },
      { side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.001', stopPrice: '61000', price: '60990' },
      { side: 'SELL', type: 'TAKE_PROFIT_LIMIT', quantity: '0.001', stopPrice: '62000', price: '62000' },
      { side: 'SELL', type: 'STOP_LOSS', quantity: '0.001', stopPrice: '61000' },
    ] as const;
    for (const order of waiting) expect(outcome(place(s, 'a', order)), `${order.side} ${order.type}`).toBe('ORDER_NEW');
    const before = s.events.length;
    for (let i = 0; i < 50; i += 1) s.step();
    expect(s.events.slice(before).some((e) => e.type === 'ORDER_TRIGGERED')).toBe(false);
  });

  it('USD-M: a reduce-only SELL STOP_LOSS at 62000 on a long is refused; at 61000 it waits', () => {
    const usdm = tradesOf(USDM_RECORDING);
    const last = d(lastTradeBefore(usdm, T));
    expect(last > d('61000') && last < d('62000')).toBe(true);
    const s = usdmAt();
    expect(outcome(place(s, 'f', { side: 'BUY', type: 'MARKET', quantity: '0.002' }))).toBe('ORDER_NEW');
    expect(outcome(place(s, 'f', { side: 'SELL', type: 'STOP_LOSS', quantity: '0.002', stopPrice: '62000', reduceOnly: true }))).toBe('REJECTED WOULD_TRIGGER_IMMEDIATELY 30010');
    expect(outcome(place(s, 'f', { side: 'SELL', type: 'STOP_LOSS', quantity: '0.002', stopPrice: '61000', reduceOnly: true }))).toBe('ORDER_NEW');
  });
});

describe('4. trailing stops: the callback rate within the exchange bounds (native unit: a fraction, 0.01 = 1 %)', () => {
  const trail = (callbackRate: string, quantity: string) => ({ side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity, callbackRate }) as const;

  it('spot (TRAILING_DELTA 10–2000 BIPS = 0.001–0.2): 0.0001 and 0.5 are refused, 0.001 and 0.2 accepted', () => {
    const s = spotAt();
    expect(['0.0001', '0.5', '0.001', '0.2'].map((rate) => outcome(place(s, 'a', trail(rate, '0.001'))))).toEqual([
      'REJECTED TRAILING_DELTA 700004', 'REJECTED TRAILING_DELTA 700004', 'ORDER_NEW', 'ORDER_NEW',
    ]);
  });

  it('USD-M (callbackRate 0.1 %–10 % = 0.001–0.1): 0.0001, 0.5 and 0.1001 are refused, 0.001 and 0.1 accepted', () => {
    const s = usdmAt();
    expect(['0.0001', '0.5', '0.1001', '0.001', '0.1'].map((rate) => outcome(place(s, 'f', trail(rate, '0.002'))))).toEqual([
      'REJECTED TRAILING_DELTA 700004', 'REJECTED TRAILING_DELTA 700004', 'REJECTED TRAILING_DELTA 700004', 'ORDER_NEW', 'ORDER_NEW',
    ]);
  });
});

describe('5. USD-M reduce-only orders are exempt from the minimum notional (Binance -4164 "... unless you choose reduce only")', () => {
  it('on a long of 0.003 BTC, reduce-only LIMIT and TAKE_PROFIT_LIMIT exits of 0.001 (about 62 USDT < 100) are accepted, the same LIMIT without reduce-only refused', () => {
    const s = usdmAt();
    expect(outcome(place(s, 'f', { side: 'BUY', type: 'MARKET', quantity: '0.003' }))).toBe('ORDER_NEW');
    expect(outcome(place(s, 'f', { side: 'SELL', type: 'LIMIT', quantity: '0.001', price: '62000' }))).toBe('REJECTED MIN_NOTIONAL 30002');
    expect(outcome(place(s, 'f', { side: 'SELL', type: 'LIMIT', quantity: '0.001', price: '62000', reduceOnly: true }))).toBe('ORDER_NEW');
    expect(outcome(place(s, 'f', { side: 'SELL', type: 'TAKE_PROFIT_LIMIT', quantity: '0.001', stopPrice: '62500', price: '62500', reduceOnly: true }))).toBe('ORDER_NEW');
    const market = place(s, 'f', { side: 'SELL', type: 'MARKET', quantity: '0.001', reduceOnly: true });
    expect(outcome(market)).toBe('ORDER_NEW');
    expect(market.some((e) => e.type === 'FILL')).toBe(true);
    s.kernel.checkInvariants();
  });

  it('a MARKET order is measured at the average price: 0.001 without reduce-only is refused on USD-M', () => {
    const s = usdmAt();
    expect(outcome(place(s, 'f', { side: 'BUY', type: 'MARKET', quantity: '0.001' }))).toBe('REJECTED MIN_NOTIONAL 30002');
  });
});
