/**
 * The library API under hostile calls: a bad call gets a clear error and changes nothing, and the
 * engine keeps working after it (PRODUCT.md C5). "Nothing changed" is checked on what a bot author
 * sees: no event reaches a subscriber, the account summary is the same, and the account's cash
 * still reconciles with its fills (initial balance + realized PnL − fees − funding).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseFixed, formatFixed } from '../core/money/fixed.js';
import { decimalText } from '../strategy/candles.js';
import { PaperTradingEngine } from './paper-trading-engine.js';
import type { PaperTradingEvent } from './engine-events.js';

const T0 = 1_700_000_000_000;
const TACTICS = { name: 't', entry: { type: 'market' }, stopLoss: { type: 'percent', percent: 1 }, takeProfits: [{ percent: 2, share: 1 }] };

function engineWithAccount() {
  const engine = new PaperTradingEngine();
  const events: PaperTradingEvent[] = [];
  engine.subscribe((e) => events.push(e));
  engine.advanceTo(T0);
  engine.createAccount({ id: 'a', initialBalance: '10000', tacticsSets: [TACTICS] });
  engine.updatePrices({ BTCUSDT: '60000' }, T0);
  return { engine, events };
}

/** Wallet cash from the fills alone: initial + Σ realized PnL − Σ fees − Σ funding paid. */
function cashFromEvents(events: readonly PaperTradingEvent[], account: string, initial: string): string {
  let cash = parseFixed(initial);
  for (const e of events) {
    if (!('account' in e) || e.account !== account) continue;
    if (e.type === 'FILL') cash += parseFixed(e.realizedPnl ?? '0') - parseFixed(e.fee);
    if (e.type === 'FUNDING') cash -= parseFixed(e.amount);
  }
  return formatFixed(cash);
}

function walletCash(engine: PaperTradingEngine, account: string): string {
  const usdt = engine.getAccount(account).balances.USDT!;
  return formatFixed(parseFixed(usdt.free) + parseFixed(usdt.locked));
}

afterEach(() => vi.restoreAllMocks());

