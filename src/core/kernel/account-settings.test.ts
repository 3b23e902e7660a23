import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { Kernel } from './kernel.js';
import type { KernelEvent } from './events.js';
import type { KernelInput, OpenAccountInput } from './inputs.js';

const SPOT = findBundledInstrument('binance', 'spot', 'BTCUSDT')!; // taker 0.1 %
const PERP = findBundledInstrument('binance', 'perpetual', 'ETHUSDT')!; // leverage 1 … 125
const T = 1723161300000;

function kernel(): Kernel {
  const k = new Kernel({ instruments: [SPOT, PERP], equityIntervalMs: 0 });
  k.handle({ kind: 'book.snapshot', time: T, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [['61800.00', '5']], asks: [['61800.01', '5']] });
  return k;
}

const open = (fields: Partial<OpenAccountInput> & Record<string, unknown>): KernelInput =>
  ({ kind: 'account.open', time: T, account: 'a', balances: { USDT: '1000' }, ...fields }) as KernelInput;

/** The one event an input answers with, expected to be a rejection that left the state as it was. */
function refusedUnchanged(k: Kernel, input: KernelInput): KernelEvent {
  const before = k.snapshot().replace(/"sequence":\d+/, '');
  const events = k.handle(input);
  expect(events).toHaveLength(1);
  expect(k.snapshot().replace(/"sequence":\d+/, '')).toBe(before);
  return events[0]!;
}

