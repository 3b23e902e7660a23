/**
 * The paper side of the facade against a real kernel fed with the bundled recording.
 *
 * The spy test: in paper mode nothing reaches the exchange's private endpoints. A real ccxt `mexc`
 * client holding real-looking keys is handed to the facade's factory with every private entry point
 * spied on (and its network stubbed out), the account's exchange keys are stored, then a whole order
 * life cycle runs through the facade. The control runs the same factory, keys and account with the
 * interlock turned live: the service then reaches that very client and the spies see its private
 * call, so the paper run's zero is a zero of a client the service could have reached.
 */
import ccxt, { type Exchange } from 'ccxt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findBundledInstrument } from '../core/instruments/bundled-instruments.js';
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel } from '../core/kernel/kernel.js';
import { readRecording, type Recording } from '../market-data/recording-reader.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadConfig, type AppConfig } from '../config/config.js';
import { LIVE_TRADING_CONFIRMATION } from '../config/live-interlock.js';
import { join } from 'node:path';
import { CredentialCipher } from '../persistence/credential-cipher.js';
import { openAndMigrate, type PersistenceDatabase } from '../persistence/database.js';
import { ReadModel } from '../persistence/read-model.js';
import { ExchangeKeyStore } from '../persistence/exchange-key-store.js';
import { createExecutionService } from './create-execution-service.js';
import { EventWaiter } from './event-waiter.js';
import { PaperExecutionService, type PaperExecutionPort } from './paper-execution-service.js';
import { scratchDir } from '../test-kit/scratch-dir.js';

let recording: Recording | undefined;

/**
 * A kernel fed with the first minute of the recording, behind a port whose submit handles inputs at
 * once, and the read tables projected from its events (where closed orders live once the kernel drops them).
 */
function paperHarness(options: { latencyMs?: number; waiter?: boolean } = {}) {
  recording ??= readRecording(BUNDLED_RECORDING);
  const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!], latencyMs: options.latencyMs ?? 0 });
  const waiter = options.waiter === true ? new EventWaiter() : undefined;
  const inputs = recording.inputs;
  let next = 0;
  let database: PersistenceDatabase | undefined;
  let readModel: ReadModel | undefined;
  let projected: Promise<unknown> = openAndMigrate(`sqlite:${join(scratchDir('papertrade-paper-'), 'read.db')}`).then((opened) => {
    database = opened;
    readModel = new ReadModel(opened.db);
  });
  let seq = 0;
  const handle = (input: KernelInput): KernelEvent[] => {
    const events = kernel.handle(JSON.parse(JSON.stringify(input)) as KernelInput); // as journaled
    seq += 1;
    const batch = { seq, at: kernel.now, events };
    if (events.length > 0) projected = projected.then(() => readModel!.apply([batch]));
    waiter?.observe(events);
    return events;
  };
  const feedTo = (time: number): void => {
    while (next < inputs.length && inputs[next]!.time <= time) handle(inputs[next++]!);
  };
  feedTo(recording.firstTime + 60_000);
  const port: PaperExecutionPort = {
    submit: async (input) => handle(input),
    kernel,
    now: () => kernel.now,
    records: {
      get db() {
        return database!.db;
      },
      caughtUp: async () => {
        await projected;
      },
    },
    ...(waiter !== undefined ? { waitForEvent: waiter.waitForEvent.bind(waiter) } : {}),
  };
  return {
    kernel,
    port,
    waiter,
    /** Feeds the next market inputs until the clock has passed `time`. */
    feedTo,
    open: (account: string, balances: Record<string, string>) => port.submit({ kind: 'account.open', time: kernel.now, account, balances }),
    top: () => {
      const depth = kernel.depth('BTCUSDT', 1)!;
      return { bid: depth.bids[0]![0], ask: depth.asks[0]![0] };
    },
  };
}

function config(env: Record<string, string>): AppConfig {
  const result = loadConfig(env, { envFile: false });
  if (!result.ok) throw new Error(result.error.map((e) => e.message).join('\n'));
  return result.value;
}

const KEYS = { EXCHANGE_API_KEY: 'mx0vglLiveLookingKey', EXCHANGE_API_SECRET: 'f00dfeedLiveLookingSecret' };
const CREDENTIALS_KEY_HEX = '5a'.repeat(32);

