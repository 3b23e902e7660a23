import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { formatFixed } from '../money/fixed.js';
import type { FundingInput } from './inputs.js';
import { inputProblem } from './input-validation.js';
import { Kernel } from './kernel.js';

const PERPETUAL = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const funding = (rate: string): FundingInput => ({ kind: 'funding', time: 2_000, symbol: 'BTCUSDT', rate });

/** A 0.1 BTC long at 10x, marked at 60000: a notional of 6000 USDT. */
function longAt60000(): Kernel {
  const k = new Kernel({ instruments: [PERPETUAL] });
  k.handle({ kind: 'account.open', time: 1_000, account: 'a', type: 'futures', balances: { USDT: '10000' }, leverage: 10 });
  k.handle({ kind: 'book.snapshot', time: 1_000, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [['59999.9', '100']], asks: [['60000.1', '100']] });
  k.handle({ kind: 'trade', time: 1_000, symbol: 'BTCUSDT', tradeId: 1, price: '60000', quantity: '1', buyerMaker: true });
  k.handle({ kind: 'mark', time: 1_000, symbol: 'BTCUSDT', price: '60000' });
  k.handle({ kind: 'order.place', time: 1_000, account: 'a', clientOrderId: 'in', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1' });
  return k;
}

describe('a funding rate beyond ±3 % (the widest cap an exchange publishes)', () => {
  it('is refused as INPUT_REJECTED, the same answer inputProblem gives, and changes nothing: −5 would credit the 0.1 BTC long 30,000 USDT', () => {
    const k = longAt60000();
    const before = JSON.parse(k.snapshot()) as Record<string, unknown>;
    const symbols = new Set(['BTCUSDT']);
    for (const rate of ['-5', '5', '0.0300001', '-0.030000000000000001', '1']) {
      const problem = inputProblem(funding(rate), symbols);
      expect(problem).toMatch(/^funding rate -?[\d.]+ is beyond ±0\.03 /);
      expect(k.handle(funding(rate))).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INVALID_INPUT', message: problem })]);
    }
    const after = JSON.parse(k.snapshot()) as Record<string, unknown>;
    expect(after.accounts).toEqual(before.accounts);
    expect(after.orders).toEqual(before.orders);
    k.checkInvariants();
  });

  it('±3 % itself is applied: by hand 0.1 × 60000 × 0.03 = 180 USDT, paid by the long at +3 % and received at −3 %', () => {
    const k = longAt60000();
    const pay = k.handle(funding('0.03')).filter((e) => e.type === 'FUNDING');
    expect(pay).toEqual([expect.objectContaining({ account: 'a', rate: '0.03', amount: '180' })]);
    const receive = k.handle({ ...funding('-0.03'), time: 3_000 }).filter((e) => e.type === 'FUNDING');
    expect(receive).toEqual([expect.objectContaining({ account: 'a', amount: '-180' })]);
    const account = k.account('a')!;
    expect(account.kind === 'futures' ? formatFixed(account.ledger.funding) : undefined).toBe('0');
    k.checkInvariants();
  });

  it('is refused in the kernel configuration too, naming the symbol', () => {
    expect(() => new Kernel({ instruments: [PERPETUAL], funding: { rates: { BTCUSDT: '0.5' } } })).toThrow(/^BTCUSDT: funding rate 0\.5 is beyond ±0\.03/);
    expect(() => new Kernel({ instruments: [PERPETUAL], funding: { rates: { BTCUSDT: '-0.03' } } })).not.toThrow();
  });
});
