/**
 * Futures accounts' figures, reconciled as a trader would, over random seeded sequences through the
 * real HTTP API on the bundled USD-M recording: market, limit (resting and crossing), reduce-only
 * orders, cancels, leverage changes, funding, the liquidations they reach; cross and isolated margin.
 *
 * The oracle is this file's own arithmetic on the figures the API reports for each fill (price,
 * quantity, fee) and on Binance USD-M's documented formulas (one-way position, average entry rounded
 * half-up at 18 digits, realized PnL = side × closed × (price − entry)); liquidations and funding
 * payments are taken from their events (their amounts are checked elsewhere: futures.test.ts).
 * Checked per account, to the last unit:
 * - wallet (free + locked) = deposit + Σ realized − Σ fees − Σ funding, in /api/account, the
 *   Binance USD-M /fapi/v2/account and /fapi/v2/balance;
 * - each fill's realized PnL in /api/account/fills, trades.csv and /fapi/v1/userTrades;
 * - the metrics' fees and funding equal the sums of their rows and events;
 * - once every order is cancelled and every position closed, nothing stays locked.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../core/kernel/events.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { decimalOf, divHalfUp, showDecimal } from '../test-kit/ledger-model.js';
import { Rng } from '../test-kit/mulberry32.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { injectSigned } from '../test-kit/signed-inject.js';
import { registerBinanceUsdmApi } from './binance-usdm/usdm-api.js';
import { buildServer } from './server.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const ONE = 10n ** 18n;
const D = decimalOf;
const halfUp = divHalfUp;
const abs = (v: bigint) => (v < 0n ? -v : v);
const SYMBOL = 'BTCUSDT';
const START = 1723161250000;

interface Row {
  id: string;
  orderSide: 'BUY' | 'SELL';
  size: string;
  price: string;
  fee: string;
  feeAsset: string;
  realizedPnl: string | null;
}

interface Trader {
  id: string;
  apiKey: string;
  apiSecret: string;
  deposit: bigint;
  mode: 'cross' | 'isolated';
  leverage: number;
  /** Kernel events of this account, in order. */
  events: KernelEvent[];
}

