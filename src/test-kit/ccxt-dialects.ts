/**
 * The exchange dialects papertrade speaks, as ccxt's unmodified classes see them: for each, the ccxt
 * class, the URLs a bot points at papertrade (nothing else changes), the account it trades, its
 * symbol and contract size, the order types it accepts, and how each refusal is sent and which ccxt
 * error class it must raise. One table drives the shared case suite in
 * test/e2e/ccxt-dialects.test.ts.
 *
 * Sources: ccxt 4.5 `binance`, `binanceusdm`, `mexc` (urls.api, parseBalance, handleErrors);
 * Binance Spot and USD-M API docs; MEXC spot v3 and contract v1 API docs; docs/adr/0030.
 */
import ccxt, { type Exchange } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { registerBinanceApi } from '../api/binance/binance-api.js';
import { registerBinanceUsdmApi } from '../api/binance-usdm/usdm-api.js';
import { registerMexcApi } from '../api/mexc/mexc-api.js';
import { registerMexcContractApi } from '../api/mexc-contract/mexc-contract-api.js';
import type { ServiceDeps } from '../api/service-deps.js';
import { SPOT_RECORDING, USDM_RECORDING } from './data-paths.js';
import { ccxtHeard, mexcContractAnswered, mexcSubscribed } from './ccxt-heard.js';
import { until } from './wait.js';

/** API keys of a papertrade account, as `POST /api/accounts` returns them. */
export interface DialectAccount {
  id: string;
  apiKey: string;
  apiSecret: string;
}

/** The best bid and ask of the book, as numbers (ccxt's price unit). */
export interface Top {
  bid: number;
  ask: number;
}

/**
 * One order type a dialect accepts: how ccxt places it (`amount` in base units, converted to the
 * dialect's contracts by the suite), and the ccxt status `fetchOrder` reads right after.
 */
export interface DialectOrderType {
  label: string;
  side: 'buy' | 'sell';
  /** ccxt's order type; MEXC contract's own numeric types (3 IOC, 4 FOK) pass through as they are. */
  type: string | number;
  amount: string;
  price?: (top: Top) => number;
  params?: Record<string, unknown> | ((top: Top) => Record<string, unknown>);
  /** Extra parameters for `fetchOrder`/`cancelOrder` (USD-M conditional orders live on the Algo Service). */
  queryParams?: Record<string, unknown>;
  status: 'open' | 'closed' | 'canceled' | 'expired';
  /** The side ccxt reads back, where it is not `side`. */
  readSide?: string;
}

/** The streams of a dialect that ccxt's pro class reads, or why it has none. */
export type DialectStreams =
  | {
      /** Where ccxt's pro class keeps the account's streamed balance (`exchange.balance[key]`). */
      balanceKey: string;
      /** What the streamed USDT `field` must reach: the same figure from the REST balance. */
      field: 'free' | 'total';
      restFigure: (balance: Record<string, unknown>) => number;
      /** What must happen before watchOrders/watchBalance are asked (resolves once the server has taken it). */
      ready: (exchange: Exchange) => Promise<void>;
      /**
       * Whether the server has answered the subscriptions watchOrders and watchBalance asked for, read
       * from what the exchange heard (ccxtHeard): an order placed after that reaches the streams.
       */
      subscribed: (heard: readonly Record<string, unknown>[]) => boolean;
    }
  | { notApplicable: string };

