import { expect, it } from 'vitest';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording } from '../../test-kit/recording-stepper.js';
import { instrumentForRecording } from '../../market-data/replay-session.js';
import { Kernel } from './kernel.js';

const recording = loadRecording(BUNDLED_RECORDING);
const CONFIG = { instruments: [instrumentForRecording(recording)] };

it('a kernel restored from a snapshot and fed the same inputs serializes byte for byte as the live one', () => {
  const live = new Kernel(CONFIG);
  const start = recording.inputs[0]!.time;
  let i = 0;
  while (recording.inputs[i]!.time <= start + 30_000) live.handle(recording.inputs[i++]!);
  live.handle({ kind: 'account.open', time: live.now, account: 'c', balances: { USDT: '1000', BTC: '1' } });
  live.handle({ kind: 'order.place', time: live.now, account: 'c', symbol: recording.symbol, side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.03', callbackRate: '0.05', clientOrderId: 'trail' });
  // The host's snapshot (a worker's rebuild, or a rollback's checkpoint) of the state before the next trade.
  const restored = Kernel.restore(CONFIG, live.snapshot());
  expect(restored.snapshot()).toBe(live.snapshot());
  const trade = recording.inputs.slice(i).find((x) => x.kind === 'trade')!;
  while (recording.inputs[i] !== trade) {
    live.handle(recording.inputs[i]!);
    restored.handle(recording.inputs[i++]!);
  }
  live.handle(trade);
  restored.handle(trade);
  const order = (k: Kernel) => k.snapshot().match(/\{"id":"1".*?\}(?=,\{"id"|\])/)![0];
  expect(order(restored)).toBe(order(live));
  expect(restored.snapshot()).toBe(live.snapshot());
});
