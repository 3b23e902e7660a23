/**
 * A MEXC contract trigger order survives a restart of the engine, from the journal alone or from a
 * snapshot: the order `planorder/place` makes (mexc-contract-plan-routes.ts: an open short "≤ 61,750"
 * at market on the fair price is the engine's STOP_LOSS SELL watching the mark, its cycle of 7 days
 * kept in its client id `plan168h…`) is listed after the restart as it was before, waiting (state 1),
 * and still triggers. On the bundled USD-M recording the last price is 61,804.1 at 23:55:30; the same
 * order on the last price fires on the sell prints of 23:56:02.210 that reach 61,750.0, where 3.115 BTC
 * is bid after the sweep took the better bids (ccxt-mexc-contract-plan.test.ts walks that book by hand),
 * and sells 0.002 BTC (20 contracts) there.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KernelConfig } from '../../core/kernel/kernel.js';
import { instrumentForRecording } from '../../market-data/replay-session.js';
import { DurableEngine } from '../../engine/durable-engine.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording } from '../../test-kit/recording-stepper.js';
import { describeEachDialect, type TestDatabase } from '../../test-kit/test-databases.js';
import { contractPlanOrder } from './mexc-contract-plan-routes.js';
import { contractOfSymbol } from './mexc-contract-symbols.js';

const recording = loadRecording(USDM_RECORDING);
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const T0 = 1723161330000;
const SWEEP = 1723161362210;
const reserved = (engine: DurableEngine): bigint => (engine.kernel.account('f') as { reserved: bigint }).reserved;
const feed = async (engine: DurableEngine, from: number, to: number) => {
  const market = recording.inputs.filter((input) => input.time > from && input.time <= to);
  for (let i = 0; i < market.length; i += 500) await Promise.all(market.slice(i, i + 500).map((input) => engine.submit(input)));
};

describeEachDialect((name) => `a MEXC contract trigger order survives a restart, on ${name}`, (dialect) => {
  let target: TestDatabase;
  const open = () => DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0 });
  beforeEach(() => {
    target = dialect.create();
  });
  afterEach(async () => target.cleanup());

  for (const snapshot of [false, true]) {
    it(snapshot ? 'from a snapshot' : 'from the journal alone', async () => {
      const first = await open();
      await feed(first, 0, T0);
      await first.submit({ kind: 'account.open', time: T0, account: 'f', type: 'futures', marginMode: 'cross', leverage: 10, balances: { USDT: '10000' } });
      // With the validity planorder/place gives its cycle: 168 or 24 hours.
      const place = (triggerSource: 'last' | 'mark', clientOrderId: string, expireAfterMs: number) =>
        first.submit({ kind: 'order.place', time: T0, account: 'f', symbol: recording.symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.002', stopPrice: '61750', triggerSource, clientOrderId, expireAfterMs });
      const idOf = (events: Awaited<ReturnType<typeof place>>) => (events.find((e) => e.type === 'ORDER_NEW') as { orderId: string }).orderId;
      const onFair = idOf(await place('mark', 'plan168h00aa11bb22cc33dd44ee', 604_800_000));
      const onLast = idOf(await place('last', 'plan24h00aa11bb22cc33dd44ee', 86_400_000));
      // An open long once ≥ 63,000 (not reached on the recording) with its 24-hour cycle, as planorder/place sends it.
      const expiring = idOf(
        await first.submit({ kind: 'order.place', time: T0, account: 'f', symbol: recording.symbol, side: 'BUY', type: 'STOP_LOSS', quantity: '0.002', stopPrice: '63000', triggerSource: 'last', clientOrderId: 'plan24h11bb22cc33dd44ee55ff', expireAfterMs: 86_400_000 }),
      );
      const placedAt = first.kernel.order(expiring)!.arrivesAt;
      // 24 h = 86,400,000 ms after its arrival.
      expect(first.kernel.order(expiring)!.expireTime).toBe(placedAt + 86_400_000);
      const entry = (engine: DurableEngine, id: string) => contractPlanOrder(engine.kernel.order(id)!, contractOfSymbol(engine.kernel, recording.symbol)!, 2);
      const before = [entry(first, onFair), entry(first, onLast)];
      expect(before).toEqual([
        expect.objectContaining({ id: onFair, side: 3, vol: 20, triggerPrice: 61750, triggerType: 2, trend: 2, executeCycle: 168, orderType: 5, state: 1, leverage: 10 }),
        expect.objectContaining({ id: onLast, side: 3, vol: 20, triggerPrice: 61750, triggerType: 2, trend: 1, executeCycle: 24, orderType: 5, state: 1, leverage: 10 }),
      ]);
      if (snapshot) await first.saveSnapshot();
      await first.close({ snapshot: false });

      const second = await open();
      try {
        expect([entry(second, onFair), entry(second, onLast)]).toEqual(before);
        await feed(second, T0, SWEEP);
        const fired = second.kernel.order(onLast);
        expect(fired).toMatchObject({ triggered: true, triggeredAt: SWEEP, executedQty: 2_000_000_000_000_000n, cumulativeQuoteQty: 123_500_000_000_000_000_000n });
        expect(entry(second, onLast)).toMatchObject({ state: 3, orderId: onLast, executeCycle: 24 });
        // The 24-hour order still waits a millisecond before its end, and ends (4) at it, its margin released.
        expect(second.kernel.order(expiring)).toMatchObject({ status: 'NEW', expireTime: placedAt + 86_400_000 });
        await second.submit({ kind: 'clock', time: placedAt + 86_400_000 - 1 });
        expect(entry(second, expiring)).toMatchObject({ state: 1, executeCycle: 24 });
        const waitingReserve = reserved(second);
        const expired = await second.submit({ kind: 'clock', time: placedAt + 86_400_000 });
        expect(expired).toContainEqual(expect.objectContaining({ type: 'ORDER_EXPIRED', orderId: expiring, reason: 'TRIGGER_EXPIRED', at: placedAt + 86_400_000 }));
        expect(entry(second, expiring)).toMatchObject({ state: 4, updateTime: placedAt + 86_400_000 });
        // A buy of 0.002 against the short of at least 0.002 the fired sell opened (one-way positions): it would only close
        // it, so it held nothing (docs/adr/0074-open-order-margin-follows-the-position.md) and its end releases nothing.
        // Flat, it would have held 0.002 × 63,000 / 10 = 12.6 of margin and 0.002 × 63,000 × 0.05% = 0.063 of fee.
        const short = (second.kernel.account('f') as unknown as { positions: Map<string, { size: bigint }> }).positions.get(recording.symbol)!.size;
        expect(short <= -2_000_000_000_000_000n).toBe(true);
        expect(waitingReserve - reserved(second)).toBe(0n);
        second.kernel.checkInvariants();
      } finally {
        await second.close({ snapshot: false });
      }
    });
  }
});