describe('hostile calls to the library engine', () => {
  it('a listener that throws does not cut the engine off from its own events: the stop-loss is still placed and still triggers', () => {
    const { engine, events } = engineWithAccount();
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    engine.subscribe((e) => {
      if (e.type === 'FILL') throw new Error('a bug in the bot');
    });
    const outcome = engine.openPosition('a', { symbol: 'BTCUSDT', side: 'LONG', quantity: '0.1' });
    expect(outcome.ok).toBe(true);
    expect(error).toHaveBeenCalled();
    // Tactics: stop 1 % under the reference price 60000 → 59400; the target 2 % over it → 61200.
    const stops = engine.kernel.openOrders('a').map((o) => [o.type, o.stopPrice === undefined ? undefined : formatFixed(o.stopPrice)]);
    expect(stops).toEqual(expect.arrayContaining([['STOP_LOSS', '59400'], ['TAKE_PROFIT', '61200']]));
    engine.updatePrices({ BTCUSDT: '59000' }, T0 + 1_000);
    expect(engine.getAccount('a').positions).toEqual([]);
    expect(walletCash(engine, 'a')).toBe(cashFromEvents(events, 'a', '10000'));
    engine.kernel.checkInvariants();
  });

  it('a truncated or edited snapshot is refused and the engine keeps its accounts, positions and orders', async () => {
    const { engine, events } = engineWithAccount();
    expect(engine.openPosition('a', { symbol: 'BTCUSDT', side: 'LONG', quantity: '0.1' }).ok).toBe(true);
    const before = engine.getAccount('a');
    const orders = engine.kernel.openOrders('a').length;
    const snapshot = engine.snapshot();
    await expect(engine.restoreAccounts(snapshot.slice(0, Math.floor(snapshot.length / 2)))).rejects.toThrow();
    const edited = snapshot.replace('"tacticsSets":[', '"strategyId":"no-such-strategy","tacticsSets":[');
    expect(edited).not.toBe(snapshot);
    await expect(engine.restoreAccounts(edited)).rejects.toThrow(/no-such-strategy/);
    // A counter that is not a number would make the next unnamed createAccount loop for ever.
    const badCounter = snapshot.replace(/"nextId":\d+/, '"nextId":"x"');
    expect(badCounter).not.toBe(snapshot);
    await expect(engine.restoreAccounts(badCounter)).rejects.toThrow(/nextId/);
    const badRunning = snapshot.replace('"running":false', '"running":"yes"');
    expect(badRunning).not.toBe(snapshot);
    await expect(engine.restoreAccounts(badRunning)).rejects.toThrow(/running/);
    expect(engine.listAccounts().map((a) => a.id)).toEqual(['a']);
    expect(engine.getAccount('a')).toEqual(before);
    expect(engine.kernel.openOrders('a').length).toBe(orders);
    // Still at work: the stop at 59400 triggers.
    engine.updatePrices({ BTCUSDT: '59000' }, T0 + 1_000);
    expect(engine.getAccount('a').positions).toEqual([]);
    expect(walletCash(engine, 'a')).toBe(cashFromEvents(events, 'a', '10000'));
    engine.kernel.checkInvariants();
  });

  it('createAccount refused for a per-symbol leverage leaves no half-made account behind', () => {
    const engine = new PaperTradingEngine();
    const events: PaperTradingEvent[] = [];
    engine.subscribe((e) => events.push(e));
    const refused: Record<string, number>[] = [{ BTCUSDT: 200 }, { BTCUSDT: 0 }, { BTCUSDT: 2.5 }, { NOSUCHUSDT: 3 }];
    for (const leverage of refused) {
      expect(() => engine.createAccount({ id: 'x', leverage })).toThrow(/leverage/);
      expect(engine.kernel.account('x')).toBeUndefined();
    }
    expect(events).toEqual([]);
    expect(engine.createAccount({ id: 'x', leverage: { BTCUSDT: 3 } }).id).toBe('x');
  });

  it('createAccount refuses a symbols list with a symbol the engine does not know', () => {
    const engine = new PaperTradingEngine();
    expect(() => engine.createAccount({ id: 'x', symbols: ['BTCUSDT', 'BTCUSD'] })).toThrow(/BTCUSD\b/);
    expect(engine.kernel.account('x')).toBeUndefined();
    expect(engine.createAccount({ id: 'x', symbols: ['BTCUSDT'] }).id).toBe('x');
  });

  it('openPosition with a side other than LONG, SHORT, BUY or SELL is refused, not taken as SHORT', () => {
    const { engine } = engineWithAccount();
    for (const side of ['long', 'buy', 'Short', '', undefined]) {
      const outcome = engine.openPosition('a', { symbol: 'BTCUSDT', side: side as 'LONG' });
      expect(outcome.ok).toBe(false);
      expect(outcome.ok ? '' : outcome.reason).toMatch(/side/);
    }
    expect(engine.kernel.openOrders('a')).toEqual([]);
    expect(engine.getAccount('a').positions).toEqual([]);
  });

  it('updatePrices refuses a price that is not positive, an unknown symbol or a time that is not Unix ms, before anything moves', () => {
    const { engine, events } = engineWithAccount();
    const now = engine.kernel.now;
    const bad: [Record<string, string | number>, number | undefined][] = [
      [{ BTCUSDT: '0' }, T0 + 60_000],
      [{ BTCUSDT: '-1' }, T0 + 60_000],
      [{ BTCUSDT: -5 }, T0 + 60_000],
      [{ AAAUSDT: '5', BTCUSDT: '60100' }, T0 + 60_000],
      [{ BTCUSDT: '60100', ZZZUSDT: '5' }, T0 + 60_000],
      [{ BTCUSDT: '60100' }, Number.NaN],
      [{ BTCUSDT: '60100' }, 1.5],
    ];
    for (const [prices, time] of bad) {
      const count = events.length;
      expect(() => engine.updatePrices(prices, time)).toThrow(RangeError);
      expect(events.length).toBe(count);
      expect(engine.kernel.now).toBe(now);
    }
    // The last good price (60000) is still the reference: the stop goes 1 % under it.
    expect(engine.openPosition('a', { symbol: 'BTCUSDT', side: 'LONG', quantity: '0.1' }).ok).toBe(true);
    expect(engine.kernel.openOrders('a').find((o) => o.type === 'STOP_LOSS')?.stopPrice).toBe(parseFixed('59400'));
    // The forming candle was not poisoned by the refused prices: the next minute closes it cleanly.
    expect(() => engine.updatePrices({ BTCUSDT: '60010' }, T0 + 60_000)).not.toThrow();
    expect(() => engine.updatePrices({ BTCUSDT: '60020' }, T0 + 120_000)).not.toThrow();
    expect(walletCash(engine, 'a')).toBe(cashFromEvents(events, 'a', '10000'));
    engine.kernel.checkInvariants();
  });
  it('processCandles refuses a batch holding a candle with a negative volume, whole, before any candle is replayed', () => {
    const { engine, events } = engineWithAccount();
    const now = engine.kernel.now;
    const bar = (i: number, volume: string) => ({ openTime: T0 + i * 60_000, open: '60000', high: '60100', low: '59900', close: '60050', volume });
    const count = events.length;
    expect(() => engine.processCandles('a', 'BTCUSDT', [bar(1, '2'), bar(2, '-0.5'), bar(3, '1')])).toThrow(`candle at ${T0 + 120_000} has a negative volume: -0.5`);
    expect(events.length).toBe(count);
    expect(engine.kernel.now).toBe(now);
    // Nothing of the batch was replayed: the same candles with a real volume are all taken.
    expect(engine.processCandles('a', 'BTCUSDT', [bar(1, '2'), bar(2, '0.5'), bar(3, '1')]).candles).toBe(3);
    engine.kernel.checkInvariants();
  });
  it('a trade the kernel refuses in feedMarket does not reach the reference price or the candles', () => {
    const { engine, events } = engineWithAccount();
    for (const price of ['-5', '0']) {
      engine.feedMarket({ kind: 'trade', time: T0 + 1_000, symbol: 'BTCUSDT', tradeId: 1, price, quantity: '1', buyerMaker: false });
      expect(events.at(-1)?.type).toBe('INPUT_REJECTED');
    }
    // The last accepted price (60000) is still the reference: the stop goes 1 % under it.
    expect(engine.openPosition('a', { symbol: 'BTCUSDT', side: 'LONG', quantity: '0.1' }).ok).toBe(true);
    expect(engine.kernel.openOrders('a').find((o) => o.type === 'STOP_LOSS')?.stopPrice).toBe(parseFixed('59400'));
    // The minute's candle holds only accepted prices: closing it in the next minute works.
    expect(() => engine.updatePrices({ BTCUSDT: '60010' }, T0 + 60_000)).not.toThrow();
    engine.kernel.checkInvariants();
  });
});