/** One dialect of the shared suite. */
export interface CcxtDialect {
  name: string;
  plugins: ((app: FastifyInstance, deps: ServiceDeps) => Promise<void>)[];
  recording: string;
  /** The body of `POST /api/accounts`. */
  account: Record<string, unknown>;
  deposit: { USDT: string; BTC?: string };
  futures: boolean;
  symbol: string;
  marketType: 'spot' | 'swap';
  /** Base units per ccxt amount unit: 1 but for MEXC's contracts (0.0001 BTC per BTC_USDT contract). */
  contractSize: string;
  /** ccxt's pro class (a subclass of the REST class, unmodified) pointed at papertrade by URL alone. */
  client: (base: string, apiKey: string, secret: string) => Promise<Exchange>;
  /** Parameters for `fetchBalance` (MEXC reads its contract assets only when asked for swap). */
  balanceParams: Record<string, unknown>;
  setLeverage?: { leverage: number; params: Record<string, unknown> };
  orderTypes: DialectOrderType[];
  errors: {
    /** An order the account cannot pay for, in base units; and the class ccxt must raise. */
    unaffordable: { type: string; amount: string; price?: (top: Top) => number; expect: typeof ccxt.ExchangeError; code: RegExp };
    /** An order under the instrument's minimum quantity or notional. */
    tooSmall: { amount: string; price: (top: Top) => number; expect: typeof ccxt.ExchangeError; code: RegExp };
  };
  streams: DialectStreams;
}

const binanceHosts = /^https:\/\/[a-z]+\.binance\.com/;

/** The lines a Binance bot changes: every Binance REST host becomes `/binance`, the stream hosts `/binance/ws` and `/binance/fws`. */
async function binanceClient(make: (config: object) => Exchange, base: string, apiKey: string, secret: string, options: object = {}): Promise<Exchange> {
  const exchange = make({ apiKey, secret, enableRateLimit: false, options });
  const api = exchange.urls.api as Record<string, unknown>;
  for (const [name, url] of Object.entries(api)) if (typeof url === 'string') api[name] = url.replace(binanceHosts, `${base}/binance`);
  const ws = base.replace(/^http/, 'ws');
  api.ws = { spot: `${ws}/binance/ws`, margin: `${ws}/binance/ws`, future: `${ws}/binance/fws`, 'ws-api': { spot: `${ws}/binance/ws-api/v3` } };
  await exchange.loadHttpProxyAgent();
  return exchange;
}

/** The lines a MEXC bot changes: spot and contract hosts become papertrade, the streams `/mexc/ws` (spot) and `/mexc/contract/edge` (swap). */
async function mexcClient(base: string, apiKey: string, secret: string): Promise<Exchange> {
  const exchange = new ccxt.pro.mexc({ apiKey, secret, enableRateLimit: false });
  const api = exchange.urls.api as Record<string, Record<string, string>>;
  api.spot = { ...api.spot, public: base, private: base };
  api.contract = { ...api.contract, public: `${base}/api/v1/contract`, private: `${base}/api/v1/private` };
  const ws = base.replace(/^http/, 'ws');
  api.ws = { ...api.ws, spot: `${ws}/mexc/ws`, swap: `${ws}/mexc/contract/edge` };
  await exchange.loadHttpProxyAgent();
  return exchange;
}

/** The test kit's one poller (wait.ts), for the dialect suites. */
export { until };

const spotDeposit = { USDT: '100000', BTC: '1' };
const num = (v: unknown) => Number(v);

