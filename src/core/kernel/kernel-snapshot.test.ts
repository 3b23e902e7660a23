import { describe, expect, it } from 'vitest';
import { readOrdersFile } from '../../market-data/orders-file.js';
import { instrumentForRecording, replayInputs } from '../../market-data/replay-session.js';
import { BUNDLED_RECORDING, PROJECT_ROOT, USDM_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording } from '../../test-kit/recording-stepper.js';
import type { KernelEvent } from './events.js';
import type { KernelInput } from './inputs.js';
import { Kernel, type KernelConfig } from './kernel.js';

/** Runs all inputs once without stopping, and again stopping at `cut` to restore from a snapshot. */
function compare(config: KernelConfig, inputs: readonly KernelInput[], cuts: readonly number[]) {
  const straight = new Kernel(config);
  const straightEvents = inputs.map((input) => JSON.stringify(straight.handle(input)));
  for (const cut of cuts) {
    let kernel = new Kernel(config);
    const events: string[] = [];
    inputs.forEach((input, i) => {
      if (i === cut) kernel = Kernel.restore(config, kernel.snapshot());
      events.push(JSON.stringify(kernel.handle(input)));
    });
    expect(events.slice(cut), `restored at input ${cut}`).toEqual(straightEvents.slice(cut));
    expect(kernel.snapshot(), `state after restoring at input ${cut}`).toBe(straight.snapshot());
  }
  straight.checkInvariants();
  return { kernel: straight, events: straightEvents.flatMap((text) => JSON.parse(text) as KernelEvent[]) };
}

/** Orders placed for `account`, by their ORDER_NEW events (the kernel keeps open orders only). */
function placedBy(events: readonly KernelEvent[], account: string): number {
  return events.filter((e) => e.type === 'ORDER_NEW' && e.account === account).length;
}

describe('snapshots', () => {
  it('refuses to restore under another configuration', () => {
    const recording = loadRecording(BUNDLED_RECORDING);
    const kernel = new Kernel({ instruments: [instrumentForRecording(recording)], latencyMs: 50 });
    expect(() => Kernel.restore({ instruments: [instrumentForRecording(recording)], latencyMs: 0 }, kernel.snapshot())).toThrow(/another configuration/);
  });

  it('a restart from a snapshot at any point continues byte-identically (spot, with latency and resting orders)', () => {
    const recording = loadRecording(BUNDLED_RECORDING);
    const commands = readOrdersFile(`${PROJECT_ROOT}data/demo-orders.jsonl`, [recording.symbol]);
    const inputs = [...replayInputs(recording, commands, { USDT: '100000', BTC: '2' })];
    const config = { instruments: [instrumentForRecording(recording)], latencyMs: 50 };
    const { events } = compare(config, inputs, [1, 2, 3000, 9000, 15000, 21000, inputs.length - 1]);
    expect(placedBy(events, 'demo')).toBeGreaterThan(5);
  });

  it('a restart keeps futures positions, conditional orders and funding exactly (USD-M)', () => {
    const recording = loadRecording(USDM_RECORDING);
    const symbol = recording.symbol;
    const at = recording.inputs[0]!.time + 5000;
    const commands: KernelInput[] = [
      { kind: 'account.open', time: at, account: 'f', type: 'futures', leverage: 20, balances: { USDT: '50000' }, risk: { maxDrawdown: '0.5' } },
      { kind: 'order.place', time: at, account: 'f', symbol, side: 'BUY', type: 'MARKET', quantity: '2' },
      { kind: 'order.place', time: at, account: 'f', symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '2', stopPrice: '61500.0', reduceOnly: true, ocoGroup: 'g' },
      { kind: 'order.place', time: at, account: 'f', symbol, side: 'SELL', type: 'TAKE_PROFIT', quantity: '2', stopPrice: '62500.0', reduceOnly: true, ocoGroup: 'g' },
      { kind: 'order.place', time: at, account: 'f', symbol, side: 'BUY', type: 'LIMIT', quantity: '1', price: '61400.0' },
    ];
    const inputs: KernelInput[] = [];
    let placed = false;
    for (const input of recording.inputs) {
      if (!placed && input.time > at) {
        inputs.push(...commands);
        placed = true;
      }
      inputs.push(input);
    }
    const config: KernelConfig = { instruments: [instrumentForRecording(recording)], funding: { rates: { [symbol]: '0.0001' } } };
    const { events } = compare(config, inputs, [50, 8000, 20000, inputs.length - 5]);
    expect(placedBy(events, 'f')).toBe(4);
  });
});