/** A key store holding alice's exchange keys, sealed under CREDENTIALS_KEY_HEX. */
async function aliceKeys(): Promise<ExchangeKeyStore> {
  const opened = await openAndMigrate(`sqlite:${join(scratchDir('papertrade-spy-'), 'keys.db')}`);
  const store = new ExchangeKeyStore(opened.db, new CredentialCipher(CREDENTIALS_KEY_HEX));
  await store.set('alice', { apiKey: 'alice-venue-key', secret: 'alice-venue-secret' }, 1);
  return store;
}

/** A real ccxt mexc client with keys, every private path spied on, and no network at all. */
function spiedMexc() {
  const exchange = new ccxt.mexc({ apiKey: KEYS.EXCHANGE_API_KEY, secret: KEYS.EXCHANGE_API_SECRET, enableRateLimit: false });
  const network = vi.spyOn(exchange, 'fetch').mockRejectedValue(new Error('the test has no network'));
  const spies = {
    createOrder: vi.spyOn(exchange, 'createOrder'),
    cancelOrder: vi.spyOn(exchange, 'cancelOrder'),
    fetchOrder: vi.spyOn(exchange, 'fetchOrder'),
    fetchOpenOrders: vi.spyOn(exchange, 'fetchOpenOrders'),
    fetchBalance: vi.spyOn(exchange, 'fetchBalance'),
    request: vi.spyOn(exchange, 'request'),
    sign: vi.spyOn(exchange, 'sign'),
  };
  const privateCalls = (): unknown[][] =>
    [...spies.request.mock.calls, ...spies.sign.mock.calls].filter((call) => {
      const api = call[1];
      const parts = Array.isArray(api) ? api.map(String) : [String(api)];
      return parts.some((p) => /private/i.test(p));
    });
  return { exchange, spies, network, privateCalls };
}

afterEach(() => vi.restoreAllMocks());