/** The four dialects: Binance Spot, Binance USD-M, MEXC spot, MEXC contract (swap). */
export const CCXT_DIALECTS: CcxtDialect[] = [
  {
    name: 'binance (Spot v3)',
    plugins: [registerBinanceApi],
    recording: SPOT_RECORDING,
    account: { name: 'binance', balances: spotDeposit },
    deposit: spotDeposit,
    futures: false,
    symbol: 'BTC/USDT',
    marketType: 'spot',
    contractSize: '1',
    client: (base, key, secret) => binanceClient((c) => new ccxt.pro.binance(c), base, key, secret, { fetchMarkets: { types: ['spot'] } }),
    balanceParams: {},
    orderTypes: [
      { label: 'limit GTC below the market', side: 'buy', type: 'limit', amount: '0.002', price: (t) => t.bid - 1000, status: 'open' },
      { label: 'post-only limit (LIMIT_MAKER)', side: 'buy', type: 'limit', amount: '0.002', price: (t) => t.bid - 500, params: { postOnly: true }, status: 'open' },
      { label: 'IOC that cannot fill', side: 'buy', type: 'limit', amount: '0.001', price: (t) => t.ask - 1000, params: { timeInForce: 'IOC' }, status: 'expired' },
      { label: 'FOK that cannot fill', side: 'buy', type: 'limit', amount: '0.001', price: (t) => t.ask - 1000, params: { timeInForce: 'FOK' }, status: 'expired' },
      { label: 'stop-loss (STOP_LOSS)', side: 'sell', type: 'market', amount: '0.001', params: (t) => ({ stopLossPrice: t.bid - 1000 }), status: 'open' },
      { label: 'stop-loss limit (STOP_LOSS_LIMIT)', side: 'sell', type: 'limit', amount: '0.001', price: (t) => t.bid - 1100, params: (t) => ({ stopLossPrice: t.bid - 1000 }), status: 'open' },
      { label: 'take-profit (TAKE_PROFIT)', side: 'sell', type: 'market', amount: '0.001', params: (t) => ({ takeProfitPrice: t.ask + 1000 }), status: 'open' },
      { label: 'take-profit limit (TAKE_PROFIT_LIMIT)', side: 'sell', type: 'limit', amount: '0.001', price: (t) => t.ask + 1100, params: (t) => ({ takeProfitPrice: t.ask + 1000 }), status: 'open' },
      { label: 'trailing stop (STOP_LOSS with trailingDelta)', side: 'sell', type: 'market', amount: '0.001', params: { trailingPercent: 1.5, stopLossOrTakeProfit: 'stopLoss' }, status: 'open' },
    ],
    errors: {
      // -2010 in Binance's words "Account has insufficient balance for requested action.", which ccxt classifies.
      unaffordable: { type: 'limit', amount: '10', price: (t) => t.bid, expect: ccxt.InsufficientFunds, code: /insufficient balance/ },
      // 0.00005 BTC passes LOT_SIZE and ccxt's own precision check, but is about 3 USDT: under NOTIONAL's
      // minimum, -1013 "Filter failure: NOTIONAL". ccxt's spot table maps -1013 to BadRequest on
      // Binance's own host too (only a LOT_SIZE or PRICE_FILTER failure becomes InvalidOrder), and a
      // quantity under LOT_SIZE's minimum never leaves ccxt: its precision check refuses it first.
      tooSmall: { amount: '0.00005', price: (t) => t.bid - 1000, expect: ccxt.BadRequest, code: /-1013.*NOTIONAL/ },
    },
    streams: {
      balanceKey: 'spot',
      field: 'free',
      restFigure: (b) => num((b.USDT as { free: number }).free),
      // ccxt's spot watchOrders and watchBalance read the WebSocket API's user data subscription,
      // which authenticate asks for and waits the answer of.
      ready: async (ex) => void (await ex.authenticate({ type: 'spot' })),
      subscribed: () => true,
    },
  },
  {
    name: 'binanceusdm (USD-M futures)',
    plugins: [registerBinanceApi, registerBinanceUsdmApi],
    recording: USDM_RECORDING,
    account: { name: 'usdm', type: 'futures', leverage: 5, balances: { USDT: '100000' } },
    deposit: { USDT: '100000' },
    futures: true,
    symbol: 'BTC/USDT:USDT',
    marketType: 'swap',
    contractSize: '1',
    client: (base, key, secret) => binanceClient((c) => new ccxt.pro.binanceusdm(c), base, key, secret),
    balanceParams: {},
    setLeverage: { leverage: 10, params: {} },
    orderTypes: [
      { label: 'limit GTC below the market', side: 'buy', type: 'limit', amount: '0.002', price: (t) => t.bid - 1000, status: 'open' },
      { label: 'post-only limit (GTX)', side: 'buy', type: 'limit', amount: '0.002', price: (t) => t.bid - 500, params: { postOnly: true }, status: 'open' },
      { label: 'IOC that fills', side: 'buy', type: 'limit', amount: '0.002', price: (t) => t.ask + 500, params: { timeInForce: 'IOC' }, status: 'closed' },
      { label: 'stop market (Algo Service STOP_MARKET)', side: 'sell', type: 'market', amount: '0.002', params: (t) => ({ stopLossPrice: t.bid - 1000, reduceOnly: true }), queryParams: { trigger: true }, status: 'open' },
      { label: 'stop limit (Algo Service STOP)', side: 'sell', type: 'limit', amount: '0.002', price: (t) => t.bid - 1100, params: (t) => ({ stopLossPrice: t.bid - 1000, reduceOnly: true }), queryParams: { trigger: true }, status: 'open' },
      { label: 'take-profit market (Algo Service TAKE_PROFIT_MARKET)', side: 'sell', type: 'market', amount: '0.002', params: (t) => ({ takeProfitPrice: t.ask + 1000, reduceOnly: true }), queryParams: { trigger: true }, status: 'open' },
      { label: 'take-profit limit (Algo Service TAKE_PROFIT)', side: 'sell', type: 'limit', amount: '0.002', price: (t) => t.ask + 1100, params: (t) => ({ takeProfitPrice: t.ask + 1000, reduceOnly: true }), queryParams: { trigger: true }, status: 'open' },
      { label: 'trailing stop (Algo Service TRAILING_STOP_MARKET)', side: 'sell', type: 'market', amount: '0.002', params: { trailingPercent: 1.5, reduceOnly: true }, queryParams: { trigger: true }, status: 'open' },
    ],
    errors: {
      // -2019 carries Binance's "insufficient balance" wording, which ccxt classifies on any host.
      unaffordable: { type: 'market', amount: '100', expect: ccxt.InsufficientFunds, code: /insufficient balance/ },
      // ccxt keys USD-M's own codes (-4164 here) by Binance's host names: pointed at any other host
      // it raises a bare ExchangeError carrying the code (docs/adr/0030).
      tooSmall: { amount: '0.001', price: (t) => t.bid - 100, expect: ccxt.ExchangeError, code: /-4164/ },
    },
    streams: {
      balanceKey: 'future',
      // The stream's ACCOUNT_UPDATE carries the wallet balance: ccxt's total.
      field: 'total',
      restFigure: (b) => num((b.info as { totalWalletBalance: string }).totalWalletBalance),
      // The futures user data stream opens with a listenKey connection; the order must come after it.
      ready: async (ex) => {
        await ex.authenticate({ type: 'future' });
        void ex.watchBalance();
        await until(() => Object.values(ex.clients as Record<string, { url: string; isConnected: boolean }>).some((c) => c.url.includes('listenKey=') && c.isConnected), 'the user data connection');
      },
      // The listenKey connection carries every event of the account from its upgrade on.
      subscribed: () => true,
    },
  },
  {
    name: 'mexc (spot v3)',
    plugins: [registerMexcApi],
    recording: SPOT_RECORDING,
    account: { name: 'mexc', balances: spotDeposit },
    deposit: spotDeposit,
    futures: false,
    symbol: 'BTC/USDT',
    marketType: 'spot',
    contractSize: '1',
    client: mexcClient,
    balanceParams: {},
    orderTypes: [
      { label: 'limit GTC below the market', side: 'buy', type: 'limit', amount: '0.002', price: (t) => t.bid - 1000, status: 'open' },
      { label: 'post-only limit (LIMIT_MAKER)', side: 'buy', type: 'limit', amount: '0.002', price: (t) => t.bid - 500, params: { postOnly: true }, status: 'open' },
      // MEXC reports an unfilled IOC or FOK as CANCELED.
      { label: 'IOC that cannot fill (IMMEDIATE_OR_CANCEL)', side: 'buy', type: 'limit', amount: '0.001', price: (t) => t.ask - 1000, params: { timeInForce: 'IOC' }, status: 'canceled' },
      { label: 'FOK that fills (FILL_OR_KILL)', side: 'sell', type: 'limit', amount: '0.0005', price: (t) => t.bid - 100, params: { timeInForce: 'FOK' }, status: 'closed' },
    ],
    errors: {
      unaffordable: { type: 'limit', amount: '10', price: (t) => t.bid, expect: ccxt.InsufficientFunds, code: /10101/ },
      // About 6 USDT: under MEXC's 10 USDT minimum order value (30002).
      tooSmall: { amount: '0.0001', price: (t) => t.bid - 1000, expect: ccxt.InvalidOrder, code: /30002/ },
    },
    streams: {
      balanceKey: 'spot',
      field: 'free',
      restFigure: (b) => num((b.USDT as { free: number }).free),
      // ccxt subscribes over /mexc/ws with a listen key it asks for, one SUBSCRIPTION per channel.
      ready: async (ex) => {
        const heard = ccxtHeard(ex);
        void ex.watchBalance();
        await until(() => mexcSubscribed(heard, 'spot@private.account.v3.api.pb'), 'the account subscription answered');
      },
      subscribed: (heard) => mexcSubscribed(heard, 'spot@private.account.v3.api.pb') && mexcSubscribed(heard, 'spot@private.orders.v3.api.pb'),
    },
  },
  {
    name: 'mexc (contract v1, swap)',
    plugins: [registerMexcContractApi, registerMexcApi],
    recording: USDM_RECORDING,
    account: { name: 'swap', type: 'futures', marginMode: 'cross', balances: { USDT: '10000' } },
    deposit: { USDT: '10000' },
    futures: true,
    symbol: 'BTC/USDT:USDT',
    marketType: 'swap',
    contractSize: '0.0001',
    client: mexcClient,
    balanceParams: { type: 'swap' },
    // MEXC asks for the margin mode (openType 2 = cross) and the side (positionType 1 = long).
    setLeverage: { leverage: 20, params: { openType: 2, positionType: 1 } },
    orderTypes: [
      { label: 'limit below the market (type 1)', side: 'buy', type: 'limit', amount: '0.002', price: (t) => t.bid - 1000, status: 'open' },
      { label: 'post-only limit (type 2)', side: 'buy', type: 'limit', amount: '0.003', price: (t) => t.bid - 500, params: { postOnly: true }, status: 'open' },
      { label: 'IOC that cannot fill (type 3)', side: 'buy', type: 3, amount: '0.002', price: (t) => t.ask - 1000, status: 'canceled' },
      // A reduce-only sell is MEXC's side 4 (close long), which ccxt 4.5's parseOrderSide leaves as it comes.
      { label: 'FOK that fills (type 4), reduce-only', side: 'sell', type: 4, amount: '0.001', price: (t) => t.bid - 100, params: { reduceOnly: true }, status: 'closed', readSide: '4' },
    ],
    errors: {
      // 20 BTC at 20x needs about 61,700 USDT of margin; the account has 10,000 (2005).
      unaffordable: { type: 'limit', amount: '20', price: (t) => t.bid - 100, expect: ccxt.InsufficientFunds, code: /2005/ },
      // 10 contracts = 0.001 BTC, about 62 USDT: under the instrument's 100 USDT minimum order value,
      // MEXC's contract code 2011 "Order quantity error", which ccxt's mexc class maps to BadRequest (ADR 0052).
      tooSmall: { amount: '0.001', price: (t) => t.bid - 100, expect: ccxt.BadRequest, code: /2011/ },
    },
    streams: {
      // ccxt keeps the contract stream's asset under `swap`; its availableBalance is ccxt's free, as on REST.
      balanceKey: 'swap',
      field: 'free',
      restFigure: (b) => num((b.USDT as { free: number }).free),
      // ccxt logs in on /mexc/contract/edge once per connection; a logged-in connection hears every
      // personal push.
      ready: async (ex) => {
        const heard = ccxtHeard(ex);
        void ex.watchBalance({ type: 'swap' });
        await until(() => mexcContractAnswered(heard, 'login'), 'the login answered');
      },
      subscribed: (heard) => mexcContractAnswered(heard, 'login'),
    },
  },
];
