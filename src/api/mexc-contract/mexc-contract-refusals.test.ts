/**
 * Every refusal of the MEXC contract order routes, sent over the real routes (signed as ccxt's `mexc`
 * signs them) to a real engine on the bundled USD-M recording at 1723161400000 (mark 61,725.1), and
 * answered with MEXC's contract code and words and the particulars in contracts.
 *
 * The expected answers are written here by hand from MEXC's futures API error table (2003 "Overpriced
 * to pay", 2004 "Low-price for selling", 2005 "Balance insufficient", 2007 "Order price error", 2009,
 * 2011 "Order quantity error", 2015 "Price or quantity accuracy error", 2031, 1001, 2002, 2006), its
 * `order/cancel` answer (2040 "order not exist", 2041 "order state cannot be cancelled") and the
 * words ccxt's `mexc` class records from MEXC's answers. BTC_USDT: contract size 0.0001 BTC (MEXC's),
 * the engine's rules in contracts: volUnit and minVol 10 (0.001 BTC), maxVol 10,000,000 (1000 BTC),
 * market maxVol 1,200,000 (120 BTC), priceUnit 0.1, prices 556.8–1,000,000, order value at least
 * 100 USDT, a limit within 0.85×–1.15× the mark (52,466.335–70,983.865).
 */
import ccxt from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcContractApi } from './mexc-contract-api.js';
import { injectMexcContract } from '../../test-kit/mexc-contract-signed.js';

const T = 1723161400000;
type Keys = { apiKey: string; apiSecret: string };

