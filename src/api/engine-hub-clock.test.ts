import { describe, expect, it } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import type { Kernel } from '../core/kernel/kernel.js';
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
    wall += 20_000;
    expect(hub.now()).toBe(21_500);
  });
});
