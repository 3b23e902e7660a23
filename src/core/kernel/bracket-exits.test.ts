/**
 * Brackets on the bundled BTCUSDT spot tape (Binance rules: 0.1 % fees, a buy's fee in BTC).
 * At 23:55:00 UTC the best ask is 61,828.00 for 0.45849 BTC; the first print at or above 61,850.00
 * comes at 23:55:09.718; until 23:57:00 the tape stays between 61,723.99 and 61,860.80.
 */
import { describe, expect, it } from 'vitest';
import { BUNDLED_RECORDING, USDM_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';
import { formatFixed, parseFixed, roundToIncrement } from '../money/fixed.js';
import type { KernelEvent } from './events.js';
import type { PlaceOrderInput } from './inputs.js';
import { Kernel } from './kernel.js';

const AT = 1723161300000;
const recording = loadRecording(BUNDLED_RECORDING);

function start(balances: Record<string, string>) {
  const s = new RecordingStepper(recording);
  s.advanceTo(AT);
  s.open('a', balances);
  return s;
}

const entry = (fields: Partial<PlaceOrderInput>): PlaceOrderInput => ({ kind: 'order.place', time: AT, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', ocoGroup: 'b1', clientOrderId: 'b1', ...fields });
const orderEvents = (events: readonly KernelEvent[]) => events.filter((e) => 'account' in e && e.account === 'a' && e.type !== 'EQUITY' && e.type !== 'ACCOUNT_OPENED');
const brief = (e: KernelEvent) => ('clientOrderId' in e ? `${e.type} ${e.clientOrderId}${'reason' in e ? ` ${e.reason}` : ''}` : e.type);

describe('a bracket: an entry with a take-profit and a stop-loss attached', () => {
  it('a market buy fills at 61,828.00; its exits, sized to the 0.00999 BTC received, share one reservation; the tape reaches the take-profit and the stop-loss is cancelled', () => {
    const s = start({ USDT: '1000' });
    const placed = s.handle(entry({ takeProfit: { stopPrice: '61850.00', price: '61850.00' }, stopLoss: { stopPrice: '61700.00' } }));
    expect(placed.filter((e) => e.type !== 'EQUITY').map(brief)).toEqual(['ORDER_NEW b1', 'FILL b1', 'ORDER_NEW b1-tp', 'ORDER_NEW b1-sl']);
    expect(placed.find((e) => e.type === 'ORDER_NEW')).toMatchObject({ ocoGroup: 'b1', takeProfit: { stopPrice: '61850', price: '61850' }, stopLoss: { stopPrice: '61700' } });
    // 0.01 × 61,828 = 618.28 USDT; fee 0.1 % of 0.01 BTC = 0.00001 BTC: 0.00999 BTC received.
    expect(placed.find((e) => e.type === 'FILL')).toMatchObject({ price: '61828', quantity: '0.01', fee: '0.00001', feeAsset: 'BTC', ocoGroup: 'b1' });
    expect(placed.filter((e) => e.type === 'ORDER_NEW' && e.clientOrderId !== 'b1')).toMatchObject([
      { orderType: 'TAKE_PROFIT_LIMIT', side: 'SELL', quantity: '0.00999', stopPrice: '61850', price: '61850', ocoGroup: 'b1' },
      { orderType: 'STOP_LOSS', side: 'SELL', quantity: '0.00999', stopPrice: '61700', ocoGroup: 'b1' },
    ]);
    // The two exits lock the 0.00999 BTC once.
    expect(s.kernel.balances('a')).toEqual({ BTC: { free: '0', locked: '0.00999' }, USDT: { free: '381.72', locked: '0' } });

    s.advanceTo(AT + 30_000);
    const after = orderEvents(s.events).slice(orderEvents(placed).length);
    expect(after.map(brief).slice(0, 2)).toEqual(['ORDER_TRIGGERED b1-tp', 'ORDER_CANCELED b1-sl OCO_SIBLING_TRIGGERED']);
    expect(after.find((e) => e.type === 'ORDER_TRIGGERED')).toMatchObject({ at: 1723161309718, triggerPrice: '61850' });
    // The take-profit rests at 61,850.00 and fills there as maker: 0.00999 × 61,850 = 617.8815 USDT,
    // less 0.1 % = 0.6178815 USDT.
    const fills = after.filter((e) => e.type === 'FILL');
    expect(fills.every((f) => f.type === 'FILL' && f.price === '61850' && f.liquidity === 'MAKER' && f.clientOrderId === 'b1-tp')).toBe(true);
    expect(fills.at(-1)).toMatchObject({ status: 'FILLED', executedQty: '0.00999', cumulativeQuoteQty: '617.8815' });
    // 1000 − 618.28 + 617.8815 − 0.6178815 = 998.9836185
    expect(s.kernel.balances('a')).toEqual({ BTC: { free: '0', locked: '0' }, USDT: { free: '998.9836185', locked: '0' } });
    s.kernel.checkInvariants();
  });

  it('a limit buy that fills in parts keeps its exits sized to what it received, replacing the waiting pair at each fill', () => {
    const s = start({ USDT: '70000' });
    // Takes the 0.45849 BTC offered at 61,828.00 and rests the 0.54151 BTC left at 61,828.00.
    const placed = s.handle(entry({ type: 'LIMIT', quantity: '1', price: '61828.00', takeProfit: { stopPrice: '62500.00' }, stopLoss: { stopPrice: '61000.00' } }));
    const exits = () => s.kernel.openOrders('a').filter((o) => o.clientOrderId !== 'b1');
    // 0.45849 − 0.00045849 BTC fee = 0.45803151, down to the 0.00001 step: 0.45803.
    expect(placed.find((e) => e.type === 'FILL')).toMatchObject({ price: '61828', quantity: '0.45849', fee: '0.00045849' });
    expect(exits().map((o) => [o.clientOrderId, formatFixed(o.quantity)])).toEqual([['b1-tp', '0.45803'], ['b1-sl', '0.45803']]);
    let resized = 0;
    while (!s.done) {
      const step = s.step()!;
      const entryNow = s.kernel.order('1')!;
      if (step.events.some((e) => e.type === 'FILL' && e.clientOrderId === 'b1')) {
        // What the account received from the entry so far, by the fee rule, down to the step.
        const received = roundToIncrement(entryNow.executedQty - entryNow.feeCharged, parseFixed('0.00001'), 'down');
        expect(exits().map((o) => o.quantity)).toEqual([received, received]);
        resized += step.events.filter((e) => e.type === 'ORDER_CANCELED' && e.reason === 'BRACKET_RESIZED').length;
      }
    }
    expect(resized).toBeGreaterThan(0);
    // Never more BTC locked than the account holds: the exits share one reservation.
    const btc = s.kernel.balances('a')!.BTC!;
    expect(btc.locked).toBe(formatFixed(exits()[0]!.quantity));
    s.kernel.checkInvariants();
  });

  it('a pair the trader cut to one leg is placed whole again, sized to the fills, at the next fill of the entry: one pair waits at a time', () => {
    const s = start({ USDT: '70000' });
    s.handle(entry({ type: 'LIMIT', quantity: '1', price: '61828.00', takeProfit: { stopPrice: '62500.00' }, stopLoss: { stopPrice: '61000.00' } }));
    expect(s.handle({ kind: 'order.cancel', time: s.kernel.now, account: 'a', clientOrderId: 'b1-sl' }).map(brief)).toEqual(['ORDER_CANCELED b1-sl CANCELED_BY_USER']);
    // The take-profit left alone keeps the shared reservation.
    expect(s.kernel.balances('a')!.BTC).toEqual({ free: '0.00000151', locked: '0.45803' });
    let next;
    while ((next = s.step()) !== undefined && !next.events.some((e) => e.type === 'FILL' && e.clientOrderId === 'b1'));
    const entryNow = s.kernel.order('1')!;
    const received = formatFixed(roundToIncrement(entryNow.executedQty - entryNow.feeCharged, parseFixed('0.00001'), 'down'));
    const exits = s.kernel.openOrders('a').filter((o) => o.clientOrderId !== 'b1');
    expect(exits.map((o) => [o.clientOrderId, formatFixed(o.quantity)])).toEqual([['b1-tp', received], ['b1-sl', received]]);
    expect(s.kernel.balances('a')!.BTC!.locked).toBe(received);
    s.kernel.checkInvariants();
  });

  it('on futures (USD-M tape from 23:55:30) a market buy of 1 with a bracket closes by reduce-only exits; the one the tape reaches first fills, the other is cancelled', () => {
    const usdm = loadRecording(USDM_RECORDING);
    const s = new RecordingStepper(usdm);
    const entryAt = 1723161330000;
    s.advanceTo(entryAt);
    s.handle({ kind: 'account.open', time: s.kernel.now, account: 'f', type: 'futures', leverage: 10, balances: { USDT: '20000' } });
    const placed = s.handle({ kind: 'order.place', time: s.kernel.now, account: 'f', symbol: s.symbol, side: 'BUY', type: 'MARKET', quantity: '1', ocoGroup: 'fb', clientOrderId: 'fb', takeProfit: { stopPrice: '61830.0' }, stopLoss: { stopPrice: '61700.0' } });
    expect(placed.filter((e) => e.type === 'ORDER_NEW' && e.clientOrderId !== 'fb')).toMatchObject([
      { clientOrderId: 'fb-tp', orderType: 'TAKE_PROFIT', side: 'SELL', quantity: '1', reduceOnly: true },
      { clientOrderId: 'fb-sl', orderType: 'STOP_LOSS', side: 'SELL', quantity: '1', reduceOnly: true },
    ]);
    // Independently: the first trade after entry at or below 61,700.0 or at or above 61,830.0.
    const first = usdm.inputs.find((i) => i.kind === 'trade' && i.time > entryAt && (parseFixed(i.price) <= parseFixed('61700.0') || parseFixed(i.price) >= parseFixed('61830.0')));
    const expected = first!.kind === 'trade' && parseFixed(first!.price) <= parseFixed('61700.0') ? 'fb-sl' : 'fb-tp';
    while (!s.done) s.step();
    const mine = s.events.filter((e) => 'account' in e && e.account === 'f');
    expect(mine.filter((e) => e.type === 'ORDER_TRIGGERED').map((e) => [e.type === 'ORDER_TRIGGERED' && e.clientOrderId, e.at])).toEqual([[expected, first!.time]]);
    expect(mine.filter((e) => e.type === 'ORDER_CANCELED').map((e) => e.type === 'ORDER_CANCELED' && [e.clientOrderId, e.reason])).toEqual([[expected === 'fb-sl' ? 'fb-tp' : 'fb-sl', 'OCO_SIBLING_TRIGGERED']]);
    expect(mine.filter((e) => e.type === 'POSITION_CLOSED')).toHaveLength(1);
    s.kernel.checkInvariants();
  });

  it('an entry cancelled before it fills leaves no exit behind', () => {
    const s = start({ USDT: '1000' });
    s.handle(entry({ type: 'LIMIT', price: '60000.00', takeProfit: { stopPrice: '62000.00' }, stopLoss: { stopPrice: '59000.00' } }));
    s.advanceTo(AT + 10_000);
    expect(s.handle({ kind: 'order.cancel', time: s.kernel.now, account: 'a', clientOrderId: 'b1' }).map(brief)).toEqual(['ORDER_CANCELED b1 CANCELED_BY_USER']);
    s.advanceTo(AT + 60_000);
    expect(orderEvents(s.events).map(brief)).toEqual(['ORDER_NEW b1', 'ORDER_CANCELED b1 CANCELED_BY_USER']);
    expect(s.kernel.balances('a')).toEqual({ USDT: { free: '1000', locked: '0' } });
  });

  it('refuses a bracket it cannot honour and changes nothing', () => {
    const s = start({ USDT: '1000' });
    s.handle({ kind: 'clock', time: AT + 1 });
    const before = s.kernel.snapshot();
    const refusals: [Partial<PlaceOrderInput>, string][] = [
      [{ ocoGroup: undefined, takeProfit: { stopPrice: '62000.00' } }, 'a bracket (takeProfit, stopLoss) needs its group: ocoGroup'],
      [{ takeProfit: { stopPrice: '61000.00' }, stopLoss: { stopPrice: '62000.00' } }, 'takeProfit.stopPrice must be above stopLoss.stopPrice for a BUY entry'],
      [{ takeProfit: { stopPrice: '62000.005' } }, 'takeProfit.stopPrice 62000.005 is not a multiple of the tick size 0.01'],
      [{ stopLoss: { stopPrice: '-1' } }, 'stopLoss.stopPrice must be positive'],
      [{ stopLoss: 'low' as never }, 'stopLoss must be an object {stopPrice, price?}'],
      // Legs on the wrong side of the entry would trigger as soon as it filled: the best ask is 61,828.00.
      [{ takeProfit: { stopPrice: '61800.00' } }, "takeProfit.stopPrice must be above the entry's price 61828 for a BUY entry"],
      [{ type: 'LIMIT', price: '60000.00', stopLoss: { stopPrice: '60500.00' } }, "stopLoss.stopPrice must be below the entry's price 60000 for a BUY entry"],
      [{ type: 'LIMIT', price: '60000.00', takeProfit: { stopPrice: '60000.00' } }, "takeProfit.stopPrice must be above the entry's price 60000 for a BUY entry"],
      [{ side: 'SELL', type: 'LIMIT', price: '63000.00', takeProfit: { stopPrice: '63500.00' } }, "takeProfit.stopPrice must be below the entry's price 63000 for a SELL entry"],
      // Binance's PRICE_FILTER for BTCUSDT: maxPrice 1000000.00. An exit the venue would refuse once the entry filled.
      [{ takeProfit: { stopPrice: '1000000.01' } }, "price is outside the instrument's price range (takeProfit.stopPrice 1000000.01 is above the maximum 1000000)"],
      [{ takeProfit: { stopPrice: '99999999' } }, 'takeProfit.stopPrice 99999999 is above the maximum 1000000'],
      [{ takeProfit: { stopPrice: '62000.00', price: '1000000.01' } }, 'takeProfit.price 1000000.01 is above the maximum 1000000'],
      [{ side: 'SELL', stopLoss: { stopPrice: '1000000.01' } }, 'stopLoss.stopPrice 1000000.01 is above the maximum 1000000'],
    ];
    for (const [fields, message] of refusals) {
      const events = s.handle(entry(fields));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'ORDER_REJECTED' });
      expect(events[0]!.type === 'ORDER_REJECTED' && events[0]!.message).toContain(message);
    }
    const strip = (snapshot: string) => snapshot.replace(/"sequence":\d+/, '');
    expect(strip(s.kernel.snapshot())).toBe(strip(before));
    // At the maximum itself the exit is one the venue takes.
    expect(s.handle(entry({ takeProfit: { stopPrice: '1000000.00' } })).map(brief).filter((b) => b !== 'EQUITY')).toEqual(['ORDER_NEW b1', 'FILL b1', 'ORDER_NEW b1-tp']);
  });

  it("refuses on USD-M a stop-loss under the perpetual's minimum price (Binance's PRICE_FILTER for BTCUSDT: minPrice 556.80), and takes one at it", () => {
    const usdm = loadRecording(USDM_RECORDING);
    const s = new RecordingStepper(usdm);
    s.advanceTo(1723161330000);
    s.handle({ kind: 'account.open', time: s.kernel.now, account: 'f', type: 'futures', leverage: 10, balances: { USDT: '20000' } });
    const place = (stopPrice: string, id: string) => s.handle({ kind: 'order.place', time: s.kernel.now, account: 'f', symbol: s.symbol, side: 'BUY', type: 'LIMIT', price: '60000.0', quantity: '0.01', ocoGroup: id, clientOrderId: id, stopLoss: { stopPrice } });
    const refused = place('556.7', 'low');
    expect(refused).toMatchObject([{ type: 'ORDER_REJECTED', code: 'INVALID_PRICE', message: "price is outside the instrument's price range (stopLoss.stopPrice 556.7 is below the minimum 556.8)" }]);
    expect(place('556.8', 'at').map((e) => e.type)).toContain('ORDER_NEW');
  });

  it('counts the entry and its exits against the caps together, as an OTOCO does: with 5 stops open (MAX_NUM_ALGO_ORDERS 5) a bracket is refused whole and nothing changes; with 4, a stop-loss alone fits and two exits do not', () => {
    const stops = (n: number) => {
      const s = start({ USDT: '1000', BTC: '1' });
      // Sell stops below the tape (61,723.99 at its lowest until 23:57): they wait, each one conditional.
      for (let i = 0; i < n; i += 1) s.handle({ kind: 'order.place', time: AT, account: 'a', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.001', stopPrice: `${61000 - i}.00` });
      expect(s.kernel.openOrders('a')).toHaveLength(n);
      return s;
    };
    // 5 open + the bracket's 2 exits = 7 > 5; 4 + 2 = 6 > 5; 4 + 1 = 5 fits (a MARKET entry is not conditional).
    for (const [n, fields] of [
      [5, { takeProfit: { stopPrice: '61850.00' }, stopLoss: { stopPrice: '61700.00' } }],
      [5, { stopLoss: { stopPrice: '61700.00' } }],
      [4, { takeProfit: { stopPrice: '61850.00' }, stopLoss: { stopPrice: '61700.00' } }],
    ] as const) {
      const s = stops(n);
      const before = s.kernel.snapshot();
      const events = s.handle(entry(fields));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'ORDER_REJECTED', clientOrderId: 'b1', code: 'MAX_NUM_ALGO_ORDERS' });
      expect(s.kernel.snapshot().replace(/"sequence":\d+/, '')).toBe(before.replace(/"sequence":\d+/, ''));
      // Only the stops' 0.001 BTC each is locked: no entry filled.
      expect(s.kernel.balances('a')).toEqual({ BTC: { free: n === 5 ? '0.995' : '0.996', locked: n === 5 ? '0.005' : '0.004' }, USDT: { free: '1000', locked: '0' } });
    }
    const s = stops(4);
    const placed = s.handle(entry({ stopLoss: { stopPrice: '61700.00' } }));
    expect(placed.filter((e) => e.type !== 'EQUITY').map(brief)).toEqual(['ORDER_NEW b1', 'FILL b1', 'ORDER_NEW b1-sl']);
    expect(s.kernel.openOrders('a')).toHaveLength(5);
  });

  it('survives a restart: a kernel restored from a snapshot taken between two fills of the entry goes on exactly as the one that ran through', () => {
    const config = { instruments: [new RecordingStepper(recording).kernel.instrument('BTCUSDT')!] };
    const s = start({ USDT: '70000' });
    s.handle(entry({ type: 'LIMIT', quantity: '1', price: '61828.00', takeProfit: { stopPrice: '61850.00' }, stopLoss: { stopPrice: '61700.00' } }));
    const restored = Kernel.restore(config, s.kernel.snapshot());
    const ran: KernelEvent[] = [];
    const again: KernelEvent[] = [];
    while (!s.done) {
      const input = s.peek()!;
      ran.push(...s.step()!.events);
      again.push(...restored.handle(input));
    }
    expect(JSON.stringify(again)).toBe(JSON.stringify(ran));
    expect(ran.some((e) => e.type === 'ORDER_NEW' && e.clientOrderId === 'b1-tp')).toBe(true);
    expect(restored.snapshot()).toBe(s.kernel.snapshot());
  });
});