describe('MEXC contract refusals answer MEXC contract codes, sizes in contracts', () => {
  let service: TestService;
  const accounts: Record<'main' | 'poor' | 'high', Keys> = {} as never;

  /** A request signed by ccxt's `mexc.sign` (contract branch), sent in-process. */
  const call = async (who: Keys, method: 'GET' | 'POST', path: string, body?: unknown) => {
    const reply = await injectMexcContract(service.app, who, method, path, body);
    return { status: reply.statusCode, body: reply.json() as Record<string, unknown> };
  };
  const create = (who: Keys, order: Record<string, unknown>) => call(who, 'POST', 'order/create', { symbol: 'BTC_USDT', openType: 1, ...order });

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T, plugins: [registerMexcContractApi] });
    const open = async (payload: Record<string, unknown>) =>
      (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { type: 'futures', ...payload } })).json() as Keys;
    accounts.main = await open({ name: 'main', leverage: 10, balances: { USDT: '100000' } });
    accounts.poor = await open({ name: 'poor', leverage: 10, balances: { USDT: '50' } });
    accounts.high = await open({ name: 'high', leverage: 125, balances: { USDT: '100000' } });
  });
  afterAll(async () => service?.close());

  // side 1 open long (BUY), 3 open short (SELL), 4 close long (reduce-only SELL); type 1 limit, 2 post-only, 5 market.
  const ORDER_REFUSALS: readonly { name: string; who: 'main' | 'poor' | 'high'; order: Record<string, unknown>; code: number; message: string }[] = [
    { name: 'vol off the volUnit grid', who: 'main', order: { side: 1, type: 1, vol: 25, price: 60000 }, code: 2011, message: 'Order quantity error, please try to modify. (vol 25 is not a multiple of volUnit 10)' },
    // No contract at all is a malformed order rather than one under minVol (mexc-contract.hostile.test.ts).
    { name: 'vol of no contract', who: 'main', order: { side: 1, type: 1, vol: 0, price: 60000 }, code: 600, message: 'Param error! quantity must be positive' },
    { name: 'vol over maxVol', who: 'main', order: { side: 1, type: 1, vol: 10_000_010, price: 60000 }, code: 2011, message: 'Order quantity error, please try to modify. (vol 10000010 is above maxVol 10000000)' },
    { name: 'market vol over the market maxVol', who: 'main', order: { side: 1, type: 5, vol: 1_200_010 }, code: 2011, message: 'Order quantity error, please try to modify. (vol 1200010 is above the market order maxVol 1200000)' },
    // 10 contracts = 0.001 BTC, 60 USDT at 60,000.
    { name: 'order value under the minimum', who: 'main', order: { side: 1, type: 1, vol: 10, price: 60000 }, code: 2011, message: 'Order quantity error, please try to modify. (vol 10 is worth less than the minimum order value of 100 USDT)' },
    { name: 'price off the priceUnit grid', who: 'main', order: { side: 1, type: 1, vol: 100, price: 60000.05 }, code: 2015, message: 'Price or quantity accuracy error (price 60000.05 is not a multiple of priceUnit 0.1)' },
    { name: 'price under the minimum', who: 'main', order: { side: 1, type: 1, vol: 100, price: 500 }, code: 2007, message: 'Order price error (price 500 is below the minimum 556.8)' },
    { name: 'price over the maximum', who: 'main', order: { side: 3, type: 1, vol: 100, price: 1000000.1 }, code: 2007, message: 'Order price error (price 1000000.1 is above the maximum 1000000)' },
    { name: 'an attached take-profit off the priceUnit grid', who: 'main', order: { side: 1, type: 1, vol: 100, price: 60000, takeProfitPrice: 65000.05 }, code: 2015, message: 'Price or quantity accuracy error (takeProfit.stopPrice 65000.05 is not a multiple of the tick size 0.1)' },
    { name: 'a buy over the band', who: 'main', order: { side: 1, type: 1, vol: 100, price: 71000 }, code: 2003, message: 'Bid price is great than max allow price (BUY price 71000 outside 0.85×–1.15× the mark price 61725.1)' },
    { name: 'a buy under the band', who: 'main', order: { side: 1, type: 1, vol: 100, price: 40000 }, code: 2007, message: 'Order price error (BUY price 40000 outside 0.85×–1.15× the mark price 61725.1)' },
    { name: 'a sell under the band', who: 'main', order: { side: 3, type: 1, vol: 100, price: 52466.3 }, code: 2004, message: 'Low-price for selling (SELL price 52466.3 outside 0.85×–1.15× the mark price 61725.1)' },
    { name: 'a sell over the band', who: 'main', order: { side: 3, type: 1, vol: 100, price: 71000 }, code: 2007, message: 'Order price error (SELL price 71000 outside 0.85×–1.15× the mark price 61725.1)' },
    { name: 'a post-only buy that would take', who: 'main', order: { side: 1, type: 2, vol: 100, price: 63000 }, code: 2007, message: 'Order price error (a post-only order would immediately match and take)' },
    { name: 'a close with no position', who: 'main', order: { side: 4, type: 1, vol: 100, price: 63000 }, code: 2009, message: 'Position is not exists or closed.' },
    // 1000 contracts = 0.1 BTC, 6,000 USDT at 60,000: 600 USDT of margin at 10x and the taker fee 6,000 × 0.0005 = 3 held, 50 USDT in the account.
    { name: 'margin short', who: 'poor', order: { side: 1, type: 1, vol: 1000, price: 60000 }, code: 2005, message: 'Insufficient balance! (margin 603 USDT needed, 50 available)' },
    // 125x holds at most 50,000 USDT (the first bracket; the next allows 100x); 10,000 contracts = 1 BTC, 60,000 USDT at 60,000.
    { name: 'a position over the bracket of the leverage', who: 'high', order: { side: 1, type: 1, vol: 10_000, price: 60000 }, code: 2031, message: 'The allowable holding position exceed the current risk limit (125x allows a position below the next bracket; this order could reach 60000 USDT, where at most 100x is allowed)' },
    { name: 'an unknown contract', who: 'main', order: { symbol: 'DOGE_USDT', side: 1, type: 1, vol: 10, price: 1 }, code: 1001, message: 'Contract does not exist!' },
    { name: 'the other margin mode', who: 'main', order: { side: 1, type: 1, vol: 100, price: 60000, openType: 2 }, code: 2002, message: 'Wrong opening type: this account trades isolated margin (openType 1)' },
    { name: 'another leverage', who: 'main', order: { side: 1, type: 1, vol: 100, price: 60000, leverage: 20 }, code: 2006, message: 'Leverage ratio error: BTC_USDT trades at 10x; change it with position/change_leverage first' },
  ];

  it.each(ORDER_REFUSALS)('$name answers $code', async ({ who, order, code, message }) => {
    const answer = await create(accounts[who], order);
    expect(answer).toEqual({ status: 200, body: { success: false, code, message } });
  });

  it('a leverage change with an open order answers 2005 when the account cannot pay the larger margin and 2023 past the bracket, changing nothing', async () => {
    const open = async (name: string, balance: string) =>
      (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { type: 'futures', name, leverage: 10, balances: { USDT: balance } } })).json() as Keys & { id: string };
    const change = (who: Keys, leverage: number) => call(who, 'POST', 'position/change_leverage', { symbol: 'BTC_USDT', leverage, openType: 1, positionType: 1 });
    const leverageOf = (id: string) => (service.engine.kernel.account(id) as { leverageOf(symbol: string): number }).leverageOf('BTCUSDT');

    // 1,000 contracts = 0.1 BTC, 6,000 USDT at 60,000: 600 of margin and 3 of fee (0.05 %) at 10x, 1,200 + 3 at 5x; 397 of 1,000 free.
    const small = await open('lev-small', '1000');
    expect((await create(small, { side: 1, type: 1, vol: 1000, price: 60000 })).body).toMatchObject({ success: true });
    expect(await change(small, 5)).toEqual({ status: 200, body: { success: false, code: 2005, message: 'Insufficient balance! (600 USDT more margin needed at 5x, 397 available)' } });
    expect(leverageOf(small.id)).toBe(10);

    // 10,000 contracts = 1 BTC, 60,000 USDT: past 125x's first bracket (50,000), where 100x is the most.
    const big = await open('lev-big', '100000');
    expect((await create(big, { side: 1, type: 1, vol: 10_000, price: 60000 })).body).toMatchObject({ success: true });
    expect(await change(big, 125)).toEqual({ status: 200, body: { success: false, code: 2023, message: "There are positions over the maximum leverage (the position's and open orders' notional 60000 USDT allows at most 100x)" } });
    expect(leverageOf(big.id)).toBe(10);
    expect((await change(big, 100)).body).toEqual({ success: true, code: 0 });
  });

  it('an externalOid in use by an open order answers 600 "Param error!"', async () => {
    expect((await create(accounts.main, { side: 1, type: 1, vol: 100, price: 60000, externalOid: 'twice' })).body).toMatchObject({ success: true });
    expect(await create(accounts.main, { side: 1, type: 1, vol: 100, price: 60000, externalOid: 'twice' })).toEqual({
      status: 200,
      body: { success: false, code: 600, message: 'Param error! externalOid twice is already in use by an open order' },
    });
  });

  it('a cancel answers 2040 for an order that does not exist and 2041 for one no longer open; a query of an unknown order 2040', async () => {
    const placed = await create(accounts.main, { side: 1, type: 1, vol: 100, price: 60000 });
    const orderId = String((placed.body.data as { orderId: unknown }).orderId);
    expect((await call(accounts.main, 'POST', 'order/cancel', [orderId])).body).toEqual({ success: true, code: 0, data: [{ orderId, errorCode: 0, errorMsg: 'success' }] });
    expect((await call(accounts.main, 'POST', 'order/cancel', [orderId, '999999'])).body).toEqual({
      success: true,
      code: 0,
      data: [
        { orderId, errorCode: 2041, errorMsg: 'order state cannot be cancelled' },
        { orderId: '999999', errorCode: 2040, errorMsg: 'order not exist' },
      ],
    });
    expect(await call(accounts.main, 'GET', 'order/get/999999')).toEqual({ status: 200, body: { success: false, code: 2040, message: 'order not exist' } });
  });

  // A leverage change the engine refuses answers the code of its cause from the same table as an order:
  // over the bracket 2023, margin short 2005 (ccxt: InsufficientFunds), a reduction in isolated margin 600.
  it('change_leverage refused over the bracket answers 2023, with margin short 2005, a reduction in isolated margin 600; the leverage stays', async () => {
    const open = async (payload: Record<string, unknown>) =>
      (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { type: 'futures', ...payload } })).json() as Keys & { id: string };
    const leverageOf = (id: string) => {
      const a = service.engine.kernel.account(id);
      return a?.kind === 'futures' ? a.leverageOf('BTCUSDT') : undefined;
    };
    const change = (who: Keys, leverage: number, openType: number) => call(who, 'POST', 'position/change_leverage', { symbol: 'BTC_USDT', leverage, openType, positionType: 1 });

    // 10,000 contracts = 1 BTC long at about 61,725 USDT: 125x allows under 50,000 USDT, 100x the next bracket.
    const isolated = await open({ name: 'lev-isolated', leverage: 10, balances: { USDT: '100000' } });
    expect((await create(isolated, { side: 1, type: 5, vol: 10_000 })).body).toMatchObject({ success: true });
    const over = await change(isolated, 125, 1);
    expect(over.body).toMatchObject({ success: false, code: 2023 });
    expect(over.body.message).toMatch(/^There are positions over the maximum leverage \(the position's and open orders' notional 6\d{4}(\.\d{1,2})? USDT allows at most 100x\)$/);
    expect(await change(isolated, 5, 1)).toEqual({ status: 200, body: { success: false, code: 600, message: 'Param error! Leverage reduction is not supported in Isolated Margin Mode with open positions' } });
    expect(leverageOf(isolated.id)).toBe(10);

    // Cross, 1,000 USDT: 0.1 BTC (about 6,172 USDT) at 10x holds about 617 USDT of margin; at 1x it would need about 6,172.
    const cross = await open({ name: 'lev-cross', leverage: 10, marginMode: 'cross', balances: { USDT: '1000' } });
    expect((await create(cross, { side: 1, type: 5, vol: 1_000, openType: 2 })).body).toMatchObject({ success: true });
    const short = await change(cross, 1, 2);
    expect(short.body).toMatchObject({ success: false, code: 2005 });
    expect(short.body.message).toMatch(/^Insufficient balance! \([\d.]+ USDT more margin needed at 1x, [\d.]+ available\)$/);
    expect(leverageOf(cross.id)).toBe(10);
    // What ccxt's mexc class raises for these answers (its own handleErrors): InsufficientFunds for 2005, BadRequest for 600.
    const raised = (body: Record<string, unknown>) => {
      try {
        new ccxt.mexc().handleErrors(200, 'OK', '/api/v1/private/position/change_leverage', 'POST', {}, JSON.stringify(body), body, {}, '');
      } catch (error) {
        return (error as Error).constructor;
      }
      return undefined;
    };
    expect(raised(short.body)).toBe(ccxt.InsufficientFunds);
    expect(raised((await change(isolated, 5, 1)).body)).toBe(ccxt.BadRequest);
    expect(raised(over.body)).toBe(ccxt.ExchangeError);
  });
});
