/**
 * `POST /api/positions/close-all` (and `POST /api/positions/:symbol/close`) as one step (ADR 0086)
 * against a demanding and hostile user: the fdatasync held, two closes of all positions at once, a
 * single close or an order that flips the position racing it, a spot account, an account with
 * nothing open, bodies with terms, latency (without and with the service's event waiter), an
 * fdatasync that fails, restarts from the journal, and a live venue whose order calls time out.
 * The oracles are independent of the answers under test: the journal's rows as stored, the audit
 * log, the fdatasyncs counted at the file handle (test-kit/held-syncs.ts), the read tables
 * (positions, order history, fills), and the wallet computed by hand from the fills' prices and
 * sizes and the instrument's taker fee, to the last unit.
 * The account holds positions on perpetuals that share the bundled USD-M recording's data
 * (test-kit `mirrors`): BTCUSDT, XBTUSDT and YBTUSDT.
 */
import ccxt, { type Order as CcxtOrder, type Position } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LiveAccountReads } from '../execution/live-account-reads.js';
import { LiveExecutionService } from '../execution/live-execution-service.js';
import { PaperExecutionService } from '../execution/paper-execution-service.js';
import { eventWaiterOn, paperExecutionPort } from '../service/paper-port.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { watchSyncs } from '../test-kit/held-syncs.js';
import { journalAfter, journalHead, type JournalRow } from '../test-kit/journal-rows.js';
import { closeAll, INITIAL, MIRRORS, openAccount, openPosition, placeMarket, threePositions, type Account, type Headers, type Order } from '../test-kit/position-close-kit.js';
import { startTestService, type TestService } from '../test-kit/service-kit.js';
import { sleep, until } from '../test-kit/wait.js';
import { watchedService } from '../test-kit/watched-service.js';
import { buildServer } from './server.js';

const UNTIL = 1723161300000;

interface CloseAnswer {
  readonly orders: Order[];
  readonly errors?: { symbol: string; code: string; message: string }[];
}

const closeOne = (service: TestService, headers: Headers, symbol: string) => service.app.inject({ method: 'POST', url: `/api/positions/${symbol}/close`, headers });