describe('futures figures reconcile with an independent ledger (random sequences through the API)', () => {
  let service: TestService;
  let app: FastifyInstance;

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: START });
    app = await buildServer(service.deps, { plugins: [registerBinanceUsdmApi] });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('wallet, realized PnL, fees and funding agree across every endpoint, to the last unit', async () => {
    const inject = app.inject.bind(app);
    const traders: Trader[] = [];
    const byId = new Map<string, Trader>();
    const stop = service.deps.hub.subscribe((events) => {
      for (const e of events) if ('account' in e && e.account !== undefined) byId.get(e.account)?.events.push(e);
    });
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    for (const seed of seeds) {
      const rng = new Rng(seed);
      const mode = seed % 2 === 0 ? 'isolated' : 'cross';
      const leverage = [5, 20, 50, 125][rng.int(0, 3)]!;
      const deposit = BigInt(rng.int(300, 3000));
      const created = await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: `t${seed}`, type: 'futures', leverage, marginMode: mode, balances: { USDT: String(deposit) } } });
      expect(created.statusCode, created.body).toBe(201);
      const body = created.json<{ id: string; apiKey: string; apiSecret: string }>();
      const t: Trader = { ...body, deposit: deposit * ONE, mode, leverage, events: [] };
      traders.push(t);
      byId.set(t.id, t);
    }
    const rngs = traders.map((_, i) => new Rng(1000 + i));
    const world = new Rng(99);
    let placed = 0;
    const end = service.recording.inputs.at(-1)!.time;
    try {
      for (let step = 0; step < 260 && service.fedUntil < end; step += 1) {
        for (let i = 0; i < traders.length; i += 1) {
          const t = traders[i]!;
          const rng = rngs[i]!;
          const mark = service.deps.hub.kernel.markPrice(SYMBOL);
          if (mark === undefined) continue;
          const tick = ONE / 10n;
          const near = (mark / tick) * tick;
          // Up to about 80 % of what the deposit can carry at the leverage: some positions reach their liquidation.
          const most = Math.max(3, Math.min(400, Math.floor((Number(t.deposit / ONE) * t.leverage * 0.8 * 1000) / 62_000)));
          const qty = showDecimal(BigInt(rng.int(2, most)) * 10n ** 15n);
          // Some traders lean one way, so that positions build up (and some get liquidated).
          const side = rng.next() < [0.5, 0.85, 0.15][i % 3]! ? 'BUY' : 'SELL';
          const roll = rng.next();
          let payload: Record<string, unknown> | undefined;
          if (roll < 0.3) payload = { symbol: SYMBOL, side, type: 'MARKET', quantity: qty };
          else if (roll < 0.6) payload = { symbol: SYMBOL, side, type: 'LIMIT', quantity: qty, price: showDecimal(near + BigInt(rng.int(-15, 15)) * tick) };
          else if (roll < 0.7) payload = { symbol: SYMBOL, side, type: 'MARKET', quantity: qty, reduceOnly: true };
          else if (roll < 0.85) {
            const open = (await inject({ url: '/api/orders/open', headers: bearer(t.apiKey) })).json<{ items: { orderId: string }[] }>().items;
            const victim = open[rng.int(0, Math.max(0, open.length - 1))];
            if (victim !== undefined) await inject({ method: 'DELETE', url: `/api/orders/${victim.orderId}?symbol=${SYMBOL}`, headers: bearer(t.apiKey) });
          } else if (roll < 0.9) {
            const leverage = [3, 10, 25, 75, 125][rng.int(0, 4)]!;
            const set = await inject({ method: 'POST', url: '/api/account/leverage', headers: bearer(t.apiKey), payload: { symbol: SYMBOL, leverage } });
            if (set.statusCode === 200) t.leverage = leverage;
          }
          if (payload !== undefined) {
            const res = await inject({ method: 'POST', url: '/api/orders', headers: bearer(t.apiKey), payload });
            expect([201, 400, 422], res.body).toContain(res.statusCode);
            placed += 1;
          }
        }
        if (world.next() < 0.05) {
          // Mostly ordinary rates (±0.3 %), sometimes up to the ±3 % bound: enough to liquidate a leveraged position.
          const rate = showDecimal(BigInt(world.next() < 0.7 ? world.int(-30, 30) : world.int(-300, 300)) * 10n ** 14n);
          await service.deps.hub.submit({ kind: 'funding', time: service.deps.hub.now(), symbol: SYMBOL, rate });
        }
        await service.feedUntil(service.fedUntil + world.int(200, 2500));
      }
      // The end: every order cancelled, every position closed (a reduce-only market order each).
      for (const t of traders) {
        await inject({ method: 'DELETE', url: `/api/orders?symbol=${SYMBOL}`, headers: bearer(t.apiKey) });
        for (const o of (await inject({ url: '/api/orders/open', headers: bearer(t.apiKey) })).json<{ items: { orderId: string }[] }>().items) {
          await inject({ method: 'DELETE', url: `/api/orders/${o.orderId}?symbol=${SYMBOL}`, headers: bearer(t.apiKey) });
        }
        const closed = await inject({ method: 'POST', url: '/api/positions/close-all', headers: bearer(t.apiKey) });
        expect(closed.statusCode, closed.body).toBe(200);
      }
    } finally {
      stop();
    }
    await service.engine.readModelCaughtUp();
    expect(placed).toBeGreaterThan(1500);

    let fills = 0;
    let liquidations = 0;
    let fundings = 0;
    for (const t of traders) {
      const rows: Row[] = [];
      for (let offset = 0; ; offset += 500) {
        const page = (await inject({ url: `/api/account/fills?limit=500&offset=${offset}`, headers: bearer(t.apiKey) })).json<{ items: Row[]; nextOffset: number | null }>();
        rows.push(...page.items);
        if (page.nextOffset === null) break;
      }
      const rowById = new Map(rows.map((r) => [r.id, r]));
      // The model, in the order the kernel booked things.
      let size = 0n;
      let entry = 0n;
      let realized = 0n;
      let fees = 0n;
      let funding = 0n;
      const expectedPnl = new Map<string, bigint | null>();
      for (const e of t.events) {
        if (e.type === 'FILL') {
          const row = rowById.get(e.tradeId);
          expect(row, `fill ${e.tradeId} of ${t.id} is in the history`).toBeDefined();
          const q = D(row!.size);
          const p = D(row!.price);
          fees += D(row!.fee);
          const delta = row!.orderSide === 'BUY' ? q : -q;
          let closedPnl: bigint | null = null;
          let rest = delta;
          if (size !== 0n && size > 0n !== delta > 0n) {
            const closed = abs(delta) < abs(size) ? abs(delta) : abs(size);
            const sign = size > 0n ? 1n : -1n;
            closedPnl = halfUp(sign * closed * (p - entry), ONE);
            size += -sign * closed;
            rest = delta + sign * closed;
            if (size === 0n) entry = 0n;
          }
          if (rest !== 0n) {
            entry = size === 0n ? p : halfUp(abs(size) * entry + abs(rest) * p, abs(size) + abs(rest));
            size += rest;
          }
          // An insurance cover is booked as the fill's realized PnL (ADR 0006).
          const cover = e.insuranceCovered === undefined ? 0n : D(e.insuranceCovered);
          if (closedPnl !== null) closedPnl += cover;
          else if (cover !== 0n) closedPnl = cover;
          realized += closedPnl ?? 0n;
          expectedPnl.set(e.tradeId, closedPnl);
          fills += 1;
        } else if (e.type === 'LIQUIDATION') {
          expect(abs(size), `liquidated size of ${t.id}`).toBe(D(e.size));
          realized += D(e.realizedPnl);
          fees += D(e.liquidationFee);
          size = 0n;
          entry = 0n;
          liquidations += 1;
        } else if (e.type === 'FUNDING') {
          funding += D(e.amount);
          fundings += 1;
        }
      }
      expect(size, `${t.id} ends flat`).toBe(0n);
      const wallet = t.deposit + realized - fees - funding;
      const where = `${t.id} (${t.mode})`;

      // Every fill's realized PnL, as the native history shows it.
      expect(rows.length, where).toBe(expectedPnl.size);
      for (const r of rows) {
        const want = expectedPnl.get(r.id);
        expect(r.realizedPnl === null ? null : D(r.realizedPnl), `${where} fill ${r.id} ${r.orderSide} ${r.size} @ ${r.price}`).toBe(want ?? null);
      }
      // Native balances: free + locked is the wallet; flat with no orders, nothing locked.
      const summary = (await inject({ url: '/api/account', headers: bearer(t.apiKey) })).json<{ equity: string; balances: Record<string, { free: string; locked: string }> }>();
      const usdt = summary.balances['USDT']!;
      expect(D(usdt.free) + D(usdt.locked), `${where} wallet`).toBe(wallet);
      expect(D(usdt.locked), `${where} locked when flat with no open order`).toBe(0n);
      expect(D(summary.equity), `${where} equity when flat`).toBe(wallet);

      // Metrics: fees and funding are the sums of their rows and events.
      const metrics = (await inject({ url: '/api/account/metrics', headers: bearer(t.apiKey) })).json<{ metrics: Record<string, string> | null }>().metrics;
      if (metrics !== null) {
        expect(D(metrics['feesPaid']), `${where} metrics fees`).toBe(fees);
        expect(D(metrics['fundingPaid']), `${where} metrics funding`).toBe(funding);
        expect(D(metrics['finalEquity']), `${where} final equity`).toBe(wallet);
      }
      // trades.csv: the same realized PnL per fill.
      const csv = (await inject({ url: '/api/trades.csv', headers: bearer(t.apiKey) })).body.trim().split('\r\n').map((l) => l.split(','));
      const col = (name: string) => csv[0]!.indexOf(name);
      expect(csv.length - 1, where).toBe(rows.length);
      for (const cells of csv.slice(1)) {
        const want = expectedPnl.get(cells[col('trade_id')]!);
        const shown = cells[col('realized_pnl')]!;
        expect(shown === '' ? null : D(shown), `${where} csv ${cells[col('trade_id')]}`).toBe(want ?? null);
      }
      // Binance USD-M: the account and balance answer the same wallet; userTrades the same PnL and fees.
      const key = { apiKey: t.apiKey, apiSecret: t.apiSecret };
      const account = (await injectSigned(app, key, { url: '/binance/fapi/v2/account' })).json<Record<string, string>>();
      expect(D(account['totalWalletBalance']), `${where} fapi account`).toBe(wallet);
      expect(D(account['totalMarginBalance']), `${where} fapi margin balance`).toBe(wallet);
      const balance = (await injectSigned(app, key, { url: '/binance/fapi/v2/balance' })).json<Array<Record<string, string>>>();
      expect(D(balance[0]!['balance']), `${where} fapi balance`).toBe(wallet);
      const trades = (await injectSigned(app, key, { url: '/binance/fapi/v1/userTrades', params: { symbol: SYMBOL, limit: '1000' } })).json<Array<Record<string, string>>>();
      expect(trades.length, where).toBe(Math.min(rows.length, 1000));
      for (const tr of trades) {
        const row = rowById.get(String(tr['id']))!;
        expect(D(tr['commission']), `${where} userTrades ${tr['id']} commission`).toBe(D(row.fee));
        expect(D(tr['realizedPnl']), `${where} userTrades ${tr['id']} realizedPnl`).toBe(expectedPnl.get(row.id) ?? 0n);
      }
    }
    // The sequences reached what they are meant to test.
    expect(fills).toBeGreaterThan(500);
    expect(fundings).toBeGreaterThan(0);
    console.log(`futures figures: ${placed} orders, ${fills} fills, ${fundings} funding payments, ${liquidations} liquidations`);
  }, 120_000);
});
