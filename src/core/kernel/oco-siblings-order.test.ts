/**
 * The siblings an OCO leg ends when it acts, on the real spot recording: only the account's orders of
 * its group, ended before its first fill, in the order of the market's lists (conditional orders,
 * then bids best first, then asks), whatever else rests on the market and in whatever order the legs
 * were placed.
 */
import { describe, expect, it } from 'vitest';
import type { KernelEvent } from './events.js';
import { Kernel } from './kernel.js';
import { readRecording } from '../../market-data/recording-reader.js';
import { instrumentForRecording } from '../../market-data/replay-session.js';
import { SPOT_RECORDING } from '../../test-kit/data-paths.js';

const recording = readRecording(SPOT_RECORDING);

/** A kernel on the recording, its book synced and a minute of it applied; the index of the next input. */
function kernelAfterAMinute(): { kernel: Kernel; next: number } {
  const kernel = new Kernel({ instruments: [instrumentForRecording(recording)] });
  const start = recording.inputs[0]!.time;
  let i = 0;
  for (; i < recording.inputs.length; i += 1) {
    kernel.handle(recording.inputs[i]!);
    if (recording.inputs[i]!.time > start + 60_000 && kernel.bookStatus(recording.symbol)?.status === 'synced') break;
  }
  return { kernel, next: i + 1 };
}

const line = (e: KernelEvent) => `${e.type} ${'clientOrderId' in e ? e.clientOrderId : ''} ${'reason' in e && e.reason !== undefined ? e.reason : ''}`.trim();

describe('an OCO leg that acts ends its siblings', () => {
  it('in the order of the market\'s lists, only the group\'s, before the first fill', () => {
    const { kernel, next } = kernelAfterAMinute();
    const symbol = recording.symbol;
    const time = kernel.now;
    const book = kernel.depth(symbol, 1)!;
    const bid = Number(book.bids[0]![0]);
    const ask = Number(book.asks[0]![0]);
    const price = (p: number) => p.toFixed(2);
    // Other accounts' orders rest on both sides, at the group's prices too: none of them is touched.
    for (let a = 0; a < 20; a += 1) {
      kernel.handle({ kind: 'account.open', time, account: `other${a}`, balances: { USDT: '1000000', BTC: '10' } });
      for (let o = 0; o < 50; o += 1) {
        const buy = o % 2 === 0;
        kernel.handle({ kind: 'order.place', time, account: `other${a}`, symbol, side: buy ? 'BUY' : 'SELL', type: 'LIMIT', quantity: '0.001', price: price(buy ? bid - 500 - o : ask + 300 + o), clientOrderId: `o${o}`, ocoGroup: 'g' });
      }
    }
    kernel.handle({ kind: 'account.open', time, account: 'a', balances: { USDT: '1000000', BTC: '10' } });
    const placed: string[] = [];
    // Placed out of the lists' order: a deep bid, a stop, an ask, then the bid at the best, which the tape fills.
    for (const input of [
      { side: 'BUY', type: 'LIMIT', price: price(bid - 500), clientOrderId: 'deep' },
      { side: 'SELL', type: 'STOP_LOSS_LIMIT', stopPrice: price(bid - 400), price: price(bid - 410), clientOrderId: 'stop' },
      { side: 'SELL', type: 'LIMIT', price: price(ask + 300), clientOrderId: 'ask' },
      { side: 'BUY', type: 'LIMIT', price: price(bid), clientOrderId: 'near' },
    ] as const) {
      for (const e of kernel.handle({ kind: 'order.place', time, account: 'a', symbol, quantity: '0.001', ocoGroup: 'g', ...input })) placed.push(line(e));
    }
    expect(placed.filter((l) => l.startsWith('ORDER_NEW'))).toEqual(['ORDER_NEW deep', 'ORDER_NEW stop', 'ORDER_NEW ask', 'ORDER_NEW near']);
    const after: string[] = [];
    const others: KernelEvent[] = [];
    for (let i = next; i < recording.inputs.length && !after.some((l) => l.startsWith('FILL')); i += 1) {
      for (const e of kernel.handle(recording.inputs[i]!)) {
        if ('account' in e && e.account === 'a' && e.type !== 'EQUITY') after.push(line(e));
        else if ('account' in e && e.account !== 'a' && (e.type === 'ORDER_CANCELED' || e.type === 'FILL')) others.push(e);
      }
    }
    // The stop (conditional list), the deep bid (bids, best first), the ask (asks); then the fill.
    expect(after.slice(0, 4)).toEqual(['ORDER_CANCELED stop OCO_SIBLING_FILLED', 'ORDER_CANCELED deep OCO_SIBLING_FILLED', 'ORDER_CANCELED ask OCO_SIBLING_FILLED', 'FILL near']);
    // The other accounts' orders of a group of the same name are theirs: none ended, 500 on each side still open.
    expect(others).toEqual([]);
    const open = Array.from({ length: 20 }, (_, a) => kernel.orders(`other${a}`).filter((o) => o.status === 'NEW').length);
    expect(open).toEqual(Array.from({ length: 20 }, () => 50));
  });
});