async function positions(service: TestService, headers: Headers): Promise<[string, string, string][]> {
  await service.engine.readModelCaughtUp();
  const res = await service.app.inject({ url: '/api/account/positions', headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: { symbol: string; direction: string; totalSize: string }[] }>().items.map((p) => [p.symbol, p.direction, p.totalSize]);
}

/** The account's orders journaled after `seq`. */
async function placedAfter(service: TestService, account: Account, seq: number): Promise<JournalRow[]> {
  return (await journalAfter(service, seq)).filter((r) => r.kind === 'order.place' && r.account === account.id);
}

async function closeEntries(service: TestService, account: Account): Promise<{ symbols: string[]; closes: { symbol: string; clientOrderId: string; result: Record<string, unknown> }[] }[]> {
  const entries = await service.deps.audit.query({ accountId: account.id, action: 'position.close', limit: 50 });
  return entries.map((e) => e.details as { symbols: string[]; closes: { symbol: string; clientOrderId: string; result: Record<string, unknown> }[] });
}

async function history(service: TestService, headers: Headers): Promise<{ id: string; clientOrderId: string; symbol: string; side: string; status: string; executedQty: string; cumulativeQuoteQty: string }[]> {
  const res = await service.app.inject({ url: '/api/orders?limit=100', headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: { id: string; clientOrderId: string; symbol: string; side: string; status: string; executedQty: string; cumulativeQuoteQty: string }[] }>().items;
}

/** The account's orders refused at the venue (the read tables' `order_rejections`). */
async function rejections(service: TestService, account: Account): Promise<{ clientOrderId: string; symbol: string; code: string }[]> {
  await service.engine.readModelCaughtUp();
  const rows = await service.engine.db.selectFrom('order_rejections').select(['clientOrderId', 'symbol', 'code']).where('accountId', '=', account.id).execute();
  return rows.map((r) => ({ clientOrderId: r.clientOrderId, symbol: r.symbol, code: r.code }));
}

/** A decimal string as an integer of 10^-12 units (every figure here has fewer decimals). */
const DIGITS = 12;
function units(decimal: string): bigint {
  const negative = decimal.startsWith('-');
  const [whole, fraction = ''] = (negative ? decimal.slice(1) : decimal).split('.');
  expect(fraction.length).toBeLessThanOrEqual(DIGITS);
  const value = BigInt(whole!) * 10n ** BigInt(DIGITS) + BigInt(fraction.padEnd(DIGITS, '0'));
  return negative ? -value : value;
}
const times = (a: bigint, b: bigint): bigint => {
  const product = a * b;
  expect(product % 10n ** BigInt(DIGITS)).toBe(0n);
  return product / 10n ** BigInt(DIGITS);
};

describe('closing every position with the fdatasync held, racing, and with hostile input', () => {
  const watched = watchedService({ recording: USDM_RECORDING, until: UNTIL, mirrors: MIRRORS });

  it('with the fdatasync held: no answer, yet every close handled and its audit entry committed; released: 200 after one fdatasync, and the history, fills and wallet agree with the answer and with a computation by hand to the unit', async () => {
    const { service, syncs } = watched;
    const account = await openAccount(service, 'held');
    const opens = await threePositions(service, account.headers);
    const head = await journalHead(service);
    const before = syncs.count;
    syncs.hold();
    let answered = false;
    const pending = closeAll(service, account.headers).then((res) => {
      answered = true;
      return res;
    });
    await until(() => syncs.held > 0, 'the closes’ fdatasync held');
    await sleep(100);
    expect(answered).toBe(false);
    const state = service.engine.kernel.account(account.id);
    expect(state?.kind === 'futures' ? state.openPositions() : undefined).toEqual([]);
    expect(await closeEntries(service, account)).toHaveLength(1);
    syncs.release();
    const res = await pending;
    expect(res.statusCode, res.body).toBe(200);
    expect(syncs.count - before).toBe(1);
    const { orders, errors } = res.json<CloseAnswer>();
    expect(errors).toBeUndefined();
    expect(orders.map((o) => [o.symbol, o.side, o.status, o.quantity, o.executedQty])).toEqual([
      ['BTCUSDT', 'SELL', 'FILLED', '0.5', '0.5'],
      ['XBTUSDT', 'BUY', 'FILLED', '0.3', '0.3'],
      ['YBTUSDT', 'SELL', 'FILLED', '0.2', '0.2'],
    ]);

    const rows = await placedAfter(service, account, head);
    expect(rows.map((r) => [r.symbol, r.side, r.quantity, r.reduceOnly, r.clientOrderId])).toEqual(orders.map((o) => [o.symbol, o.side, o.quantity, true, o.clientOrderId]));
    expect(new Set(rows.map((r) => r.time)).size).toBe(1);
    expect(await positions(service, account.headers)).toEqual([]);

    const recorded = await history(service, account.headers);
    for (const o of orders) {
      expect(recorded.filter((r) => r.id === o.orderId)).toEqual([expect.objectContaining({ clientOrderId: o.clientOrderId, status: 'FILLED', executedQty: o.executedQty, cumulativeQuoteQty: o.cumulativeQuoteQty })]);
    }
    const [entry] = await closeEntries(service, account);
    expect(entry).toEqual({ symbols: ['BTCUSDT', 'XBTUSDT', 'YBTUSDT'], closes: orders.map((o) => ({ symbol: o.symbol, clientOrderId: o.clientOrderId, result: { orderId: o.orderId, status: 'FILLED' } })) });

    // By hand: each fill's quote is price × size, its fee quote × the taker fee; a position closed in
    // full realized (close quote − open quote) for a long, the opposite for a short.
    const fillsRes = await service.app.inject({ url: '/api/account/fills?limit=100', headers: account.headers });
    const fills = fillsRes.json<{ items: { orderId: string; price: string; size: string; quoteQty: string; fee: string }[] }>().items;
    const taker = service.engine.kernel.instrument('BTCUSDT')!.takerFee;
    const rate = (taker * 10n ** BigInt(DIGITS)) / 10n ** 18n;
    let fees = 0n;
    const quoteOf = new Map<string, bigint>();
    const sizeOf = new Map<string, bigint>();
    for (const f of fills) {
      const quote = times(units(f.price), units(f.size));
      expect(quote).toBe(units(f.quoteQty));
      const fee = times(quote, rate);
      expect(fee, `fee of a fill of order ${f.orderId}`).toBe(units(f.fee));
      fees += fee;
      quoteOf.set(f.orderId, (quoteOf.get(f.orderId) ?? 0n) + quote);
      sizeOf.set(f.orderId, (sizeOf.get(f.orderId) ?? 0n) + units(f.size));
    }
    for (const o of [...opens, ...orders]) {
      expect(sizeOf.get(o.orderId), `order ${o.orderId}`).toBe(units(o.executedQty));
      expect(quoteOf.get(o.orderId), `order ${o.orderId}`).toBe(units(o.cumulativeQuoteQty));
    }
    let realized = 0n;
    opens.forEach((o, i) => {
      const pnl = quoteOf.get(orders[i]!.orderId)! - quoteOf.get(o.orderId)!;
      realized += o.side === 'BUY' ? pnl : -pnl;
    });
    const wallet = units(INITIAL) + realized - fees;
    const balances = (await service.app.inject({ url: '/api/account/balances', headers: account.headers })).json<{ balances: { USDT: { free: string; locked: string } } }>().balances.USDT;
    expect([units(balances.free), units(balances.locked)]).toEqual([wallet, 0n]);
    const summary = (await service.app.inject({ url: '/api/account', headers: account.headers })).json<{ equity: string; marginUsed: string }>();
    expect([units(summary.equity), units(summary.marginUsed)]).toEqual([wallet, 0n]);
  });

  it('two closes of all positions at once: each position closed exactly once, by one answer; the other refused; nothing flips; every journaled close has one outcome in the audit log', async () => {
    const { service } = watched;
    const account = await openAccount(service, 'twice');
    await threePositions(service, account.headers);
    const head = await journalHead(service);
    const answers = await Promise.all([closeAll(service, account.headers), closeAll(service, account.headers)]);
    const filled = answers.flatMap((a) => (a.statusCode === 200 ? a.json<CloseAnswer>().orders.filter((o) => o.status === 'FILLED') : []));
    expect(filled.map((o) => [o.symbol, o.executedQty]).sort()).toEqual([['BTCUSDT', '0.5'], ['XBTUSDT', '0.3'], ['YBTUSDT', '0.2']]);
    for (const a of answers) {
      if (a.statusCode !== 200) expect(a.json(), a.body).toMatchObject({ code: 'REDUCE_ONLY_REJECTED' });
      else for (const e of a.json<CloseAnswer>().errors ?? []) expect(e.code).toBe('REDUCE_ONLY_REJECTED');
    }
    expect(await positions(service, account.headers)).toEqual([]);
    const rows = await placedAfter(service, account, head);
    expect(rows).toHaveLength(6);
    expect(rows.every((r) => r.reduceOnly === true)).toBe(true);
    const outcomes = (await closeEntries(service, account)).flatMap((e) => e.closes);
    expect(outcomes).toHaveLength(6);
    expect(outcomes.filter((c) => c.result['status'] === 'FILLED').map((c) => c.result['orderId']).sort()).toEqual(filled.map((o) => o.orderId).sort());
    expect(outcomes.filter((c) => c.result['status'] !== 'FILLED').map((c) => c.result['code'])).toEqual(['REDUCE_ONLY_REJECTED', 'REDUCE_ONLY_REJECTED', 'REDUCE_ONLY_REJECTED']);
  });

  it('a single close racing the close of all positions on the same symbol: the position is closed once, by one of the two answers, and never flips', async () => {
    const { service } = watched;
    const account = await openAccount(service, 'race-one');
    await threePositions(service, account.headers);
    const [all, one] = await Promise.all([closeAll(service, account.headers), closeOne(service, account.headers, 'BTCUSDT')]);
    const sold = [...(all.statusCode === 200 ? all.json<CloseAnswer>().orders : []), ...(one.statusCode === 200 ? one.json<CloseAnswer>().orders : [])].filter((o) => o.symbol === 'BTCUSDT');
    expect(sold.map((o) => [o.side, o.status, o.executedQty])).toEqual([['SELL', 'FILLED', '0.5']]);
    const refusals = [...(all.statusCode === 200 ? (all.json<CloseAnswer>().errors ?? []) : [all.json<{ code: string }>()]), ...(one.statusCode === 200 ? [] : [one.json<{ code: string }>()])];
    expect(refusals.map((r) => r.code)).toEqual(['REDUCE_ONLY_REJECTED']);
    expect(all.statusCode, all.body).toBe(200);
    expect(await positions(service, account.headers)).toEqual([]);
  });

  it('an order that flips the position, racing the close of all positions: the reduce-only close never adds to the new side', async () => {
    const { service } = watched;
    const account = await openAccount(service, 'race-flip');
    await openPosition(service, account.headers, 'BTCUSDT', 'BUY', '0.5');
    await openPosition(service, account.headers, 'XBTUSDT', 'SELL', '0.3');
    const [all, flip] = await Promise.all([closeAll(service, account.headers), placeMarket(service, account.headers, 'BTCUSDT', 'SELL', '1')]);
    expect(flip.statusCode, flip.body).toBe(201);
    expect(all.statusCode, all.body).toBe(200);
    const answer = all.json<CloseAnswer>();
    const closedBtc = answer.orders.some((o) => o.symbol === 'BTCUSDT' && o.status === 'FILLED');
    if (!closedBtc) expect(answer.errors).toEqual([expect.objectContaining({ symbol: 'BTCUSDT', code: 'REDUCE_ONLY_REJECTED' })]);
    expect(await positions(service, account.headers)).toEqual([['BTCUSDT', 'SHORT', closedBtc ? '1' : '0.5']]);
  });

  it('a reduce-only order that partly closes the position, racing the close of all positions: whichever comes first, together they sell the long once, to flat, and the answers add up to it', async () => {
    const { service } = watched;
    const account = await openAccount(service, 'race-partial');
    await openPosition(service, account.headers, 'BTCUSDT', 'BUY', '0.5');
    await openPosition(service, account.headers, 'XBTUSDT', 'SELL', '0.3');
    const [partial, all] = await Promise.all([
      service.app.inject({ method: 'POST', url: '/api/orders', headers: account.headers, payload: { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.2', reduceOnly: true } }),
      closeAll(service, account.headers),
    ]);
    expect(all.statusCode, all.body).toBe(200);
    const answer = all.json<CloseAnswer>();
    expect(answer.errors).toBeUndefined();
    const btc = answer.orders.find((o) => o.symbol === 'BTCUSDT')!;
    if (partial.statusCode !== 201) expect(partial.json(), partial.body).toMatchObject({ code: 'REDUCE_ONLY_REJECTED' });
    const sold = partial.statusCode === 201 ? units(partial.json<Order>().executedQty) : 0n;
    expect(units(btc.executedQty) + sold).toBe(units('0.5'));
    expect(await positions(service, account.headers)).toEqual([]);
    const recorded = await history(service, account.headers);
    expect(recorded.find((o) => o.id === btc.orderId)).toMatchObject({ status: btc.status, executedQty: btc.executedQty, cumulativeQuoteQty: btc.cumulativeQuoteQty });
  });

  it('a spot account, an account with nothing open, and bodies with terms: refused or empty, nothing journaled, the positions as they were', async () => {
    const { service } = watched;
    const spot = await openAccount(service, 'spot', 'spot');
    const empty = await openAccount(service, 'empty');
    const holder = await openAccount(service, 'holder');
    await threePositions(service, holder.headers);
    const head = await journalHead(service);

    const spotRes = await closeAll(service, spot.headers);
    expect(spotRes.statusCode, spotRes.body).toBe(400);
    expect(spotRes.json()).toMatchObject({ code: 'NOT_A_FUTURES_ACCOUNT' });
    expect(await closeEntries(service, spot)).toEqual([]);

    const emptyRes = await closeAll(service, empty.headers);
    expect(emptyRes.statusCode, emptyRes.body).toBe(200);
    expect(emptyRes.json()).toEqual({ orders: [] });
    const none = await closeOne(service, empty.headers, 'BTCUSDT');
    expect(none.statusCode, none.body).toBe(404);

    for (const body of ['[]', '"all"', '7', '{"quantity":"0.1"}', '{"symbol":"BTCUSDT"}', '{"symbols":["BTCUSDT"]}', '{"__proto__":{"quantity":"0.1"}}', '{"a":1', 'symbol=BTCUSDT']) {
      for (const url of ['/api/positions/close-all', '/api/positions/BTCUSDT/close']) {
        const res = await service.app.inject({ method: 'POST', url, headers: { ...holder.headers, 'content-type': 'application/json' }, payload: body });
        expect(res.statusCode, `${url} ${body}: ${res.body}`).toBe(400);
      }
    }
    for (const url of ['/api/positions/ZZZUSDT/close', '/api/positions/btcusdt/close', '/api/positions/BTCUSDT%00/close', `/api/positions/${'B'.repeat(5000)}/close`]) {
      const res = await service.app.inject({ method: 'POST', url, headers: holder.headers });
      expect([400, 404], `${url}: ${res.body}`).toContain(res.statusCode);
    }
    expect(await placedAfter(service, spot, head)).toEqual([]);
    expect(await placedAfter(service, empty, head)).toEqual([]);
    expect(await placedAfter(service, holder, head)).toEqual([]);
    expect(await positions(service, holder.headers)).toEqual([['BTCUSDT', 'LONG', '0.5'], ['XBTUSDT', 'SHORT', '0.3'], ['YBTUSDT', 'LONG', '0.2']]);
  });
});

describe('closing every position with latency', () => {
  const LATENCY = 50;
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: UNTIL, mirrors: MIRRORS, latencyMs: LATENCY });
  }, 60_000);
  afterAll(async () => {
    await service?.close();
  });

  /** The three positions, each order on its way (ORDER_PENDING) and then arrived with the market fed. */
  async function pendingPositions(account: Account): Promise<void> {
    for (const [symbol, side, quantity] of [['BTCUSDT', 'BUY', '0.5'], ['XBTUSDT', 'SELL', '0.3'], ['YBTUSDT', 'BUY', '0.2']] as const) {
      const res = await placeMarket(service, account.headers, symbol, side, quantity);
      expect(res.json(), res.body).toMatchObject({ code: 'ORDER_PENDING' });
    }
    await service.feedFor(4 * LATENCY, LATENCY);
    expect(await positions(service, account.headers)).toEqual([['BTCUSDT', 'LONG', '0.5'], ['XBTUSDT', 'SHORT', '0.3'], ['YBTUSDT', 'LONG', '0.2']]);
  }

  it('every close on its way to the venue (ORDER_PENDING): the answer names each close by its clientOrderId, so that each can be looked up', async () => {
    const account = await openAccount(service, 'pending');
    await pendingPositions(account);
    const head = await journalHead(service);
    const res = await closeAll(service, account.headers);
    const rows = await placedAfter(service, account, head);
    expect(rows.map((r) => r.symbol)).toEqual(['BTCUSDT', 'XBTUSDT', 'YBTUSDT']);
    expect(new Set(rows.map((r) => r.time)).size).toBe(1);
    await service.feedFor(4 * LATENCY, LATENCY);
    expect(await positions(service, account.headers)).toEqual([]);
    const [entry] = await closeEntries(service, account);
    expect(entry!.closes.map((c) => [c.symbol, c.result['code']])).toEqual([['BTCUSDT', 'ORDER_PENDING'], ['XBTUSDT', 'ORDER_PENDING'], ['YBTUSDT', 'ORDER_PENDING']]);
    for (const row of rows) expect(res.body, `the answer (${res.statusCode}) names the close of ${row.symbol}`).toContain(row.clientOrderId!);
  });

  it('a close of all positions retried while the first one’s closes are on their way: each position closed once, none flips, the second closes refused at arrival', async () => {
    const account = await openAccount(service, 'retried');
    await pendingPositions(account);
    const head = await journalHead(service);
    await closeAll(service, account.headers);
    await closeAll(service, account.headers);
    await service.feedFor(4 * LATENCY, LATENCY);
    expect(await positions(service, account.headers)).toEqual([]);
    const rows = await placedAfter(service, account, head);
    expect(rows).toHaveLength(6);
    const recorded = await history(service, account.headers);
    const refusals = await rejections(service, account);
    const outcomes = rows.map((r) => {
      const order = recorded.filter((o) => o.clientOrderId === r.clientOrderId);
      const refused = refusals.filter((o) => o.clientOrderId === r.clientOrderId);
      return [r.symbol, ...order.map((o) => [o.status, o.executedQty]), ...refused.map((o) => o.code)];
    });
    expect(outcomes).toEqual([
      ['BTCUSDT', ['FILLED', '0.5']],
      ['XBTUSDT', ['FILLED', '0.3']],
      ['YBTUSDT', ['FILLED', '0.2']],
      ['BTCUSDT', 'REDUCE_ONLY_REJECTED'],
      ['XBTUSDT', 'REDUCE_ONLY_REJECTED'],
      ['YBTUSDT', 'REDUCE_ONLY_REJECTED'],
    ]);
  });
});

describe("closing every position with latency and the service's event waiter", () => {
  it('the closes arrive at the venue together: 200, one arrival time, the two longs sold on one book', async () => {
    const service = await startTestService({ recording: USDM_RECORDING, until: UNTIL, mirrors: MIRRORS, latencyMs: 50 });
    (service.deps as { execution: unknown }).execution = new PaperExecutionService(paperExecutionPort(service.engine, service.deps.hub, eventWaiterOn(service.deps.hub)), { arrivalTimeoutMs: 3_000 });
    let feeding = true;
    const feed = (async () => {
      while (feeding) await service.feedFor(50, 50);
    })();
    try {
      const account = await openAccount(service, 'waiter');
      await threePositions(service, account.headers);
      const head = await journalHead(service);
      const res = await closeAll(service, account.headers);
      expect(res.statusCode, res.body).toBe(200);
      const { orders, errors } = res.json<CloseAnswer>();
      expect(errors).toBeUndefined();
      expect(orders.map((o) => [o.symbol, o.status, o.executedQty])).toEqual([['BTCUSDT', 'FILLED', '0.5'], ['XBTUSDT', 'FILLED', '0.3'], ['YBTUSDT', 'FILLED', '0.2']]);
      const rows = await placedAfter(service, account, head);
      expect(rows.at(-1)!.seq - rows[0]!.seq).toBe(2);
      expect(new Set(orders.map((o) => o.createdAt))).toEqual(new Set([rows[0]!.time + 50]));
      const average = (o: Order) => Number(o.cumulativeQuoteQty) / Number(o.executedQty);
      expect(average(orders[0]!)).toBeCloseTo(average(orders[2]!), 6);
      expect(await positions(service, account.headers)).toEqual([]);
    } finally {
      feeding = false;
      await feed;
      await service.close();
    }
  });
});

describe('closing positions when the fdatasync fails', () => {
  const eio = () => Object.assign(new Error('EIO: i/o error, fdatasync (injected)'), { code: 'EIO' });

  it('after a failed close of all positions, a close of one position answers 503 as the close of all does, not 404 "no open position" from the stopped kernel', async () => {
    const service = await startTestService({ recording: USDM_RECORDING, until: UNTIL, mirrors: MIRRORS, engine: { onError: () => undefined } });
    const syncs = await watchSyncs();
    try {
      const account = await openAccount(service, 'eio-one');
      await threePositions(service, account.headers);
      syncs.failNext(eio());
      const res = await closeAll(service, account.headers);
      expect(res.statusCode, res.body).toBe(503);
      expect(service.engine.status.state).toBe('failed');
      const again = await closeAll(service, account.headers);
      expect(again.statusCode, again.body).toBe(503);
      const one = await closeOne(service, account.headers, 'BTCUSDT');
      expect(one.statusCode, one.body).toBe(503);
      expect(one.json()).toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      syncs.restore();
      await service.close().catch(() => undefined);
    }
  });

  it('after a failed close of all positions and a restart: the journal holds each close the audit entry names, once; the positions are flat; a new close of all positions has nothing to do', async () => {
    let service = await startTestService({ recording: USDM_RECORDING, until: UNTIL, mirrors: MIRRORS, engine: { onError: () => undefined } });
    const syncs = await watchSyncs();
    try {
      const account = await openAccount(service, 'eio-restart');
      await threePositions(service, account.headers);
      const head = await journalHead(service);
      syncs.failNext(eio());
      expect((await closeAll(service, account.headers)).statusCode).toBe(503);
      syncs.restore();
      service = await service.restart();
      const rows = await placedAfter(service, account, head);
      expect(rows.map((r) => [r.symbol, r.side, r.quantity, r.reduceOnly])).toEqual([['BTCUSDT', 'SELL', '0.5', true], ['XBTUSDT', 'BUY', '0.3', true], ['YBTUSDT', 'SELL', '0.2', true]]);
      const entries = await closeEntries(service, account);
      expect(entries).toHaveLength(1);
      const recorded = await history(service, account.headers);
      const closes = rows.map((r) => recorded.filter((o) => o.clientOrderId === r.clientOrderId));
      expect(closes.map((c) => c.length)).toEqual([1, 1, 1]);
      expect(entries[0]!.closes).toEqual(rows.map((r, i) => ({ symbol: r.symbol, clientOrderId: r.clientOrderId, result: { orderId: closes[i]![0]!.id, status: 'FILLED' } })));
      expect(await positions(service, account.headers)).toEqual([]);
      const after = await journalHead(service);
      const res = await closeAll(service, account.headers);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ orders: [] });
      expect(await placedAfter(service, account, after)).toEqual([]);
    } finally {
      syncs.restore();
      await service.close().catch(() => undefined);
    }
  });
});