describe('createAccount refuses a config it cannot run, before the account exists', () => {
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['an id that is not a string', { id: 5 }, /id must be a non-empty string/],
    ['a strategy that is not a factory', { id: 's', strategy: 'rsi-reversal' }, /strategy must be a strategy factory/],
    ['strategyParams the strategy refuses', { id: 's', strategyId: 'rsi-reversal', strategyParams: { period: 'abc' } }, /period/],
    ['a negative period, which would never signal', { id: 's', strategyId: 'rsi-reversal', strategyParams: { period: -5 } }, /rsi-reversal: period must be a whole number from 2 to 100000, got -5/],
    ['a fast EMA as long as the slow one', { id: 's', strategyId: 'ema-crossover', strategyParams: { fast: 21, slow: 21 } }, /ema-crossover: fast must be shorter than slow, got fast 21 and slow 21/],
    ['bands no close can break', { id: 's', strategyId: 'bollinger-breakout', strategyParams: { deviations: 0 } }, /bollinger-breakout: deviations must be a number above 0/],
    ['autoTrading that is not true or false', { id: 's', autoTrading: 'yes', tacticsSets: [TACTICS] }, /autoTrading must be true or false/],
  ];
  for (const [what, config, message] of bad) {
    it(what, () => {
      const engine = new PaperTradingEngine();
      const events: PaperTradingEvent[] = [];
      engine.subscribe((e) => events.push(e));
      expect(() => engine.createAccount(config)).toThrow(message);
      expect(events).toEqual([]);
      expect(engine.listAccounts()).toEqual([]);
      expect(engine.kernel.accountIds()).toEqual([]);
    });
  }
});

