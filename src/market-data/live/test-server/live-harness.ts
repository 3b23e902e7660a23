/**
 * Test harness: the fake Binance server, ccxt's own `binance` client pointed at it, and a bare
 * in-memory kernel behind the feed's engine port. Every input the feed submits is recorded with the
 * events it caused and the kernel's book status after it.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { KernelEvent } from '../../../core/kernel/events.js';
import type { KernelInput } from '../../../core/kernel/inputs.js';
import { Kernel } from '../../../core/kernel/kernel.js';
import { parseFixed } from '../../../core/money/fixed.js';
import { exchangeFile, SPOT_RECORDING } from '../../../test-kit/data-paths.js';
import { openLiveMarkets, type LiveMarkets } from '../live-markets.js';
import { FakeBinanceServer, type FakeBinanceOptions } from './fake-binance-server.js';

export const RAW_FILES = [`${SPOT_RECORDING}/raw/btcusdt_20240808.gz`, `${SPOT_RECORDING}/raw/btcusdt_20240809.gz`];

export function exchangeInfo(): unknown {
  const text = readFileSync(exchangeFile('binance_exchange_info_excerpt_2021.json'), 'utf8');
  return (JSON.parse(text) as { spot: { response: unknown } }).spot.response;
}

export type Ticker = { bid: bigint; bidQty: bigint; ask: bigint; askQty: bigint };

export function readTickers(): Map<number, Ticker> {
  const lines = gunzipSync(readFileSync(`${SPOT_RECORDING}/book_ticker.csv.gz`)).toString('utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const at = (n: string) => header.indexOf(n);
  const byId = new Map<number, Ticker>();
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    byId.set(Number(f[at('update_id')]), { bid: parseFixed(f[at('bid_price')]!), bidQty: parseFixed(f[at('bid_qty')]!), ask: parseFixed(f[at('ask_price')]!), askQty: parseFixed(f[at('ask_qty')]!) });
  }
  return byId;
}

export interface Handled {
  readonly input: KernelInput;
  readonly events: readonly KernelEvent[];
  readonly statusAfter: string | undefined;
}

export interface Harness {
  readonly server: FakeBinanceServer;
  readonly markets: LiveMarkets;
  readonly kernel: Kernel;
  readonly handled: Handled[];
  readonly port: { kernel: Kernel; submit(input: KernelInput): Promise<KernelEvent[]> };
  /** Runs after every input, inside submit (synchronously, before the next input). */
  afterInput: ((input: KernelInput, events: readonly KernelEvent[]) => void) | undefined;
  stop(): Promise<void>;
}

export async function startHarness(options: Partial<FakeBinanceOptions> = {}): Promise<Harness> {
  const server = new FakeBinanceServer({ rawFiles: RAW_FILES, exchangeInfo: exchangeInfo(), maxDepthMessages: 1200, messagesPerTick: 3, ...options });
  const { httpUrl, wsUrl } = await server.start();
  const markets = await openLiveMarkets({
    config: {
      exchange: 'binance',
      exchangeUrls: { api: { public: `${httpUrl}/api/v3`, v3: `${httpUrl}/api/v3`, ws: { spot: `${wsUrl}/ws` } } },
      exchangeOptions: { enableRateLimit: false, options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false } },
    },
    symbols: ['BTCUSDT'],
  });
  const kernel = new Kernel({ instruments: markets.instruments });
  const handled: Handled[] = [];
  const harness: Harness = {
    server,
    markets,
    kernel,
    handled,
    afterInput: undefined,
    port: {
      kernel,
      submit: async (input) => {
        const events = kernel.handle(input);
        handled.push({ input, events, statusAfter: kernel.bookStatus('BTCUSDT')?.status });
        harness.afterInput?.(input, events);
        return events;
      },
    },
    async stop() {
      await markets.close();
      await server.stop();
    },
  };
  return harness;
}

export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