describe('paper mode behind the facade', () => {
  it('in paper mode, a whole order life cycle never calls a private exchange method', async () => {
    const { exchange, spies, network, privateCalls } = spiedMexc();
    const factory = vi.fn((_id: string, _options: Record<string, unknown>): Exchange => exchange);
    const harness = paperHarness();
    const exchangeKeys = await aliceKeys();
    // Keys, the sealing key and even the confirmation are present: only PAPER_TRADING (default true) keeps it paper.
    const service = createExecutionService(config({ ...KEYS, CREDENTIALS_KEY: CREDENTIALS_KEY_HEX, LIVE_TRADING_CONFIRM: LIVE_TRADING_CONFIRMATION }), harness.port, { exchangeFactory: factory, exchangeKeys });
    expect(service).toBeInstanceOf(PaperExecutionService);
    expect(service.mode).toBe('paper');
    await harness.open('alice', { USDT: '100000', BTC: '1' });
    const { bid, ask } = harness.top();

    const resting = await service.placeOrder('alice', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: (Number(bid) - 100).toFixed(2), clientOrderId: 'dip' });
    expect(resting).toMatchObject({ ok: true, value: { clientOrderId: 'dip', status: 'NEW', quantity: '0.01', executedQty: '0', mode: 'paper' } });
    const orderId = resting.ok ? resting.value.orderId : '';
    expect(await service.getOrder('alice', { orderId })).toMatchObject({ ok: true, value: { orderId, status: 'NEW' } });
    expect(await service.getOrder('alice', { clientOrderId: 'dip', symbol: 'BTCUSDT' })).toMatchObject({ ok: true, value: { orderId } });
    expect(await service.openOrders('alice', 'BTCUSDT')).toMatchObject({ ok: true, value: [{ orderId }] });
    const locked = await service.balances('alice');
    expect(locked.ok && Number(locked.value.USDT!.locked)).toBeGreaterThan(0);

    expect(await service.cancelOrder('alice', { orderId })).toMatchObject({ ok: true, value: { orderId, status: 'CANCELED' } });
    expect(await service.openOrders('alice')).toEqual({ ok: true, value: [] });

    const market = await service.placeOrder('alice', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.01' });
    expect(market).toMatchObject({ ok: true, value: { type: 'MARKET', status: 'FILLED', executedQty: '0.01' } });
    expect(market.ok && market.value.clientOrderId).toMatch(/^pt[0-9a-f]{24}$/);
    const marketable = await service.placeOrder('alice', { symbol: 'BTCUSDT', side: 'BUY', type: 'IMMEDIATE_OR_CANCEL', quantity: '0.001', price: ask });
    expect(marketable).toMatchObject({ ok: true, value: { status: 'FILLED' } });

    expect(await service.placeOrder('alice', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '100', price: bid })).toMatchObject({
      ok: false,
      error: { code: 'INSUFFICIENT_BALANCE', mexcCode: 10101 },
    });
    expect(await service.cancelOrder('alice', { orderId })).toMatchObject({ ok: false, error: { code: 'ORDER_NOT_OPEN', mexcCode: -2011 } });
    expect(await service.cancelOrder('alice', { orderId: '999999' })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_ORDER', mexcCode: -2011 } });
    expect(await service.getOrder('bob', { orderId })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_ORDER' } });
    const after = await service.balances('alice');
    expect(after.ok && after.value.USDT!.locked).toBe('0');

    // Nothing private was called, signed or even attempted over the network; no client was built.
    for (const [name, spy] of Object.entries(spies)) expect({ name, calls: spy.mock.calls.length }).toEqual({ name, calls: 0 });
    expect(privateCalls()).toEqual([]);
    expect(network).not.toHaveBeenCalled();
    expect(factory).not.toHaveBeenCalled();
  });

  it('the control: with the interlock live, the same factory, keys and account reach that spied client, and the spies see its private call', async () => {
    const { exchange, spies, privateCalls } = spiedMexc();
    exchange.setMarkets([]);
    const factory = vi.fn((_id: string, _options: Record<string, unknown>): Exchange => exchange);
    const exchangeKeys = await aliceKeys();
    const service = createExecutionService(config({ ...KEYS, CREDENTIALS_KEY: CREDENTIALS_KEY_HEX, LIVE_TRADING_CONFIRM: LIVE_TRADING_CONFIRMATION, PAPER_TRADING: 'false' }), paperHarness().port, { exchangeFactory: factory, exchangeKeys, live: { readRetries: 0 } });
    expect(await service.balances('alice')).toMatchObject({ ok: false, error: { code: 'EXCHANGE_ERROR', message: 'the test has no network' } });
    expect(factory).toHaveBeenCalledTimes(1);
    expect(factory.mock.calls[0]![1]).toMatchObject({ apiKey: 'alice-venue-key', secret: 'alice-venue-secret' });
    expect(spies.fetchBalance).toHaveBeenCalledTimes(1);
    expect(privateCalls().length).toBeGreaterThan(0);
    expect(privateCalls()[0]![1]).toEqual(['spot', 'private']);
  });
});

describe('paper orders with simulated latency', () => {
  it('with the waitForEvent hook, an order is acknowledged once the kernel handled its arrival', async () => {
    const h = paperHarness({ latencyMs: 250, waiter: true });
    const service = new PaperExecutionService(h.port);
    await h.open('alice', { USDT: '100000' });
    const submittedAt = h.kernel.now;
    const placed = service.placeOrder('alice', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'late' });
    expect(h.kernel.pendingCount()).toBe(1); // journaled and handled, not arrived
    h.feedTo(submittedAt + 1_000); // the market moves on; the order arrives on the way
    const result = await placed;
    expect(result).toMatchObject({ ok: true, value: { clientOrderId: 'late', status: 'FILLED', executedQty: '0.01' } });
    expect(result.ok && result.value.createdAt).toBeGreaterThanOrEqual(submittedAt + 250);
    expect(h.waiter!.size).toBe(0);
  });

  it('a cancel by clientOrderId may chase an order still on its way', async () => {
    const h = paperHarness({ latencyMs: 250, waiter: true });
    const service = new PaperExecutionService(h.port);
    await h.open('alice', { USDT: '100000' });
    const placed = service.placeOrder('alice', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '50000.00', clientOrderId: 'chase' });
    const canceled = service.cancelOrder('alice', { clientOrderId: 'chase' });
    h.feedTo(h.kernel.now + 1_000);
    expect(await placed).toMatchObject({ ok: true, value: { clientOrderId: 'chase' } });
    expect(await canceled).toMatchObject({ ok: true, value: { clientOrderId: 'chase', status: 'CANCELED' } });
  });

  it('without the hook (or past the timeout) the answer is ORDER_PENDING, and the order still arrives', async () => {
    const h = paperHarness({ latencyMs: 250 });
    const service = new PaperExecutionService(h.port);
    await h.open('alice', { USDT: '100000' });
    const result = await service.placeOrder('alice', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '50000.00', clientOrderId: 'p1' });
    expect(result).toMatchObject({ ok: false, error: { code: 'ORDER_PENDING' } });
    expect(result.ok ? '' : result.error.message).toContain('p1');
    h.feedTo(h.kernel.now + 1_000);
    expect(await service.getOrder('alice', { clientOrderId: 'p1' })).toMatchObject({ ok: true, value: { status: 'NEW' } });

    const timed = paperHarness({ latencyMs: 250, waiter: true });
    await timed.open('alice', { USDT: '100000' });
    const impatient = new PaperExecutionService(timed.port, { arrivalTimeoutMs: 20 });
    expect(await impatient.placeOrder('alice', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' })).toMatchObject({ ok: false, error: { code: 'ORDER_PENDING' } });
    expect(timed.waiter!.size).toBe(0);
  });
});

