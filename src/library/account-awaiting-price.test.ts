import { describe, expect, it } from 'vitest';
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel } from '../core/kernel/kernel.js';
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import { extend } from '../core/objects.js';
import { parseTactics } from '../strategy/tactics.js';
import { TradeManager, type OpenRequest } from '../strategy/trade-manager.js';
import { PaperTradingEngine } from './paper-trading-engine.js';

/** An amount of the account document: 10^18 × the decimal value, as an integer string. */
const amount = (units: bigint, decimals = 0) => ({ $n: ((units * 10n ** 18n) / 10n ** BigInt(decimals)).toString() });

/**
 * A futures account exported elsewhere: 10000 USDT deposited, a 0.5 BTC long at 60000 held at 10×
 * in isolated margin (margin 0.5 × 60000 / 10 = 3000, cash 10000 − 3000 = 7000), no fees.
 */
const DOCUMENT = {
  format: 'papertrade.account', version: 1, exportedAt: 0,
  account: {
    kind: 'futures', id: 'imported', fees: {}, settleAsset: 'USDT', marginMode: 'isolated', defaultLeverage: 10, cash: amount(7000n), reserved: amount(0n),
    positions: [{ id: 'imported:BTCUSDT:1', symbol: 'BTCUSDT', size: amount(5n, 1), entryPrice: amount(60000n), leverage: 10, margin: amount(3000n), realizedPnl: amount(0n), totalFundingPaid: amount(0n), feesPaid: amount(0n), openedAt: 0 }],
    leverage: [], ledger: { deposits: amount(10000n), realizedPnl: amount(0n), fees: amount(0n), funding: amount(0n) }, positionSeq: 1,
  },
  health: { closeOnHalt: false, halted: false, lastEquity: amount(10000n) },
  orders: [], placements: {}, clientIds: [],
};

/**
 * `getAccount` of an account whose position has no mark yet (imported before any BTCUSDT price)
 * states no equity and names what it waits for, as `GET /api/account` does: it said 10000, the
 * long's unrealized PnL counted as zero while nobody knew it.
 */
describe('PaperTradingEngine.getAccount of a position with no price yet', () => {
  it('equity null and awaitingPrice ["BTCUSDT"], then 10000 + 0.5 × (61000 − 60000) at the first price', async () => {
    const library = new PaperTradingEngine();
    const kernel = new Kernel(library.kernelConfig);
    const imported = kernel.handle({ kind: 'account.import', time: 1_700_000_000_000, document: JSON.stringify(DOCUMENT) });
    expect(imported.map((e) => e.type)).not.toContain('ACCOUNT_REJECTED');
    expect(await library.restoreAccounts({ restoreAccounts: async () => undefined, kernel })).toEqual(['imported']);

    const before = library.getAccount('imported');
    expect(before).toMatchObject({ equity: null, awaitingPrice: ['BTCUSDT'], positions: [{ symbol: 'BTCUSDT', direction: 'LONG', size: '0.5', entryPrice: '60000' }] });
    expect(library.listAccounts()).toEqual([before]);

    // The first price: 10000 wallet + 0.5 × (61000 − 60000) = 10500.
    library.updatePrices({ BTCUSDT: '61000' }, 1_700_000_001_000);
    expect(library.getAccount('imported')).toMatchObject({ equity: '10500', awaitingPrice: [] });
  });

  it('an account with nothing unpriced states its equity and an empty awaitingPrice', () => {
    const library = new PaperTradingEngine();
    expect(library.createAccount({ id: 'cash', initialBalance: 500 })).toMatchObject({ equity: '500', awaitingPrice: [] });
  });
});

/**
 * The trade manager sizes an entry from the account's equity: with the BTCUSDT long imported before
 * any BTCUSDT price, `kernel.equity` counted it as zero (10000, not knowing the long's PnL) and an
 * ETHUSDT entry was sized from that. A risk-sized entry now waits for the price; a fixed quantity
 * does not depend on the equity and goes out.
 */
describe('TradeManager: a risk-sized entry while the equity is unknown', () => {
  const T0 = 1_700_000_000_000;
  const setUp = () => {
    const kernel = new Kernel(new PaperTradingEngine().kernelConfig);
    const placed: KernelEvent[] = [];
    let manager: TradeManager;
    const submit = (input: KernelInput) => {
      const events = kernel.handle(input);
      placed.push(...events.filter((e) => e.type === 'ORDER_NEW'));
      for (const e of events) manager.onEvent(e);
      return events;
    };
    manager = new TradeManager({ kernel, submit });
    submit({ kind: 'account.import', time: T0, document: JSON.stringify(DOCUMENT) });
    /** The market at `price`: a one-tick book around it (its mid, the mark) and a print. */
    const price = (symbol: string, at: string, time: number, tick: string) => {
      const p = parseFixed(at);
      const t = parseFixed(tick);
      submit({ kind: 'book.snapshot', time, symbol, lastUpdateId: time, bids: [[formatFixed(p - t), '100']], asks: [[formatFixed(p + t), '100']] });
      submit({ kind: 'trade', time, symbol, tradeId: time, price: at, quantity: '1', buyerMaker: false });
    };
    return { kernel, manager, placed, price };
  };
  // 1 % of the equity at risk, the stop 1 % under a market entry at 3000: 2970, 30 away.
  const request = (time: number): OpenRequest => ({
    account: 'imported', symbol: 'ETHUSDT', direction: 'LONG', tactics: parseTactics({ stopLoss: { type: 'percent', percent: 1 } }),
    limits: { maxRiskPerTrade: parseFixed('1'), maxOpenPositions: 2 }, price: parseFixed('3000'), time,
  });

  it('is refused, naming the symbol it waits for, and places nothing; once BTCUSDT has a price it is sized from 10500', () => {
    const { kernel, manager, placed, price } = setUp();
    price('ETHUSDT', '3000', T0 + 1000, '0.01');
    expect(kernel.awaitedPrices('imported')).toEqual(['BTCUSDT']);
    const refused = manager.open(request(T0 + 1000));
    expect(refused).toEqual({ ok: false, reason: 'equity unknown: no price yet for BTCUSDT; a risk-sized entry waits for it' });
    expect(placed).toEqual([]);

    // BTCUSDT at 61000: equity 10000 + 0.5 × (61000 − 60000) = 10500; 1 % of it, 105, over the
    // stop distance 30: 3.5 ETH (the 0.001 step). The margin cap, 7000 × 10 × 0.98 / (1 + 10 × the fee)
    // ≈ 68000 of notional (22 ETH), is far above it.
    price('BTCUSDT', '61000', T0 + 2000, '0.1');
    expect(kernel.awaitedPrices('imported')).toEqual([]);
    expect(manager.open(request(T0 + 2000))).toMatchObject({ ok: true, plan: { quantity: parseFixed('3.5') } });
  });

  it('a fixed quantity does not depend on the equity: it goes out while the price is awaited', () => {
    const { manager, placed, price } = setUp();
    price('ETHUSDT', '3000', T0 + 1000, '0.01');
    expect(manager.open(extend(request(T0 + 1000), { quantity: parseFixed('0.2') }))).toMatchObject({ ok: true, plan: { quantity: parseFixed('0.2') } });
    expect(placed[0]).toMatchObject({ symbol: 'ETHUSDT', side: 'BUY', orderType: 'MARKET', quantity: '0.2' });
  });
});
