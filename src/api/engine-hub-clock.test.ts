import { describe, expect, it } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import { findBundledInstrument } from '../core/instruments/bundled-instruments.js';
import { Kernel } from '../core/kernel/kernel.js';
import { EngineHub, type EnginePort } from './engine-hub.js';

function port(): EnginePort & { clock: number } {
  const engine = {
    clock: 0,
    get kernel() {
      return { now: engine.clock } as unknown as Kernel;
    },
    submit: async (input: KernelInput) => {
      engine.clock = Math.max(engine.clock, input.time);
      return [];
    },
  };
  return engine;
}

const trade = (time: number): KernelInput => ({ kind: 'trade', time, symbol: 'BTCUSDT', tradeId: time, price: '60000', quantity: '1', buyerMaker: false });

describe('the time the hub stamps commands with', () => {
  it('is the engine clock when no wall clock is given (replays)', async () => {
    const engine = port();
    const hub = new EngineHub(engine);
    await hub.submit(trade(1_000));
    expect(hub.now()).toBe(1_000);
  });

  it('with live data, carries the latest market time forward by the wall time since it arrived', async () => {
    const engine = port();
    let wall = 5_000_000;
    const hub = new EngineHub(engine, () => wall);
    expect(hub.now()).toBe(0);
    await hub.submit(trade(1_000));
    expect(hub.now()).toBe(1_000);
    wall += 12_000; // the feed falls silent for 12 s of wall time
    expect(hub.now()).toBe(13_000);
    // A command does not restart the count; the next market input does.
    await hub.submit({ kind: 'order.cancel', time: hub.now(), account: 'a', orderId: '1' });
    expect(hub.now()).toBe(13_000);
    await hub.submit(trade(1_500));
    expect(hub.now()).toBe(13_000); // never behind the engine's clock
    // The trade was applied at the engine's clock (13,000): 20 s of silence after it are 20 s on that clock.
    wall += 20_000;
    expect(hub.now()).toBe(33_000);
  });

  it('a book applied behind the clock (a trade stamped later came first) is stale after staleAfterMs of wall silence, and an order waits', async () => {
    const T = 1_723_161_300_000;
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!], staleAfterMs: 1_000 });
    const engine: EnginePort = { kernel, submit: async (input) => kernel.handle(input) };
    let wall = 0;
    const hub = new EngineHub(engine, () => wall);
    await hub.submit({ kind: 'book.snapshot', time: T, symbol: 'BTCUSDT', lastUpdateId: 100, bids: [['60000.00', '2']], asks: [['60010.00', '2']] });
    await hub.submit({ kind: 'account.open', time: hub.now(), account: 'a', balances: { USDT: '100000' } });
    // Two clocks: a trade stamped 300 ms later arrives before a depth update stamped earlier.
    await hub.submit(trade(T + 300));
    await hub.submit({ kind: 'book.delta', time: T + 100, symbol: 'BTCUSDT', firstUpdateId: 101, finalUpdateId: 101, bids: [['59990.00', '1']], asks: [] });
    // The depth update is the book's last: the kernel dates it at its clock, T + 300.
    // By hand: 1,001 ms of wall silence later, a command is stamped T + 300 + 1,001, 1,001 ms past it: stale.
    wall += 1_001;
    expect(hub.now()).toBe(T + 1_301);
    const events = await hub.submit({ kind: 'order.place', time: hub.now(), account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1', clientOrderId: 'late' });
    expect(events.map((e) => e.type)).toEqual(['ORDER_NEW']);
    // 999 ms of silence would still be fresh: the same order fills.
    const fresh = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!], staleAfterMs: 1_000 });
    const freshHub = new EngineHub({ kernel: fresh, submit: async (input) => fresh.handle(input) }, () => wall);
    await freshHub.submit({ kind: 'book.snapshot', time: T, symbol: 'BTCUSDT', lastUpdateId: 100, bids: [['60000.00', '2']], asks: [['60010.00', '2']] });
    await freshHub.submit({ kind: 'account.open', time: freshHub.now(), account: 'a', balances: { USDT: '100000' } });
    wall += 999;
    expect((await freshHub.submit({ kind: 'order.place', time: freshHub.now(), account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1' })).some((e) => e.type === 'FILL')).toBe(true);
  });
});