describe('paper queries', () => {
  it('an order becomes the input the journal stores: fields in a fixed order, none undefined, a bracket grouped under its entry', async () => {
    const h = paperHarness();
    const texts: string[] = [];
    const service = new PaperExecutionService({ ...h.port, submit: (input) => (texts.push(JSON.stringify(input)), h.port.submit(input)) });
    await h.open('alice', { USDT: '100000' });
    const t = h.kernel.now;
    await service.placeOrder('alice', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '50000.00', quantity: '0.001', clientOrderId: 'c1', stopPrice: undefined });
    await service.placeOrder('alice', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000.00', clientOrderId: 'b1', stopLoss: { stopPrice: '40000.00' }, takeProfit: { stopPrice: '70000.00', price: '70000.00' } });
    await service.placeOrderList('alice', [
      { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', quantity: '0.001', price: '90000.00', clientOrderId: 'l1', ocoGroup: 'g' },
      { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.001', stopPrice: '30000.00', clientOrderId: 'l2', reduceOnly: false, ocoGroup: 'g' },
    ]);
    expect(texts).toEqual([
      `{"kind":"order.place","time":${t},"account":"alice","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","clientOrderId":"c1","quantity":"0.001","price":"50000.00"}`,
      `{"kind":"order.place","time":${t},"account":"alice","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","clientOrderId":"b1","quantity":"0.001","price":"50000.00","ocoGroup":"b1","takeProfit":{"stopPrice":"70000.00","price":"70000.00"},"stopLoss":{"stopPrice":"40000.00"}}`,
      `{"kind":"order.list","time":${t},"account":"alice","orders":[{"symbol":"BTCUSDT","side":"SELL","type":"LIMIT","clientOrderId":"l1","quantity":"0.001","price":"90000.00","ocoGroup":"g"},{"symbol":"BTCUSDT","side":"SELL","type":"STOP_LOSS","clientOrderId":"l2","quantity":"0.001","stopPrice":"30000.00","reduceOnly":false,"ocoGroup":"g"}]}`,
    ]);
  });

  it('an unknown account, a missing reference and another symbol are answered with codes', async () => {
    const h = paperHarness();
    const service = new PaperExecutionService(h.port);
    await h.open('alice', { USDT: '1000' });
    expect(await service.balances('nobody')).toMatchObject({ ok: false, error: { code: 'UNKNOWN_ACCOUNT', mexcCode: 10072 } });
    expect(await service.openOrders('nobody')).toMatchObject({ ok: false, error: { code: 'UNKNOWN_ACCOUNT' } });
    expect(await service.getOrder('alice', {})).toMatchObject({ ok: false, error: { code: 'INVALID_ORDER' } });
    expect(await service.cancelOrder('alice', {})).toMatchObject({ ok: false, error: { code: 'INVALID_ORDER' } });
    const placed = await service.placeOrder('alice', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000.00' });
    const orderId = placed.ok ? placed.value.orderId : '';
    expect(await service.getOrder('alice', { orderId, symbol: 'ETHUSDT' })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_ORDER' } });
    expect(await service.cancelOrder('alice', { orderId, symbol: 'ETHUSDT' })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_ORDER' } });
    expect(await service.placeOrder('alice', { symbol: 'DOGEUSDT', side: 'BUY', type: 'MARKET', quantity: '1' })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_SYMBOL' } });
  });
});