describe('advanceTo', () => {
  it('refuses a time that is not Unix ms instead of ignoring it', () => {
    const engine = new PaperTradingEngine();
    engine.advanceTo(T0);
    for (const time of [Number.NaN, T0 + 0.5, -1, `${T0 + 60_000}`]) {
      expect(() => engine.advanceTo(time as number)).toThrow(RangeError);
      expect(engine.kernel.now).toBe(T0);
    }
    engine.advanceTo(T0 + 60_000);
    expect(engine.kernel.now).toBe(T0 + 60_000);
    // Backwards stays a no-op: the clock never runs back.
    engine.advanceTo(T0);
    expect(engine.kernel.now).toBe(T0 + 60_000);
  });
});

describe('a listener that calls the engine', () => {
  for (const trigger of ['ORDER_NEW', 'FILL', 'POSITION_OPENED'] as const) {
    it(`closing the position from its ${trigger} event: every subscriber still sees the position open before it closes`, () => {
      const { engine, events } = engineWithAccount();
      let closed = false;
      engine.subscribe((e) => {
        if (!closed && e.type === trigger) {
          closed = true;
          engine.closePosition('a', 'BTCUSDT');
        }
      });
      const seen: PaperTradingEvent[] = [];
      engine.subscribe((e) => seen.push(e));
      engine.openPosition('a', { symbol: 'BTCUSDT', side: 'LONG', quantity: '0.1' });
      const order = seen.filter((e) => e.type === 'FILL' || e.type === 'POSITION_OPENED' || e.type === 'POSITION_CLOSED').map((e) => (e.type === 'FILL' ? `FILL ${e.side}` : e.type));
      expect(order).toEqual(['FILL BUY', 'POSITION_OPENED', 'FILL SELL', 'POSITION_CLOSED']);
      // The position as the fills build it, one subscriber's view: 0.1 bought, then 0.1 sold.
      let size = 0n;
      for (const e of seen) {
        if (e.type === 'FILL') size += (e.side === 'BUY' ? 1n : -1n) * parseFixed(e.quantity);
        if (e.type === 'POSITION_OPENED') expect(size).toBe(parseFixed('0.1'));
        if (e.type === 'POSITION_CLOSED') expect(size).toBe(0n);
      }
      expect(engine.getAccount('a').positions).toEqual([]);
      expect(walletCash(engine, 'a')).toBe(cashFromEvents(events, 'a', '10000'));
      engine.kernel.checkInvariants();
    });
  }
});

describe('numbers handed to the engine (prices, balances, quantities) as JS numbers', () => {
  it('are read as the float’s shortest representation, exactly, never rounded or left with an exponent', () => {
    for (const value of [1e21, 1e30, 1.2345678901234e-7, 5e-19, 1.5e-7, -2.5e-8, 61000.5, 0.1 + 0.2, 1e-18]) {
      const text = decimalText(value);
      expect(text).not.toMatch(/e/i);
      expect(Number(text)).toBe(value);
    }
    // More than 18 decimal places is then refused, not rounded into another amount.
    const engine = new PaperTradingEngine();
    expect(() => engine.createAccount({ id: 'x', initialBalance: 5e-19 })).toThrow(/decimal places/);
    expect(engine.kernel.account('x')).toBeUndefined();
  });
});

