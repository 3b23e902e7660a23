/**
 * Spot accounts' figures, reconciled as a trader would, over random seeded sequences through the real
 * HTTP API on the bundled Binance spot recording: market orders by quantity and by quote amount,
 * limit orders resting and crossing, cancels, with and without fee overrides.
 *
 * The oracle is this file's own arithmetic on each fill as the API reports it (price, quantity, fee,
 * fee asset) and Binance's documented rules: a buy receives the base and pays price × quantity in
 * the quote, a sell the reverse, the fee is taken from the asset received ("Commission Rates");
 * realized PnL at the average price of what the fills bought (ADR 0022). Checked per account, to the
 * last unit:
 * - every asset's free + locked = deposit ± Σ fills − Σ fees, in /api/account, Binance's and
 *   MEXC's /api/v3/account;
 * - with no open order, nothing is locked; each fill's quote quantity is its price × quantity;
 * - each fill's realized PnL in /api/account/fills and trades.csv;
 * - the metrics' fees are the sum of the rows' (base fees valued at their fill's price);
 * - Binance's and MEXC's myTrades show the same quantities, prices and commissions.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decimalOf, divHalfUp, showDecimal } from '../test-kit/ledger-model.js';
import { Rng } from '../test-kit/mulberry32.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { injectSigned } from '../test-kit/signed-inject.js';
import { registerBinanceApi } from './binance/binance-api.js';
import { mexcSignature } from './mexc/mexc-signature.js';
import { registerMexcApi } from './mexc/mexc-api.js';
import { buildServer } from './server.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const ONE = 10n ** 18n;
const D = decimalOf;
const halfUp = divHalfUp;
const SYMBOL = 'BTCUSDT';
const START = 1723161250000;

interface Row {
  id: string;
  orderSide: 'BUY' | 'SELL';
  size: string;
  price: string;
  quoteQty: string;
  fee: string;
  feeAsset: string;
  realizedPnl: string | null;
}

interface Trader {
  id: string;
  apiKey: string;
  apiSecret: string;
  deposits: Record<string, bigint>;
}

describe('spot figures reconcile with an independent ledger (random sequences through the API)', () => {
  let service: TestService;
  let app: FastifyInstance;

  beforeAll(async () => {
    service = await startTestService({ until: START });
    app = await buildServer(service.deps, { plugins: [registerBinanceApi, registerMexcApi] });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('balances, realized PnL and fees agree across every endpoint, to the last unit', async () => {
    const inject = app.inject.bind(app);
    const traders: Trader[] = [];
    for (let seed = 1; seed <= 12; seed += 1) {
      const rng = new Rng(seed);
      const usdt = BigInt(rng.int(200, 20_000));
      const btc = BigInt(rng.int(0, 3) * rng.int(0, 5000)) * 10n ** 13n; // 0 to 0.15 BTC, in 0.00001
      const balances: Record<string, string> = { USDT: String(usdt), ...(btc > 0n ? { BTC: showDecimal(btc) } : {}) };
      const fees = seed % 3 === 0 ? { fees: { maker: '0.00075', taker: '0.0011' } } : seed % 3 === 1 ? { fees: { maker: '0', taker: '0.00013' } } : {};
      const created = await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: `s${seed}`, balances, ...fees } });
      expect(created.statusCode, created.body).toBe(201);
      traders.push({ ...created.json<{ id: string; apiKey: string; apiSecret: string }>(), deposits: { USDT: usdt * ONE, BTC: btc } });
    }
    const rngs = traders.map((_, i) => new Rng(2000 + i));
    const world = new Rng(7);
    let placed = 0;
    const end = service.recording.inputs.at(-1)!.time;
    for (let step = 0; step < 200 && service.fedUntil < end; step += 1) {
      for (let i = 0; i < traders.length; i += 1) {
        const t = traders[i]!;
        const rng = rngs[i]!;
        const balances = service.deps.hub.kernel.balances(t.id)!;
        const mid = service.deps.hub.kernel.markPrice(SYMBOL) ?? 61_000n * ONE;
        const tick = ONE / 100n;
        const near = (mid / tick) * tick;
        const side = rng.next() < [0.5, 0.7, 0.3][i % 3]! ? 'BUY' : 'SELL';
        // A share of what is free (sometimes more than is free: a refusal is part of the sequence).
        const share = BigInt(rng.int(1, 60));
        const freeBtc = D(balances['BTC']?.free ?? '0');
        const freeUsdt = D(balances['USDT']?.free ?? '0');
        const qtyOf = (v: bigint) => showDecimal(((v * share) / 100n / 10n ** 13n) * 10n ** 13n);
        const buyQty = qtyOf((freeUsdt * ONE) / near);
        const sellQty = qtyOf(freeBtc);
        const roll = rng.next();
        let payload: Record<string, unknown> | undefined;
        if (roll < 0.3) payload = side === 'BUY' ? { symbol: SYMBOL, side, type: 'MARKET', quantity: buyQty } : { symbol: SYMBOL, side, type: 'MARKET', quantity: sellQty };
        else if (roll < 0.4) payload = { symbol: SYMBOL, side, type: 'MARKET', quoteOrderQty: showDecimal(((freeUsdt * share) / 100n / tick) * tick) };
        else if (roll < 0.8) payload = { symbol: SYMBOL, side, type: 'LIMIT', quantity: side === 'BUY' ? buyQty : sellQty, price: showDecimal(near + BigInt(rng.int(-300, 300)) * tick) };
        else {
          const open = (await inject({ url: '/api/orders/open', headers: bearer(t.apiKey) })).json<{ items: { orderId: string }[] }>().items;
          const victim = open[rng.int(0, Math.max(0, open.length - 1))];
          if (victim !== undefined) await inject({ method: 'DELETE', url: `/api/orders/${victim.orderId}?symbol=${SYMBOL}`, headers: bearer(t.apiKey) });
        }
        if (payload !== undefined) {
          const res = await inject({ method: 'POST', url: '/api/orders', headers: bearer(t.apiKey), payload });
          expect([201, 400, 422], res.body).toContain(res.statusCode);
          placed += 1;
        }
      }
      await service.feedUntil(service.fedUntil + world.int(200, 3000));
    }
    for (const t of traders) {
      for (const o of (await inject({ url: '/api/orders/open', headers: bearer(t.apiKey) })).json<{ items: { orderId: string }[] }>().items) {
        await inject({ method: 'DELETE', url: `/api/orders/${o.orderId}?symbol=${SYMBOL}`, headers: bearer(t.apiKey) });
      }
    }
    await service.engine.readModelCaughtUp();
    expect(placed).toBeGreaterThan(1500);

    let fills = 0;
    const mexcSigned = (t: Trader, path: string, params: string) => {
      const total = `${params}${params === '' ? '' : '&'}timestamp=${Date.now()}`;
      return inject({ url: `${path}?${total}&signature=${mexcSignature(t.apiSecret, total)}`, headers: { 'x-mexc-apikey': t.apiKey } });
    };
    for (const t of traders) {
      const rows: Row[] = [];
      for (let offset = 0; ; offset += 500) {
        const page = (await inject({ url: `/api/account/fills?limit=500&offset=${offset}`, headers: bearer(t.apiKey) })).json<{ items: Row[]; nextOffset: number | null }>();
        rows.push(...page.items);
        if (page.nextOffset === null) break;
      }
      rows.reverse();
      fills += rows.length;
      const where = t.id;
      // Balances from the fills alone.
      const total: Record<string, bigint> = { USDT: t.deposits['USDT']!, BTC: t.deposits['BTC']! };
      // Realized PnL at average price, over what the fills bought (net of base fees).
      let held = 0n;
      let average = 0n;
      let feesValued = 0n;
      const expectedPnl = new Map<string, bigint | null>();
      for (const r of rows) {
        const q = D(r.size);
        const p = D(r.price);
        const fee = D(r.fee);
        const quote = (q * p) / ONE;
        expect((q * p) % ONE, `${where} fill ${r.id}: price × quantity is exact`).toBe(0n);
        expect(D(r.quoteQty), `${where} fill ${r.id} quote quantity`).toBe(quote);
        expect(r.feeAsset, `${where} fill ${r.id} fee asset (the asset received)`).toBe(r.orderSide === 'BUY' ? 'BTC' : 'USDT');
        total[r.feeAsset] = total[r.feeAsset]! - fee;
        feesValued += r.feeAsset === 'USDT' ? fee : halfUp(fee * p, ONE);
        if (r.orderSide === 'BUY') {
          total['BTC'] = total['BTC']! + q;
          total['USDT'] = total['USDT']! - quote;
          // Each lot weighs by the coins it added to the holding (its quantity less a fee in BTC), as
          // the holding counts them.
          const added = q - (r.feeAsset === 'BTC' ? fee : 0n);
          average = halfUp(held * average + added * p, held + added);
          held += added;
          expectedPnl.set(r.id, null);
        } else {
          total['BTC'] = total['BTC']! - q;
          total['USDT'] = total['USDT']! + quote;
          const covered = q < held ? q : held;
          expectedPnl.set(r.id, covered === 0n ? null : halfUp(covered * (p - average), ONE));
          held -= covered;
          if (held === 0n) average = 0n;
        }
      }
      for (const r of rows) {
        expect(r.realizedPnl === null ? null : D(r.realizedPnl), `${where} fill ${r.id} ${r.orderSide} ${r.size} @ ${r.price}`).toBe(expectedPnl.get(r.id));
      }
      const summary = (await inject({ url: '/api/account', headers: bearer(t.apiKey) })).json<{ balances: Record<string, { free: string; locked: string }> }>();
      for (const asset of ['USDT', 'BTC']) {
        const b = summary.balances[asset] ?? { free: '0', locked: '0' };
        expect(D(b.free) + D(b.locked), `${where} ${asset}`).toBe(total[asset]);
        expect(D(b.locked), `${where} ${asset} locked with no open order`).toBe(0n);
      }
      const dialects = [
        (await injectSigned(app, t, { url: '/binance/api/v3/account' })).json<{ balances: Array<{ asset: string; free: string; locked: string }> }>(),
        (await mexcSigned(t, '/api/v3/account', '')).json<{ balances: Array<{ asset: string; free: string; locked: string }> }>(),
      ];
      for (const answer of dialects) {
        for (const asset of ['USDT', 'BTC']) {
          const b = answer.balances.find((x) => x.asset === asset) ?? { free: '0', locked: '0' };
          expect(D(b.free) + D(b.locked), `${where} ${asset} in a dialect`).toBe(total[asset]);
        }
      }
      const metrics = (await inject({ url: '/api/account/metrics', headers: bearer(t.apiKey) })).json<{ metrics: Record<string, string> | null }>().metrics;
      if (metrics !== null) expect(D(metrics['feesPaid']), `${where} metrics fees`).toBe(feesValued);
      const csv = (await inject({ url: '/api/trades.csv', headers: bearer(t.apiKey) })).body.trim().split('\r\n').map((l) => l.split(','));
      const col = (name: string) => csv[0]!.indexOf(name);
      expect(csv.length - 1, where).toBe(rows.length);
      for (const cells of csv.slice(1)) {
        const shown = cells[col('realized_pnl')]!;
        expect(shown === '' ? null : D(shown), `${where} csv ${cells[col('trade_id')]}`).toBe(expectedPnl.get(cells[col('trade_id')]!));
      }
      // The dialects' trade lists: same quantities, prices and commissions as the native rows.
      const rowById = new Map(rows.map((r) => [r.id, r]));
      const binanceTrades = (await injectSigned(app, t, { url: '/binance/api/v3/myTrades', params: { symbol: SYMBOL, limit: '1000' } })).json<Array<Record<string, string | number>>>();
      expect(binanceTrades.length, where).toBe(Math.min(rows.length, 1000));
      for (const tr of binanceTrades) {
        const row = rowById.get(String(tr['id']))!;
        expect([D(String(tr['qty'])), D(String(tr['price'])), D(String(tr['quoteQty'])), D(String(tr['commission'])), tr['commissionAsset']], `${where} binance ${tr['id']}`).toEqual([D(row.size), D(row.price), D(row.quoteQty), D(row.fee), row.feeAsset]);
      }
      const mexcTrades = (await mexcSigned(t, '/api/v3/myTrades', `symbol=${SYMBOL}&limit=100`)).json<Array<Record<string, string | number>>>();
      expect(mexcTrades.length, where).toBe(Math.min(rows.length, 100));
      for (const tr of mexcTrades) {
        const row = rowById.get(String(tr['id']))!;
        expect([D(String(tr['qty'])), D(String(tr['price'])), D(String(tr['quoteQty'])), D(String(tr['commission'])), tr['commissionAsset']], `${where} mexc ${tr['id']}`).toEqual([D(row.size), D(row.price), D(row.quoteQty), D(row.fee), row.feeAsset]);
      }
    }
    expect(fills).toBeGreaterThan(500);
    console.log(`spot figures: ${placed} orders, ${fills} fills`);
  }, 120_000);
});
