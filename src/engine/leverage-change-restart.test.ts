import { afterEach, beforeEach, expect, it } from 'vitest';
import type { FuturesAccount } from '../core/accounts/futures-account.js';
import type { KernelConfig } from '../core/kernel/kernel.js';
import { formatFixed } from '../core/money/fixed.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { describeEachDialect, type TestDatabase } from '../test-kit/test-databases.js';
import { DurableEngine } from './durable-engine.js';
import { readModelMismatches } from './read-model-check.js';

/**
 * A leverage change with an order open is an input like any other: journaled, so that a restart
 * (from the journal alone, or from a snapshot taken after it) holds the order's reservation at the
 * new leverage. By hand: a LIMIT BUY of 0.1 BTC at 60,000 (6,000 USDT) reserves 6,000 / 10 + 3 of fee
 * (Binance's 0.05 % taker rate) = 603 at 10x, 6,000 / 20 + 3 = 303 at 20x; the account's 1,000 USDT
 * leaves 697 free.
 */
const recording = loadRecording(USDM_RECORDING);
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const T = 1723161350000;

describeEachDialect((name) => `a leverage change with an open order survives a restart, on ${name}`, (dialect) => {
  let target: TestDatabase;
  const open = () => DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0 });
  beforeEach(() => {
    target = dialect.create();
  });
  afterEach(async () => target.cleanup());

  const figures = (engine: DurableEngine, orderId: string) => {
    const account = engine.kernel.account('f') as FuturesAccount;
    const order = engine.kernel.order(orderId)!;
    return { locked: formatFixed(order.locked), leverage: order.leverage, reserved: formatFixed(account.reserved), cash: formatFixed(account.cash), symbolLeverage: account.leverageOf(recording.symbol) };
  };
  const AT_20X = { locked: '303', leverage: 20, reserved: '303', cash: '697', symbolLeverage: 20 };

  for (const snapshot of [false, true]) {
    it(snapshot ? 'from a snapshot taken after the change' : 'from the journal alone', async () => {
      const first = await open();
      // The market up to T in concurrent waves (the engine keeps submit order).
      const market = recording.inputs.filter((input) => input.time <= T);
      for (let i = 0; i < market.length; i += 500) await Promise.all(market.slice(i, i + 500).map((input) => first.submit(input)));
      await first.submit({ kind: 'account.open', time: T, account: 'f', type: 'futures', marginMode: 'cross', leverage: 10, balances: { USDT: '1000' } });
      const placed = await first.submit({ kind: 'order.place', time: T, account: 'f', symbol: recording.symbol, side: 'BUY', type: 'LIMIT', quantity: '0.1', price: '60000' });
      const orderId = (placed.find((e) => e.type === 'ORDER_NEW') as { orderId: string }).orderId;
      expect(figures(first, orderId).locked).toBe('603');
      expect((await first.submit({ kind: 'leverage.set', time: T, account: 'f', symbol: recording.symbol, leverage: 20 })).map((e) => e.type)).toEqual(['LEVERAGE_SET']);
      expect(figures(first, orderId)).toEqual(AT_20X);
      if (snapshot) await first.saveSnapshot();
      await first.close({ snapshot: false });

      const second = await open();
      try {
        expect(figures(second, orderId)).toEqual(AT_20X);
        second.kernel.checkInvariants();
        // The order's row moved to 20x with it.
        await second.readModelCaughtUp();
        expect(await readModelMismatches(second.db, second.kernel)).toEqual([]);
      } finally {
        await second.close({ snapshot: false });
      }
    });
  }
});