describe('snapshot text', () => {
  /** "6000001" + 16 zeros (a Fixed's digits) → "60000.01": a plain string model, no bigint. */
  const decimalOf = (digits: string): string => {
    const padded = digits.padStart(19, '0');
    const text = `${padded.slice(0, -18)}.${padded.slice(-18)}`.replace(/0+$/, '').replace(/\.$/, '');
    return text.replace(/^0+(?=\d)/, '');
  };
  const plain = (text: string): string => (text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text);

  it('states the book the recording built, level by level, and is the JSON of what it decodes to', () => {
    const recording = loadRecording(BUNDLED_RECORDING);
    const commands = readOrdersFile(`${PROJECT_ROOT}data/demo-orders.jsonl`, [recording.symbol]);
    const inputs = [...replayInputs(recording, commands, { USDT: '100000', BTC: '2' })];
    const kernel = new Kernel({ instruments: [instrumentForRecording(recording)] });
    // The oracle: the depth text applied to two maps of strings (a size "0…" removes the level).
    const model = { bids: new Map<string, string>(), asks: new Map<string, string>() };
    let lastUpdateId = -1;
    const cuts = new Set([4000, 12000, inputs.length - 1]);
    const pending: Array<{ u: number; bids: readonly (readonly [string, string])[]; asks: readonly (readonly [string, string])[] }> = [];
    const apply = (side: Map<string, string>, levels: readonly (readonly [string, string])[]) => {
      for (const [price, size] of levels) {
        if (/^0(\.0*)?$/.test(size)) side.delete(plain(price));
        else side.set(plain(price), plain(size));
      }
    };
    inputs.forEach((input, i) => {
      kernel.handle(input);
      if (input.kind === 'book.snapshot') {
        model.bids.clear();
        model.asks.clear();
        apply(model.bids, input.bids);
        apply(model.asks, input.asks);
        lastUpdateId = input.lastUpdateId;
        for (const d of pending.splice(0)) if (d.u > lastUpdateId) (apply(model.bids, d.bids), apply(model.asks, d.asks), (lastUpdateId = d.u));
      } else if (input.kind === 'book.delta') {
        if (lastUpdateId < 0) pending.push({ u: input.finalUpdateId, bids: input.bids, asks: input.asks });
        else if (input.finalUpdateId > lastUpdateId) (apply(model.bids, input.bids), apply(model.asks, input.asks), (lastUpdateId = input.finalUpdateId));
      }
      if (!cuts.has(i)) return;
      const text = kernel.snapshot();
      const parsed = JSON.parse(text) as { markets: Array<{ sync: { bids: [{ $n: string }, { $n: string }][]; asks: [{ $n: string }, { $n: string }][] } }> };
      // The same text JSON.stringify writes for the parsed document (bigints are {"$n": digits} objects there too).
      expect(JSON.stringify(parsed), `input ${i}`).toBe(text);
      const { sync } = parsed.markets[0]!;
      const byPrice = (a: [string, string], b: [string, string]) => Number(a[0]) - Number(b[0]);
      const levels = (side: [{ $n: string }, { $n: string }][]) => side.map(([p, q]) => [decimalOf(p.$n), decimalOf(q.$n)] as [string, string]);
      expect(levels(sync.bids), `bids at input ${i}`).toEqual([...model.bids].sort(byPrice).reverse());
      expect(levels(sync.asks), `asks at input ${i}`).toEqual([...model.asks].sort(byPrice));
    });
  });
});

describe('snapshots written before orders carried their fee state', () => {
  it('load with the fee state of every order at zero, and the open orders go on filling with balances whole', () => {
    const recording = loadRecording(BUNDLED_RECORDING);
    const config = { instruments: [instrumentForRecording(recording)] };
    const kernel = new Kernel(config);
    const inputs = recording.inputs;
    let i = 0;
    while (inputs[i]!.time <= 1723161300000) kernel.handle(inputs[i++]!);
    kernel.handle({ kind: 'account.open', time: kernel.now, account: 'a', balances: { USDT: '20000' } });
    kernel.handle({ kind: 'order.place', time: kernel.now, account: 'a', symbol: recording.symbol, side: 'BUY', type: 'LIMIT', quantity: '0.3', price: '61700.00' });
    const old = JSON.parse(kernel.snapshot()) as { orders: Array<Record<string, unknown>> };
    for (const order of old.orders) {
      delete order.feeExact;
      delete order.feeCharged;
    }
    const restored = Kernel.restore(config, JSON.stringify(old));
    expect(restored.orders('a')[0]).toMatchObject({ feeExact: 0n, feeCharged: 0n });
    const orderId = restored.orders('a')[0]!.id;
    const fills: KernelEvent[] = [];
    while (i < inputs.length) fills.push(...restored.handle(inputs[i++]!).filter((e) => e.type === 'FILL' && e.orderId === orderId));
    expect(fills.length).toBeGreaterThan(0);
    restored.checkInvariants();
  });
});