describe('account settings out of bounds are refused in the kernel, with a code, and change nothing', () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['a taker fee of 2 (200 %)', { fees: { taker: '2' } }, 'INVALID_FEES', /fees\.taker/],
    ['a maker fee of 2', { fees: { maker: '2' } }, 'INVALID_FEES', /fees\.maker/],
    ['a negative taker fee', { fees: { taker: '-0.001' } }, 'INVALID_FEES', /fees\.taker/],
    ['a maker rebate larger than the cheapest taker fee (0.1 %)', { fees: { maker: '-0.002' } }, 'INVALID_FEES', /rebate/],
    ['a maker rebate larger than the given taker fee', { fees: { maker: '-0.0006', taker: '0.0005' } }, 'INVALID_FEES', /rebate/],
    ['a fee that is not a decimal string', { fees: { taker: 0.001 } }, 'INVALID_FEES', /decimal/],
    ['an unknown fee asset mode', { fees: { feeAsset: 'base' } }, 'INVALID_FEES', /feeAsset/],
    ['a negative balance', { balances: { USDT: '-1' } }, 'INVALID_BALANCE', /negative/],
    ['a balance that is not a plain decimal', { balances: { USDT: '1e3' } }, 'INVALID_BALANCE', /decimal/],
    ['a balance of 10^20', { balances: { USDT: '100000000000000000000' } }, 'INVALID_BALANCE', /10\^20/],
    ['a lower-case asset', { balances: { usdt: '1' } }, 'INVALID_ASSET', /asset code/],
    ['an asset with punctuation', { balances: { 'US-DT': '1' } }, 'INVALID_ASSET', /asset code/],
    ['an empty asset name', { balances: { '': '1' } }, 'INVALID_ASSET', /asset code/],
    ['futures leverage above the perpetual’s 125', { type: 'futures', leverage: 126 }, 'INVALID_LEVERAGE', /1 to 125/],
    ['futures leverage 0', { type: 'futures', leverage: 0 }, 'INVALID_LEVERAGE', /1 to 125/],
    ['a fractional leverage', { type: 'futures', leverage: 2.5 }, 'INVALID_LEVERAGE', /whole number/],
    ['a leverage on a spot account', { leverage: 5 }, 'INVALID_LEVERAGE', /futures/],
    ['an unknown margin mode', { type: 'futures', marginMode: 'CROSS' }, 'INVALID_ORDER', /marginMode/],
    ['an unknown account type', { type: 'margin' }, 'INVALID_ORDER', /type/],
  ];
  for (const [name, fields, code, message] of cases) {
    it(`account.open with ${name} → ACCOUNT_REJECTED ${code}`, () => {
      const k = kernel();
      const event = refusedUnchanged(k, open(fields));
      expect(event).toMatchObject({ type: 'ACCOUNT_REJECTED', account: 'a', code });
      expect(event.type === 'ACCOUNT_REJECTED' && event.message).toMatch(message);
      expect(k.accountIds()).toEqual([]);
    });
  }

  it('accepts the bounds themselves: taker 0.01, maker −0.0001 under taker 0.0005, leverage 125', () => {
    const k = kernel();
    expect(k.handle(open({ fees: { taker: '0.01', maker: '0.01' } }))[0]).toMatchObject({ type: 'ACCOUNT_OPENED' });
    expect(k.handle(open({ account: 'b', fees: { maker: '-0.0001', taker: '0.0005' } }))[0]).toMatchObject({ type: 'ACCOUNT_OPENED' });
    expect(k.handle(open({ account: 'c', type: 'futures', leverage: 125 }))[0]).toMatchObject({ type: 'ACCOUNT_OPENED' });
  });

  it('after a refused open with taker 2, a market buy for that account is an unknown account, and the engine trades on', () => {
    const k = kernel();
    k.handle(open({ fees: { taker: '2' } }));
    expect(k.handle({ kind: 'order.place', time: T, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' })).toEqual([
      expect.objectContaining({ type: 'ORDER_REJECTED', code: 'UNKNOWN_ACCOUNT' }),
    ]);
    k.handle(open({}));
    const fill = k.handle({ kind: 'order.place', time: T, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' }).find((e) => e.type === 'FILL');
    expect(fill).toMatchObject({ price: '61800.01', fee: '0.000001', feeAsset: 'BTC' }); // 0.001 × 0.1 %
    k.checkInvariants();
  });

  it('a reset with a negative balance is refused before the account’s orders are cancelled', () => {
    const k = kernel();
    k.handle(open({}));
    k.handle({ kind: 'order.place', time: T, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '60000.00', clientOrderId: 'rest' });
    const event = refusedUnchanged(k, { kind: 'account.reset', time: T, account: 'a', balances: { USDT: '-5' } });
    expect(event).toMatchObject({ type: 'ACCOUNT_REJECTED', code: 'INVALID_BALANCE' });
    expect(k.openOrders('a').map((o) => o.clientOrderId)).toEqual(['rest']);
    expect(k.balances('a')!.USDT).toEqual({ free: '400', locked: '600' });
  });

  it('leverage.set outside 1 … 125 is LEVERAGE_REJECTED with code INVALID_LEVERAGE', () => {
    const k = kernel();
    k.handle(open({ type: 'futures', leverage: 10 }));
    for (const leverage of [126, 0, -1, 1.5]) {
      const event = refusedUnchanged(k, { kind: 'leverage.set', time: T, account: 'a', symbol: 'ETHUSDT', leverage });
      expect(event).toMatchObject({ type: 'LEVERAGE_REJECTED', code: 'INVALID_LEVERAGE', leverage });
    }
    expect(refusedUnchanged(k, { kind: 'leverage.set', time: T, account: 'a', symbol: 'BTCUSDT', leverage: 5 })).toMatchObject({ code: 'INVALID_LEVERAGE', message: expect.stringMatching(/not a perpetual/) });
    expect(k.handle({ kind: 'leverage.set', time: T, account: 'a', symbol: 'ETHUSDT', leverage: 125 })).toEqual([expect.objectContaining({ type: 'LEVERAGE_SET', leverage: 125 })]);
  });
});

describe('an imported document is checked field by field against the export format', () => {
  function exported(): { k: Kernel; doc: Record<string, unknown> & { account: Record<string, unknown> } } {
    const k = kernel();
    k.handle(open({ balances: { USDT: '1000', BTC: '1' } }));
    k.handle({ kind: 'order.place', time: T, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '60000.00', clientOrderId: 'rest' });
    k.handle({ kind: 'order.place', time: T, account: 'a', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.5', stopPrice: '59000.00', clientOrderId: 'stop' });
    return { k, doc: JSON.parse(k.exportAccount('a')!) as Record<string, unknown> & { account: Record<string, unknown> } };
  }
  const importAs = (document: unknown): KernelInput => ({ kind: 'account.import', time: T, account: 'b', document: typeof document === 'string' ? document : JSON.stringify(document) });

  it('imports an untouched export, open orders and all', () => {
    const { k, doc } = exported();
    expect(k.handle(importAs(doc))).toEqual([expect.objectContaining({ type: 'ACCOUNT_IMPORTED', account: 'b', openOrders: 2 }), expect.objectContaining({ type: 'EQUITY', account: 'b' })]);
    expect(k.balances('b')).toEqual(k.balances('a'));
    k.checkInvariants();
  });

  it('imports a document written before orders carried their fee state', () => {
    const { k, doc } = exported();
    for (const order of doc.orders as Array<Record<string, unknown>>) {
      delete order.feeExact;
      delete order.feeCharged;
    }
    expect(k.handle(importAs(doc))[0]).toMatchObject({ type: 'ACCOUNT_IMPORTED' });
    k.checkInvariants();
  });

  const broken: Array<[string, (doc: Record<string, unknown> & { account: Record<string, unknown> }) => unknown, RegExp]> = [
    ['only its header', () => ({ format: 'papertrade.account', version: 1 }), /document\.exportedAt: is missing/],
    ['health removed', (doc) => { delete doc.health; return doc; }, /document\.health: is missing/],
    ['account.kind changed to futures', (doc) => { doc.account.kind = 'futures'; return doc; }, /account\.\w+: is (missing|not a field)/],
    ['a negative free balance', (doc) => JSON.parse(JSON.stringify(doc).replace('"free":{"$n":"', '"free":{"$n":"-')) as unknown, /negative/],
    ['a balance that disagrees with its ledger', (doc) => JSON.parse(JSON.stringify(doc).replace(/"free":\{"\$n":"(\d)/, '"free":{"$n":"9$1')) as unknown, /ledger/],
    ['a lock that no open order holds', (doc) => { (doc.orders as Array<Record<string, unknown>>)[0]!.locked = { $n: '1' }; return doc; }, /what the open orders hold/],
    ['an unknown field', (doc) => ({ ...doc, extra: true }), /document\.extra: is not a field/],
    ['an order with an unknown status', (doc) => { (doc.orders as Array<Record<string, unknown>>)[0]!.status = 'ALIVE'; return doc; }, /orders\[0\]\.status/],
    ['a fee rate of 2', (doc) => { doc.account.fees = { taker: { $n: '2000000000000000000' } }; return doc; }, /fees\.taker/],
    ['a lower-case asset', (doc) => JSON.parse(JSON.stringify(doc).replaceAll('"USDT"', '"usdt"')) as unknown, /asset code/],
    ['version 2', (doc) => ({ ...doc, version: 2 }), /document\.version/],
    ['an array', () => [1, 2, 3], /must be an object/],
  ];
  for (const [name, mutate, message] of broken) {
    it(`refuses a document with ${name}: ACCOUNT_REJECTED INVALID_DOCUMENT, nothing imported`, () => {
      const { k, doc } = exported();
      const event = refusedUnchanged(k, importAs(mutate(doc)));
      expect(event).toMatchObject({ type: 'ACCOUNT_REJECTED', code: 'INVALID_DOCUMENT' });
      expect(event.type === 'ACCOUNT_REJECTED' && event.message).toMatch(message);
      expect(k.accountIds()).toEqual(['a']);
    });
  }

  it('refuses text that is not JSON', () => {
    const { k } = exported();
    expect(refusedUnchanged(k, importAs('{"format":"papertrade.account",'))).toMatchObject({ code: 'INVALID_DOCUMENT', message: expect.stringMatching(/not JSON/) });
  });
});