describe('openPosition with tactics whose stop or target the exchange would refuse', () => {
  // BTCUSDT's price filter: 556.8 … 1000000 (Binance exchangeInfo).
  const far = (stopPercent: number, targetPercent: number, trailingStop?: { activationPercent: number; callbackPercent: number }) => ({
    name: 'far', entry: { type: 'market' }, stopLoss: { type: 'percent', percent: stopPercent }, takeProfits: [{ percent: targetPercent, share: 1 }], ...(trailingStop ? { trailingStop } : {}),
  });
  // The trailing stop's callback on Binance USD-M: 0.1 % … 10 % (callbackRate).
  const cases: [string, unknown, RegExp][] = [
    ['a stop 99.5 % under 60000 (300, under the minimum price)', far(99.5, 2), /stop 300 is outside the price range 556.8 … 1000000/],
    ['a target 10000 % over 60000 (6060000, over the maximum price)', far(1, 10000), /take-profit 6060000 is outside the price range/],
    ['a trailing stop activated 5000 % over 60000 (3060000)', far(1, 2, { activationPercent: 5000, callbackPercent: 1 }), /trailing stop activation 3060000 is outside the price range/],
    ['a trailing stop with a 50 % callback', far(1, 2, { activationPercent: 1, callbackPercent: 50 }), /trailing stop callback 50 % is outside 0.1 … 10 %/],
    ['a trailing stop with a 0.01 % callback', far(1, 2, { activationPercent: 1, callbackPercent: 0.01 }), /trailing stop callback 0.01 % is outside/],
  ];
  for (const [what, tactics, reason] of cases) {
    it(`is refused for ${what}, instead of opening a position without it`, () => {
      const { engine, events } = engineWithAccount();
      const count = events.length;
      const outcome = engine.openPosition('a', { symbol: 'BTCUSDT', side: 'LONG', quantity: '0.01', tactics });
      expect(outcome.ok ? '' : outcome.reason).toMatch(reason);
      expect(events.slice(count).map((e) => e.type)).toEqual(['ERROR']);
      expect(engine.getAccount('a').positions).toEqual([]);
      expect(engine.kernel.openOrders('a')).toEqual([]);
    });
  }
});

describe('openPosition asks the kernel whether the exchange would take its exits', () => {
  // Binance USD-M BTCUSDT's PRICE_FILTER: tickSize 0.1 (exchangeInfo, as bundled).
  const fixedStop = (price: string) => ({ name: 'fixed', entry: { type: 'market' }, stopLoss: { type: 'price', price }, takeProfits: [{ percent: 2, share: 1 }] });

  it('refuses a fixed stop off the 0.1 tick, which the exchange would refuse once the entry filled', () => {
    const { engine, events } = engineWithAccount();
    const count = events.length;
    const outcome = engine.openPosition('a', { symbol: 'BTCUSDT', side: 'LONG', quantity: '0.01', tactics: fixedStop('59000.05') });
    expect(outcome.ok ? '' : outcome.reason).toBe('stop 59000.05 is refused on BTCUSDT: price is not a multiple of the tick size (stopPrice: tick size is 0.1)');
    expect(events.slice(count).map((e) => e.type)).toEqual(['ERROR']);
    expect(engine.getAccount('a').positions).toEqual([]);
    expect(engine.kernel.openOrders('a')).toEqual([]);
  });

  it('opens with a fixed stop on the tick, and its stop rests', () => {
    const { engine } = engineWithAccount();
    expect(engine.openPosition('a', { symbol: 'BTCUSDT', side: 'LONG', quantity: '0.01', tactics: fixedStop('59000.1') }).ok).toBe(true);
    const stops = engine.kernel.openOrders('a').filter((o) => o.type === 'STOP_LOSS').map((o) => formatFixed(o.stopPrice!));
    expect(stops).toEqual(['59000.1']);
  });

  it('does not ask now what the market decides at the fill: a limit entry 5 % under 60000 whose target and trailing activation lie under the price today', () => {
    // Reference 57000 (60000 × 0.95); target 2 % over it: 58140; trailing activation 1 % over it: 57570; both under
    // the last price 60000, so a SELL take-profit or trailing stop placed now would trigger at once (-2021).
    // The exits go out when the entry fills, at 57000 or under, where neither need have been reached.
    const { engine } = engineWithAccount();
    const tactics = {
      name: 'dip', entry: { type: 'limit', offsetPercent: 5, validBars: 3 }, stopLoss: { type: 'percent', percent: 1 },
      takeProfits: [{ percent: 2, share: 1 }], trailingStop: { activationPercent: 1, callbackPercent: 1 },
    };
    const outcome = engine.openPosition('a', { symbol: 'BTCUSDT', side: 'LONG', quantity: '0.01', tactics });
    expect(outcome.ok ? '' : outcome.reason).toBe('');
    expect(engine.kernel.openOrders('a').map((o) => [o.type, formatFixed(o.price!)])).toEqual([['LIMIT', '57000']]);
  });
});
