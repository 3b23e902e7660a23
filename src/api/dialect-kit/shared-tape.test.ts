import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../core/kernel/kernel.js';
import { EngineHub } from '../engine-hub.js';
import { sharedTape } from './shared-tape.js';

/** Just enough of a Fastify app: the onClose hooks, run on close(). */
function fakeApp(): { app: FastifyInstance; close(): Promise<void> } {
  const hooks: (() => Promise<void>)[] = [];
  const app = { addHook: (_name: string, hook: () => Promise<void>) => hooks.push(hook) } as unknown as FastifyInstance;
  return { app, close: async () => { for (const hook of hooks) await hook(); } };
}

const trade = (tradeId: number) => ({ kind: 'trade', time: tradeId, symbol: 'BTCUSDT', tradeId, price: '1', quantity: '1', buyerMaker: false }) as const;

describe('the market tape shared by the dialects of one hub', () => {
  it('gives every dialect the same tape, which keeps observing until the last server using it closes', async () => {
    const hub = new EngineHub({ kernel: {} as Kernel, submit: async () => [] });
    const mexc = fakeApp();
    const binance = fakeApp();
    const tape = sharedTape(mexc.app, hub);
    expect(sharedTape(binance.app, hub)).toBe(tape);
    await hub.submit(trade(1));
    await mexc.close();
    await hub.submit(trade(2));
    expect(tape.tradesOf('BTCUSDT').map((t) => t.id)).toEqual([1, 2]);
    await binance.close();
    await hub.submit(trade(3));
    expect(tape.tradesOf('BTCUSDT').map((t) => t.id)).toEqual([1, 2]);
    // A server built later on the same hub starts a tape of its own.
    const later = fakeApp();
    expect(sharedTape(later.app, hub)).not.toBe(tape);
  });
});