describe('a refused close beside a close made, then a restart from the journal alone', () => {
  it('the refused position stays, the closed one stays closed, no close doubled, the audit entry and the history unchanged', async () => {
    let service = await startTestService({ recording: USDM_RECORDING, until: UNTIL, mirrors: ['XBTUSDT'], instrument: (i) => ({ ...i, maxMarketQty: 10n ** 18n }) });
    try {
      const account = await openAccount(service, 'refused-restart');
      await openPosition(service, account.headers, 'BTCUSDT', 'BUY', '0.75');
      await openPosition(service, account.headers, 'BTCUSDT', 'BUY', '0.75');
      await openPosition(service, account.headers, 'XBTUSDT', 'SELL', '0.3');
      const head = await journalHead(service);
      const res = await closeAll(service, account.headers);
      expect(res.statusCode, res.body).toBe(200);
      const answer = res.json<CloseAnswer>();
      expect(answer.errors).toEqual([expect.objectContaining({ symbol: 'BTCUSDT', code: 'MAX_MARKET_QUANTITY' })]);
      const before = { entries: await closeEntries(service, account), history: await history(service, account.headers), rows: await placedAfter(service, account, head) };
      service = await service.restart({ snapshot: false });
      expect(await positions(service, account.headers)).toEqual([['BTCUSDT', 'LONG', '1.5']]);
      expect(await closeEntries(service, account)).toEqual(before.entries);
      expect(await history(service, account.headers)).toEqual(before.history);
      expect(await placedAfter(service, account, head)).toEqual(before.rows);
      expect(before.rows.map((r) => r.symbol)).toEqual(['BTCUSDT', 'XBTUSDT']);
      const closes = before.history.filter((o) => before.rows.some((r) => r.clientOrderId === o.clientOrderId));
      expect(closes.map((o) => [o.id, o.clientOrderId, o.symbol, o.status, o.executedQty])).toEqual([[answer.orders[0]!.orderId, before.rows[1]!.clientOrderId, 'XBTUSDT', 'FILLED', '0.3']]);
      const refused = (await rejections(service, account)).filter((o) => o.clientOrderId === before.rows[0]!.clientOrderId);
      expect(refused.map((o) => [o.symbol, o.code])).toEqual([['BTCUSDT', 'MAX_MARKET_QUANTITY']]);
    } finally {
      await service.close();
    }
  });
});

