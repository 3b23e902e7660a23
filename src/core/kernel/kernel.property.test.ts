import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatFixed, parseFixed } from '../money/fixed.js';
import type { KernelEvent } from './events.js';
import type { KernelInput } from './inputs.js';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';

const ACCOUNTS = ['p', 'q', 'r'];
const INITIAL = { USDT: '250000', BTC: '4' };
const TYPES = ['MARKET', 'LIMIT', 'LIMIT_MAKER', 'IMMEDIATE_OR_CANCEL', 'FILL_OR_KILL'] as const;

const command = fc.record({
  gap: fc.integer({ min: 0, max: 40 }),
  account: fc.constantFrom(...ACCOUNTS),
  cancel: fc.boolean(),
  cancelPick: fc.nat(),
  side: fc.constantFrom('BUY' as const, 'SELL' as const),
  type: fc.constantFrom(...TYPES),
  ticksFromMid: fc.integer({ min: -3000, max: 3000 }),
  steps: fc.integer({ min: 1, max: 80_000 }),
  quoteSized: fc.boolean(),
});

/**
 * Interleaves 1,000 random commands with the real recording and checks, after every input, that
 * every account reconciles exactly and locks equal what open orders hold; at the end, that
 * per asset free + locked = initial + Σ fills − Σ fees, recomputed from the fill events alone.
 */
type Command = typeof command extends fc.Arbitrary<infer T> ? T : never;

function run(commands: Command[]): void {
  const recording = loadRecording(BUNDLED_RECORDING);
  const s = new RecordingStepper(recording, { latencyMs: 20 });
  s.advanceTo(recording.inputs[0]!.time + 2000);
  for (const account of ACCOUNTS) s.open(account, INITIAL);
  const events: KernelEvent[] = [];
  let placed = 0;
  for (const c of commands) {
    for (let i = 0; i < c.gap && !s.done; i += 1) events.push(...s.step()!.events);
    const now = s.kernel.now;
    let input: KernelInput;
    const open = s.kernel.openOrders(c.account);
    if (c.cancel && open.length > 0) {
      input = { kind: 'order.cancel', time: now, account: c.account, orderId: open[c.cancelPick % open.length]!.id };
    } else {
      const top = s.kernel.depth(recording.symbol, 1)!;
      const mid = (parseFixed(top.bids[0]![0]) + parseFixed(top.asks[0]![0])) / 2n;
      const tick = parseFixed('0.01');
      const price = (mid / tick) * tick + BigInt(c.ticksFromMid) * tick;
      const quantity = formatFixed(BigInt(c.steps) * parseFixed('0.00001'));
      placed += 1;
      input = c.type === 'MARKET'
        ? { kind: 'order.place', time: now, account: c.account, symbol: recording.symbol, side: c.side, type: 'MARKET', ...(c.quoteSized ? { quoteOrderQty: formatFixed(BigInt(c.steps) * parseFixed('0.5')) } : { quantity }), clientOrderId: `o${placed}` }
        : { kind: 'order.place', time: now, account: c.account, symbol: recording.symbol, side: c.side, type: c.type, quantity, price: formatFixed(price), clientOrderId: `o${placed}` };
    }
    events.push(...s.handle(input));
    s.kernel.checkInvariants();
  }
  while (!s.done) events.push(...s.step()!.events);
  s.kernel.checkInvariants();
  // The run must have exercised the machinery, not just rejected everything.
  const count = (type: string) => events.filter((e) => e.type === type).length;
  for (const type of ['FILL', 'ORDER_CANCELED', 'ORDER_REJECTED', 'ORDER_EXPIRED']) expect(count(type), type).toBeGreaterThan(10);
  expect(events.some((e) => e.type === 'FILL' && e.liquidity === 'MAKER')).toBe(true);

  for (const account of ACCOUNTS) {
    const expected = new Map<string, bigint>(Object.entries(INITIAL).map(([a, v]) => [a, parseFixed(v)]));
    for (const e of events) {
      if (e.type !== 'FILL' || e.account !== account) continue;
      const qty = parseFixed(e.quantity);
      const quote = parseFixed(e.quoteQuantity);
      const sign = e.side === 'BUY' ? 1n : -1n;
      expected.set('BTC', expected.get('BTC')! + sign * qty);
      expected.set('USDT', expected.get('USDT')! - sign * quote);
      expected.set(e.feeAsset, expected.get(e.feeAsset)! - parseFixed(e.fee));
    }
    const balances = s.kernel.balances(account)!;
    for (const [asset, value] of expected) {
      const b = balances[asset]!;
      expect(parseFixed(b.free) + parseFixed(b.locked), `${account} ${asset}`).toBe(value);
    }
  }
}

describe('accounting invariants under random trading on the real recording', () => {
  it('after a thousand random orders and cancels, every balance reconciles exactly', () => {
    fc.assert(fc.property(fc.array(command, { minLength: 1000, maxLength: 1000 }), run), { numRuns: 3, seed: 20240808 });
  });
});
