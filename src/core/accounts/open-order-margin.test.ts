import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { Kernel } from '../kernel/kernel.js';
import type { KernelEvent } from '../kernel/events.js';
import { formatFixed } from '../money/fixed.js';
import type { FuturesAccount } from './futures-account.js';

/**
 * A futures order's reserved margin follows the position (one-way mode): only the part of an open
 * order that would open or increase the position holds initial margin and its fee reserve
 * (docs/adr/0074-open-order-margin-follows-the-position.md). BTCUSDT perpetual, Binance's standard
 * rates: maker 0.02 %, taker 0.05 % (the worst rate, 0.05 %, is what a resting order reserves its fee
 * at); margin = notional / leverage, up to 8 decimals; isolated account at 10x. Figures by hand.
 */
describe('open-order margin follows the position', () => {
  const T = 1723161300000;
  const PERP = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
  let updateId = 0;

  const start = (balance: string) => {
    const k = new Kernel({ instruments: [PERP], equityIntervalMs: 0 });
    const book = (bid: string, ask: string): KernelEvent[] =>
      k.handle({ kind: 'book.snapshot', time: T, symbol: 'BTCUSDT', lastUpdateId: ++updateId, bids: [[bid, '5']], asks: [[ask, '5']] });
    book('60400.0', '60400.1');
    k.handle({ kind: 'account.open', time: T, account: 'f', type: 'futures', leverage: 10, balances: { USDT: balance } });
    const account = k.account('f') as FuturesAccount;
    const place = (fields: Record<string, unknown>): KernelEvent[] => {
      const events = k.handle({ kind: 'order.place', time: T, account: 'f', symbol: 'BTCUSDT', ...fields } as never);
      k.checkInvariants();
      return events;
    };
    const idOf = (events: readonly KernelEvent[]): string => {
      const placed = events.find((e) => e.type === 'ORDER_NEW');
      if (placed === undefined || !('orderId' in placed)) throw new Error(`not placed: ${JSON.stringify(events)}`);
      return placed.orderId;
    };
    const figures = (...ids: string[]) => [formatFixed(account.cash), formatFixed(account.reserved), ...ids.map((id) => formatFixed(k.order(id)?.locked ?? -1n))];
    return { k, account, book, place, idOf, figures };
  };

  it('a buy placed flat reserves 12.1203; a short larger than it takes it to 0; the short closed by another order gives it back', () => {
    const { k, account, place, idOf, figures } = start('1000');
    // 0.002 × 60,300 = 120.6: margin 120.6 / 10 = 12.06, fee reserve 120.6 × 0.0005 = 0.0603; 12.1203 of 1,000.
    const buy = idOf(place({ side: 'BUY', type: 'LIMIT', quantity: '0.002', price: '60300' }));
    expect(figures(buy)).toEqual(['987.8797', '12.1203', '12.1203']);

    // Sell 0.005 at the bid 60,400: 302 of notional, margin 30.2, fee 302 × 0.0005 = 0.151. Short 0.005 ≥ the
    // buy's 0.002: the buy would only close it, so it holds nothing. Cash 1,000 − 30.2 − 0.151 = 969.649.
    const sold = place({ side: 'SELL', type: 'MARKET', quantity: '0.005' });
    expect(sold.map((e) => e.type)).toEqual(['ORDER_NEW', 'FILL', 'POSITION_OPENED', 'EQUITY']);
    expect(account.positions.get('BTCUSDT')!.size).toBe(-5n * 10n ** 15n);
    expect(figures(buy)).toEqual(['969.649', '0', '0']);

    // Buy 0.005 at the ask 60,400.1 closes the short: realized (60,400 − 60,400.1) × 0.005 = −0.0005, fee
    // 302.0005 × 0.0005 = 0.15100025, the margin 30.2 back. Flat again, the buy opens its whole 0.002: 12.1203.
    // Cash 969.649 + 30.2 − 0.0005 − 0.15100025 − 12.1203 = 987.57719975.
    const closed = place({ side: 'BUY', type: 'MARKET', quantity: '0.005' });
    expect(closed.map((e) => e.type)).toEqual(['ORDER_NEW', 'FILL', 'POSITION_CLOSED', 'EQUITY']);
    expect(figures(buy)).toEqual(['987.57719975', '12.1203', '12.1203']);
    // Wallet: 1,000 − 0.151 − 0.15100025 − 0.0005.
    expect(formatFixed(account.wallet())).toBe('999.69749975');
    k.checkInvariants();
  });

  it('a short smaller than a resting buy leaves margin on the part the buy opens beyond it', () => {
    const { place, idOf, figures } = start('1000');
    // 0.004 × 60,300 = 241.2: 24.12 + 0.1206 = 24.2406.
    const buy = idOf(place({ side: 'BUY', type: 'LIMIT', quantity: '0.004', price: '60300' }));
    expect(figures(buy)).toEqual(['975.7594', '24.2406', '24.2406']);
    // Sell 0.002 at 60,400: 120.8, margin 12.08, fee 0.0604. The buy closes 0.002 and opens 0.002:
    // 0.002 × 60,300 = 120.6 → 12.06 + 0.0603 = 12.1203. Cash 1,000 − 12.08 − 0.0604 − 12.1203 = 975.7393.
    place({ side: 'SELL', type: 'MARKET', quantity: '0.002' });
    expect(figures(buy)).toEqual(['975.7393', '12.1203', '12.1203']);
  });

  it('orders against a position share it once, in placement order: the second buy reserves what the first leaves uncovered', () => {
    const { place, idOf, figures } = start('1000');
    // Short 0.005 at 60,400 (margin 30.2, fee 0.151): cash 969.649.
    place({ side: 'SELL', type: 'MARKET', quantity: '0.005' });
    // The first buy (0.003) closes 0.003 of it: nothing. The second (0.004) closes the 0.002 left and opens 0.002:
    // 0.002 × 60,000 = 120 → 12 + 0.06 = 12.06. Cash 969.649 − 12.06 = 957.589.
    const first = idOf(place({ side: 'BUY', type: 'LIMIT', quantity: '0.003', price: '60300' }));
    const second = idOf(place({ side: 'BUY', type: 'LIMIT', quantity: '0.004', price: '60000' }));
    expect(figures(first, second)).toEqual(['957.589', '12.06', '0', '12.06']);
  });

  it('cancelling an order that took a share of the position hands it to the orders placed after it', () => {
    const { k, place, idOf, figures } = start('1000');
    place({ side: 'SELL', type: 'MARKET', quantity: '0.005' });
    const first = idOf(place({ side: 'BUY', type: 'LIMIT', quantity: '0.003', price: '60300' }));
    const second = idOf(place({ side: 'BUY', type: 'LIMIT', quantity: '0.004', price: '60000' }));
    expect(figures(first, second)).toEqual(['957.589', '12.06', '0', '12.06']);
    // The second now closes 0.004 of the 0.005: its 12.06 back to the cash, 969.649.
    const events = k.handle({ kind: 'order.cancel', time: T, account: 'f', orderId: first });
    expect(events.map((e) => e.type)).toEqual(['ORDER_CANCELED']);
    expect(figures(second)).toEqual(['969.649', '0', '0']);
    k.checkInvariants();
  });

  it('a non-reduce-only stop-loss buy against a short reserves nothing, and its margin at the stop once the short is gone', () => {
    const { place, idOf, figures } = start('1000');
    place({ side: 'SELL', type: 'MARKET', quantity: '0.005' });
    const stop = idOf(place({ side: 'BUY', type: 'STOP_LOSS', quantity: '0.005', stopPrice: '62000' }));
    expect(figures(stop)).toEqual(['969.649', '0', '0']);
    // Closed at the ask 60,400.1 (realized −0.0005, fee 0.15100025, margin 30.2 back): the stop now opens 0.005 at
    // 62,000 = 310 → 31 + 310 × 0.0005 = 0.155: 31.155. Cash 969.649 + 30.2 − 0.0005 − 0.15100025 − 31.155 = 968.54249975.
    place({ side: 'BUY', type: 'MARKET', quantity: '0.005' });
    expect(figures(stop)).toEqual(['968.54249975', '31.155', '31.155']);
  });

  it('an order whose new margin the free cash cannot cover expires (INSUFFICIENT_BALANCE) and hands its reservation back', () => {
    const { k, account, book, place, idOf, figures } = start('50');
    // Buy 0.002 at 60,300 flat: 12.1203, cash 37.8797.
    const first = idOf(place({ side: 'BUY', type: 'LIMIT', quantity: '0.002', price: '60300' }));
    // Short 0.005 at 60,400 (margin 30.2, fee 0.151): the first buy holds nothing now. Cash 37.8797 + 12.1203 − 30.351 = 19.649.
    place({ side: 'SELL', type: 'MARKET', quantity: '0.005' });
    expect(figures(first)).toEqual(['19.649', '0', '0']);
    // Buy 0.004 at 60,000: the short's 0.003 left covers 0.003 of it; 0.001 opens: 60 → 6 + 0.03 = 6.03. Cash 13.619.
    const second = idOf(place({ side: 'BUY', type: 'LIMIT', quantity: '0.004', price: '60000' }));
    expect(figures(first, second)).toEqual(['13.619', '6.03', '0', '6.03']);
    // The market moves to 64,000 / 64,000.1 (isolated short: margin 30.2 − uPnL 18.0005 > maintenance 1.28: no liquidation).
    book('64000.0', '64000.1');
    expect(account.positions.get('BTCUSDT')!.size).toBe(-5n * 10n ** 15n);
    // Buy 0.005 at 64,000.1 closes it: realized (60,400 − 64,000.1) × 0.005 = −18.0005, fee 320.0005 × 0.0005 = 0.16000025,
    // margin 30.2 back: cash 13.619 + 30.2 − 18.0005 − 0.16000025 = 25.65849975. Flat: the first buy (placed first) needs
    // 12.1203 more: 13.53819975 left; the second needs 0.004 × 60,000 = 240 → 24 + 0.12 = 24.12, 18.09 more: not there.
    // It expires, its 6.03 back: cash 19.56819975, reserved 12.1203 (the first buy's).
    const events = place({ side: 'BUY', type: 'MARKET', quantity: '0.005' });
    expect(events.map((e) => e.type)).toEqual(['ORDER_NEW', 'FILL', 'POSITION_CLOSED', 'ORDER_EXPIRED', 'EQUITY']);
    expect(events.find((e) => e.type === 'ORDER_EXPIRED')).toMatchObject({ orderId: second, reason: 'INSUFFICIENT_BALANCE' });
    expect(figures(first)).toEqual(['19.56819975', '12.1203', '12.1203']);
    // Wallet: 50 − 0.151 − 18.0005 − 0.16000025.
    expect(formatFixed(account.wallet())).toBe('31.68849975');
    k.checkInvariants();
  });

  it('a snapshot taken before reservations followed the position restores to its own figures; the next fill brings them to the rule', () => {
    // Taken by the kernel before this rule: the buy 0.002 @ 60,300 placed flat (12.1203), then a market sell of 0.005 at
    // 60,400 (margin 30.2, fee 0.151): the buy, now only closing the short, still holds its 12.1203. Cash 1,000 − 12.1203 − 30.351.
    const k = Kernel.restore({ instruments: [PERP], equityIntervalMs: 0 }, SNAPSHOT_BEFORE_THE_RULE);
    const account = k.account('f') as FuturesAccount;
    expect([formatFixed(account.cash), formatFixed(account.reserved), formatFixed(k.order('1')!.locked)]).toEqual(['957.5287', '12.1203', '12.1203']);
    expect(k.balances('f')).toEqual({ USDT: { free: '957.5287', locked: '42.3203' } });
    k.checkInvariants();
    expect(k.snapshot()).toBe(SNAPSHOT_BEFORE_THE_RULE);
    // Buy 0.002 at the ask 60,400.1: 120.8002, fee 0.0604001, realized (60,400 − 60,400.1) × 0.002 = −0.0002, margin
    // 30.2 × 2/5 = 12.08 back. Short 0.003 ≥ the resting 0.002: its 12.1203 goes back too.
    // Cash 957.5287 + 12.08 − 0.0002 − 0.0604001 + 12.1203 = 981.6683999; the position keeps 18.12.
    k.handle({ kind: 'order.place', time: T, account: 'f', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.002' });
    expect([formatFixed(account.cash), formatFixed(account.reserved), formatFixed(k.order('1')!.locked)]).toEqual(['981.6683999', '0', '0']);
    expect(formatFixed(account.positions.get('BTCUSDT')!.margin)).toBe('18.12');
    k.checkInvariants();
  });
});

/** `Kernel.snapshot()` of the state described in its test, as the kernel wrote it before open-order margin followed the position. */
const SNAPSHOT_BEFORE_THE_RULE =
  "{\"version\":1,\"config\":\"{\\\"instruments\\\":[\\\"binance:perpetual:BTCUSDT\\\"],\\\"latencyMs\\\":0,\\\"triggerSource\\\":\\\"last\\\",\\\"equityIntervalMs\\\":0,\\\"valuationAsset\\\":\\\"USDT\\\",\\\"fundingIntervalMs\\\":28800000,\\\"fundingRates\\\":[]}\",\"clock\":1723161300000,\"started\":true,\"sequence\":4,\"orderSeq\":2,\"tradeSeq\":1,\"nextSampleAt\":0,\"nextFundingAt\":1723161600000,\"markets\":[{\"symbol\":\"BTCUSDT\",\"sync\":{\"status\":\"synced\",\"lastUpdateId\":1,\"reason\":\"\",\"buffer\":[],\"bids\":[[{\"$n\":\"60400000000000000000000\"},{\"$n\":\"5000000000000000000\"}]],\"asks\":[[{\"$n\":\"60400100000000000000000\"},{\"$n\":\"5000000000000000000\"}]]},\"own\":[[\"bid\",{\"$n\":\"60400000000000000000000\"},{\"$n\":\"5000000000000000\"},{\"$n\":\"0\"},false]],\"resting\":[\"1\"],\"waiting\":[],\"conditionals\":[],\"mark\":{\"$n\":\"60400000000000000000000\"},\"markFromInput\":false,\"lastBookAt\":1723161300000,\"bookStatedAt\":1723161300000,\"queueStatedAt\":[[\"BUY\",{\"$n\":\"60300000000000000000000\"},1723161300000]],\"averagePrice\":{\"buckets\":[]}}],\"accounts\":[{\"kind\":\"futures\",\"id\":\"f\",\"fees\":{},\"settleAsset\":\"USDT\",\"marginMode\":\"isolated\",\"defaultLeverage\":10,\"cash\":{\"$n\":\"957528700000000000000\"},\"reserved\":{\"$n\":\"12120300000000000000\"},\"positions\":[{\"id\":\"f:BTCUSDT:1\",\"symbol\":\"BTCUSDT\",\"size\":{\"$n\":\"-5000000000000000\"},\"entryPrice\":{\"$n\":\"60400000000000000000000\"},\"leverage\":10,\"margin\":{\"$n\":\"30200000000000000000\"},\"realizedPnl\":{\"$n\":\"0\"},\"totalFundingPaid\":{\"$n\":\"0\"},\"feesPaid\":{\"$n\":\"151000000000000000\"},\"openedAt\":1723161300000}],\"leverage\":[],\"ledger\":{\"deposits\":{\"$n\":\"1000000000000000000000\"},\"realizedPnl\":{\"$n\":\"0\"},\"fees\":{\"$n\":\"151000000000000000\"},\"funding\":{\"$n\":\"0\"}},\"positionSeq\":1}],\"health\":[[\"f\",{\"tracker\":[{\"$n\":\"1000000000000000000000\"},{\"$n\":\"151000000000000\"},{\"$n\":\"151000000000000\"},{\"$n\":\"151000000000000000\"}],\"closeOnHalt\":false,\"halted\":false,\"lastEquity\":{\"$n\":\"999849000000000000000\"},\"changedAt\":1723161300000}]],\"orders\":[{\"id\":\"1\",\"clientOrderId\":\"papertrade-1\",\"account\":\"f\",\"symbol\":\"BTCUSDT\",\"side\":\"BUY\",\"type\":\"LIMIT\",\"price\":{\"$n\":\"60300000000000000000000\"},\"quantity\":{\"$n\":\"2000000000000000\"},\"submittedAt\":1723161300000,\"arrivesAt\":1723161300000,\"arrivalSeq\":3,\"status\":\"NEW\",\"executedQty\":{\"$n\":\"0\"},\"cumulativeQuoteQty\":{\"$n\":\"0\"},\"locked\":{\"$n\":\"12120300000000000000\"},\"lockedAsset\":\"USDT\",\"queueAhead\":{\"$n\":\"0\"},\"updatedAt\":1723161300000,\"leverage\":10,\"reduceOnly\":false,\"triggered\":true,\"feeExact\":{\"$n\":\"0\"},\"feeCharged\":{\"$n\":\"0\"}}],\"clientIds\":[[\"f\",[[\"papertrade-1\",\"1\"]]]],\"pending\":[]}";