describe('closing every position on a live venue whose order calls may time out', () => {
  let service: TestService;
  let live: FastifyInstance;
  let account: Account;
  const exchange = new ccxt.binance({ apiKey: 'k', secret: 's', enableRateLimit: false });
  const market = (id: string, base: string) => ({ id, symbol: `${base}/USDT:USDT`, base, quote: 'USDT', settle: 'USDT', baseId: base, quoteId: 'USDT', settleId: 'USDT', spot: false, swap: true, contract: true, linear: true, contractSize: 1, type: 'swap', active: true, precision: { amount: 0.001, price: 0.1 }, limits: {}, info: {} });
  const sent: { symbol: string; side: string; amount: number; clientOrderId: string; reduceOnly: boolean }[] = [];
  let timesOut: (symbol: string) => boolean = () => false;
  let inFlight = 0;
  let most = 0;
  vi.spyOn(exchange, 'createOrder').mockImplementation(async (symbol, type, side, amount, _price, params) => {
    const { clientOrderId, reduceOnly } = params as { clientOrderId: string; reduceOnly: boolean };
    sent.push({ symbol, side: String(side), amount, clientOrderId, reduceOnly });
    inFlight += 1;
    most = Math.max(most, inFlight);
    await sleep(5);
    inFlight -= 1;
    if (timesOut(symbol)) throw new ccxt.RequestTimeout(`binance POST https://fapi.binance.com/fapi/v1/order request timed out (10000 ms)`);
    return { id: `v-${clientOrderId}`, clientOrderId, symbol, type, side, amount, filled: amount, status: 'closed', timestamp: 1, info: {} } as unknown as CcxtOrder;
  });
  vi.spyOn(exchange, 'fetchOrder').mockImplementation(async (id, symbol) => {
    const order = sent.find((s) => `v-${s.clientOrderId}` === id)!;
    return { id, clientOrderId: order.clientOrderId, symbol, type: 'market', side: order.side, amount: order.amount, filled: order.amount, status: 'closed', timestamp: 1, info: {} } as unknown as CcxtOrder;
  });
  vi.spyOn(exchange, 'fetchPositions').mockImplementation(async () => [
    { symbol: 'BTC/USDT:USDT', side: 'long', contracts: 0.5, entryPrice: 60000, markPrice: 61000, leverage: 10, info: { positionAmt: '0.500' } },
    { symbol: 'ETH/USDT:USDT', side: 'short', contracts: 2, entryPrice: 3000, markPrice: 3000, leverage: 10, info: { positionAmt: '-2.000' } },
  ] as Position[]);
  vi.spyOn(exchange, 'fetchBalance').mockImplementation(async () => ({ info: {}, total: { USDT: 1000 }, free: { USDT: 900 }, used: { USDT: 100 } }) as never);

  beforeAll(async () => {
    exchange.setMarkets([market('BTCUSDT', 'BTC'), market('ETHUSDT', 'ETH')] as never);
    service = await startTestService({ recording: USDM_RECORDING, until: UNTIL });
    account = await openAccount(service, 'live');
    const execution = new LiveExecutionService(exchange, { readRetries: 0, marketOf: () => 'perpetual' });
    const reads = new LiveAccountReads(execution, { symbols: () => ['BTCUSDT', 'ETHUSDT'], baseOf: (s) => s.replace('USDT', ''), accountType: () => 'futures', cacheMs: 0 });
    live = await buildServer({ ...service.deps, execution, reads, mode: { mode: 'live', liveRefusedBecause: [] } });
  }, 60_000);
  afterAll(async () => {
    await live?.close();
    await service?.close();
  });

  it('one close made and one timing out: 200 with the order made and, by symbol, the close whose outcome is unknown with the clientOrderId to look it up by; sent one after the other', async () => {
    sent.length = 0;
    most = 0;
    timesOut = (symbol) => symbol.startsWith('ETH');
    const res = await live.inject({ method: 'POST', url: '/api/positions/close-all', headers: account.headers });
    expect(res.statusCode, res.body).toBe(200);
    expect(sent.map((s) => [s.symbol, s.side, s.amount, s.reduceOnly])).toEqual([['BTC/USDT:USDT', 'sell', 0.5, true], ['ETH/USDT:USDT', 'buy', 2, true]]);
    expect(most).toBe(1);
    const { orders, errors } = res.json<CloseAnswer>();
    expect(orders.map((o) => [o.symbol, o.clientOrderId])).toEqual([['BTCUSDT', sent[0]!.clientOrderId]]);
    expect(errors).toEqual([{ symbol: 'ETHUSDT', clientOrderId: sent[1]!.clientOrderId, code: 'EXCHANGE_UNAVAILABLE', message: expect.stringContaining(sent[1]!.clientOrderId) }]);
    const [entry] = await closeEntries(service, account);
    expect(entry!.closes.map((c) => c.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
  });

  it('every close timing out at the venue: the answer names each close by the clientOrderId to look it up by, not the first one only', async () => {
    sent.length = 0;
    timesOut = () => true;
    const res = await live.inject({ method: 'POST', url: '/api/positions/close-all', headers: account.headers });
    expect(sent.map((s) => s.symbol)).toEqual(['BTC/USDT:USDT', 'ETH/USDT:USDT']);
    expect(res.statusCode, res.body).toBe(503);
    for (const s of sent) expect(res.body, `the answer names the close sent to ${s.symbol}`).toContain(s.clientOrderId);
  });
});
