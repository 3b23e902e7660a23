import { describe, expect, it } from 'vitest';
import { formatFixed, parseFixed } from '../money/fixed.js';
import type { KernelEvent } from './events.js';
import { BUNDLED_RECORDING, USDM_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';

const types = (events: readonly KernelEvent[]) => events.map((e) => e.type);

describe('account health', () => {
  it('samples equity on every fill and each minute, valued at the market, with drawdown from the peak', () => {
    const s = new RecordingStepper(loadRecording(BUNDLED_RECORDING));
    s.advanceTo(1723161300000);
    s.open('a', { USDT: '100000', BTC: '1' });
    const bid = parseFixed(s.kernel.depth(s.symbol, 1)!.bids[0]![0]);
    const ask = parseFixed(s.kernel.depth(s.symbol, 1)!.asks[0]![0]);
    const opened = s.events.filter((e) => e.type === 'EQUITY').at(-1)!;
    // 100,000 USDT + 1 BTC at the mid (rounded down to the tick).
    expect(opened).toMatchObject({ equity: formatFixed(parseFixed('100000') + ((bid + ask) / 2n / parseFixed('0.01')) * parseFixed('0.01')) });
    const fill = s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, side: 'BUY', type: 'MARKET', quantity: '0.1' });
    expect(types(fill).at(-1)).toBe('EQUITY');
    while (!s.done) s.step();
    const samples = s.events.filter((e) => e.type === 'EQUITY' && e.at % 60000 === 0);
    const lastTime = s.recording.lastTime;
    const minutes = Math.floor(lastTime / 60000) - Math.floor(1723161299000 / 60000); // 23:55 … 00:05
    expect(samples.map((e) => e.at)).toEqual(Array.from({ length: minutes }, (_, i) => 1723161300000 + i * 60000));
    const last = s.events.filter((e) => e.type === 'EQUITY').at(-1)!;
    expect(last.type === 'EQUITY' && parseFixed(last.maxDrawdown) > 0n).toBe(true);
  });

  it('halts an account at its max drawdown: open orders cancelled, new orders refused, MAX_DRAWDOWN_REACHED once', () => {
    const s = new RecordingStepper(loadRecording(BUNDLED_RECORDING));
    s.advanceTo(1723161300000);
    s.handle({ kind: 'account.open', time: s.kernel.now, account: 'a', balances: { USDT: '1000', BTC: '2' }, risk: { maxDrawdown: '0.002' } });
    s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '60000.00', clientOrderId: 'resting' });
    let halted: KernelEvent[] = [];
    while (!s.done && halted.length === 0) halted = s.step()!.events.filter((e) => 'account' in e && e.account === 'a' && e.type !== 'EQUITY');
    expect(types(halted)).toEqual(['MAX_DRAWDOWN_REACHED', 'ORDER_CANCELED']);
    expect(halted[0]).toMatchObject({ limit: '0.002' });
    expect(parseFixed((halted[0] as { drawdown: string }).drawdown) >= parseFixed('0.002')).toBe(true);
    const refused = s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, side: 'SELL', type: 'MARKET', quantity: '0.1' });
    expect(refused).toEqual([expect.objectContaining({ type: 'ORDER_REJECTED', code: 'ACCOUNT_HALTED', mexcCode: 30016 })]);
    while (!s.done) s.step();
    expect(s.events.filter((e) => e.type === 'MAX_DRAWDOWN_REACHED')).toHaveLength(1);
    s.kernel.checkInvariants();
  });

  it('with close-all, a halted futures account closes its positions', () => {
    const s = new RecordingStepper(loadRecording(USDM_RECORDING));
    s.advanceTo(1723161310714);
    s.handle({ kind: 'account.open', time: s.kernel.now, account: 'f', type: 'futures', leverage: 50, balances: { USDT: '5000' }, risk: { maxDrawdown: '0.05', closeOnMaxDrawdown: true } });
    s.handle({ kind: 'order.place', time: s.kernel.now, account: 'f', symbol: s.symbol, side: 'BUY', type: 'MARKET', quantity: '1' });
    while (!s.done && !s.events.some((e) => e.type === 'MAX_DRAWDOWN_REACHED')) s.step();
    const after = s.events.slice(s.events.findIndex((e) => e.type === 'MAX_DRAWDOWN_REACHED'));
    expect(types(after)).toEqual(expect.arrayContaining(['MAX_DRAWDOWN_REACHED', 'ORDER_NEW', 'FILL', 'POSITION_CLOSED']));
    const account = s.kernel.account('f')!;
    expect(account.kind === 'futures' && account.openPositions()).toEqual([]);
    expect(s.kernel.isHalted('f')).toBe(true);
    s.kernel.checkInvariants();
  });
});
