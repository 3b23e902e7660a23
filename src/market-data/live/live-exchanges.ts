/**
 * The ccxt pro clients of the live feed: one per exchange, built from the configuration
 * (EXCHANGE_OPTIONS, EXCHANGE_URLS deep-merged), never with credentials (market data is public);
 * symbol specs ("BTCUSDT", "BTC/USDT", "binance:BTC/USDT") resolved to ccxt markets; and, for
 * Binance, a tap on ccxt's raw depth messages that counts what ccxt drops silently (duplicates).
 */
import ccxt, { functions, InvalidNonce, type Exchange, type MarketInterface as Market } from 'ccxt';

export interface ExchangeSettings {
  readonly exchange: string;
  readonly exchangeUrls?: Readonly<Record<string, unknown>>;
  readonly exchangeOptions?: Readonly<Record<string, unknown>>;
}

export type ProExchangeFactory = (exchangeId: string, options: Record<string, unknown>) => Exchange;

export const defaultProExchangeFactory: ProExchangeFactory = (exchangeId, options) => {
  const Ctor = (ccxt.pro as unknown as Record<string, unknown>)[exchangeId];
  if (typeof Ctor !== 'function') throw new Error(`EXCHANGE: ccxt pro has no WebSocket exchange "${exchangeId}"`);
  return new (Ctor as new (options: Record<string, unknown>) => Exchange)(options);
};

const CREDENTIAL_OPTIONS = ['apiKey', 'secret', 'password', 'uid', 'login', 'privateKey', 'walletAddress', 'token', 'twofa', 'accountId'];

/** A public (unauthenticated) ccxt pro client; `ws://` URLs get ccxt's proxy agents loaded first. */
export async function createProExchange(exchangeId: string, settings: Omit<ExchangeSettings, 'exchange'>, factory: ProExchangeFactory = defaultProExchangeFactory): Promise<Exchange> {
  const options: Record<string, unknown> = { enableRateLimit: true, ...settings.exchangeOptions };
  for (const key of CREDENTIAL_OPTIONS) delete options[key];
  const exchange = factory(exchangeId, options);
  if (settings.exchangeUrls !== undefined && Object.keys(settings.exchangeUrls).length > 0) {
    exchange.urls = functions.deepExtend(exchange.urls, settings.exchangeUrls) as Exchange['urls'];
  }
  if (JSON.stringify(exchange.urls).includes('"ws://')) await exchange.loadHttpProxyAgent();
  return exchange;
}

export interface SymbolSpec {
  readonly exchange: string;
  /** As written: a market id (BTCUSDT) or a unified symbol (BTC/USDT, BTC/USDT:USDT). */
  readonly symbol: string;
}

/** "binance:BTC/USDT" → {binance, BTC/USDT}; "BTCUSDT" → {defaultExchange, BTCUSDT}. */
export function parseSymbolSpec(text: string, defaultExchange: string): SymbolSpec {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  // "BTC/USDT:USDT" is a unified swap symbol, not an exchange prefix.
  if (colon > 0 && !trimmed.slice(0, colon).includes('/')) {
    return { exchange: trimmed.slice(0, colon).toLowerCase(), symbol: trimmed.slice(colon + 1) };
  }
  return { exchange: defaultExchange, symbol: trimmed };
}

/** The ccxt market a spec names: unified symbol first, else the exchange's market id (spot preferred). */
export function resolveMarket(exchange: Exchange, symbol: string): Market {
  const markets = exchange.markets ?? {};
  const direct = markets[symbol];
  if (direct !== undefined) return direct;
  const wanted = symbol.replace(/[/_:-]/g, '').toUpperCase();
  const candidates = Object.values(markets).filter((m): m is NonNullable<typeof m> => m !== undefined && (m.id === symbol || String(m.id).replace(/[/_:-]/g, '').toUpperCase() === wanted));
  const found = candidates.find((m) => m.spot) ?? candidates[0];
  if (found === undefined) throw new Error(`${exchange.id}: no market ${symbol}`);
  return found;
}

/** The symbol the kernel knows a market by: the exchange's id, qualified by the exchange when several trade at once. */
export function kernelSymbolOf(exchangeId: string, market: Market, qualify: boolean): string {
  const id = String(market.id).replace(/[/_:-]/g, '').toUpperCase();
  return qualify ? `${exchangeId}:${id}` : id;
}

export interface RawSequenceAnomaly {
  readonly symbol: string;
  readonly kind: 'duplicate' | 'gap';
  readonly firstUpdateId: number;
  readonly finalUpdateId: number;
  readonly expected: number;
}

/** How many times a snapshot older than the buffered events is fetched before the watch fails. */
const SNAPSHOT_TRIES = 3;

type DepthEvent = { U?: unknown; u?: unknown; pu?: unknown } | undefined;

/**
 * How a REST snapshot at `lastUpdateId` joins the depth events buffered before it, by Binance's "How
 * to manage a local order book correctly". Spot: events with u ≤ lastUpdateId are dropped, the first
 * kept must have U ≤ lastUpdateId + 1, each later one U = previous u + 1. USD-M (events with `pu`):
 * events with u < lastUpdateId are dropped, the first kept must have U ≤ lastUpdateId (or pu =
 * lastUpdateId), each later one pu = previous u; an event whose u is not above the last one kept is
 * dropped (sent again: ccxt drops it too). `too-old`: the first kept starts past the snapshot
 * (fetch it again); `gap`: a later one does not chain (the stream lost an event: start again).
 */
export function binanceSnapshotJoin(lastUpdateId: number, events: readonly DepthEvent[]): 'ok' | 'too-old' | 'gap' {
  let previous: number | undefined;
  for (const event of events) {
    const U = event?.U;
    const u = event?.u;
    if (typeof U !== 'number' || typeof u !== 'number') continue; // ccxt skips these too
    const pu = typeof event?.pu === 'number' ? event.pu : undefined;
    if (previous !== undefined && u <= previous) continue; // sent again, or a late copy: already in the book
    if (previous === undefined) {
      if (pu === undefined ? u <= lastUpdateId : u < lastUpdateId) continue;
      if (pu === undefined ? U > lastUpdateId + 1 : U > lastUpdateId && pu !== lastUpdateId) return 'too-old';
    } else if (pu === undefined ? U !== previous + 1 : pu !== previous) {
      return 'gap';
    }
    previous = u;
  }
  return 'ok';
}

/**
 * Binance (spot `U/u`, USD-M `pu`): watches the raw depth messages before ccxt handles them and
 * reports a delta seen again (ccxt drops it without a word) or a gap (ccxt raises too). Market id
 * → last `u`. Returns false when the exchange has no such handler (not a Binance-family client).
 *
 * It also checks ccxt's REST snapshot against the events ccxt buffered before it
 * (`binanceSnapshotJoin`): ccxt applies only the buffered events that satisfy the first-event rule
 * and skips the others without a word, so a snapshot older than the whole buffer, or a hole in the
 * buffer, used to be handed out as a synced book (the stale snapshot, or the book up to the hole)
 * until the next live event raised the gap. A snapshot too old is fetched again (up to
 * `SNAPSHOT_TRIES` times); a hole, a snapshot still too old, or one without `lastUpdateId` (ccxt
 * handed it out, then buffered every later event for good: the book never moved again) fails the
 * watch with InvalidNonce, which the book stream answers as a gap (a fresh subscription and snapshot).
 */
export function tapBinanceDepthSequence(exchange: Exchange, onAnomaly: (a: RawSequenceAnomaly) => void): boolean {
  const target = exchange as unknown as {
    handleOrderBook?: (client: unknown, message: Record<string, unknown>) => unknown;
    fetchRestOrderBookSafe?: (symbol: string, limit?: number, params?: unknown) => Promise<{ nonce?: unknown } | undefined>;
    orderbooks?: Record<string, { cache?: unknown } | undefined>;
  };
  const original = target.handleOrderBook;
  if (typeof original !== 'function' || !exchange.id.startsWith('binance')) return false;
  const fetchSnapshot = target.fetchRestOrderBookSafe;
  if (typeof fetchSnapshot === 'function') {
    target.fetchRestOrderBookSafe = async function (this: unknown, symbol, limit, params) {
      for (let tries = 1; ; tries += 1) {
        const snapshot = await fetchSnapshot.call(this, symbol, limit, params);
        const cache = target.orderbooks?.[symbol]?.cache;
        const nonce = snapshot?.nonce;
        // Without lastUpdateId ccxt hands out the snapshot, then buffers every later event for good.
        if (typeof nonce !== 'number' || !Number.isSafeInteger(nonce)) throw new InvalidNonce(`${exchange.id} ${symbol}: the depth snapshot has no lastUpdateId`);
        // ccxt reads its buffer right after this returns, with no message handled in between.
        const join = Array.isArray(cache) ? binanceSnapshotJoin(nonce, cache as DepthEvent[]) : 'ok';
        if (join === 'ok') return snapshot;
        if (join === 'gap') throw new InvalidNonce(`${exchange.id} ${symbol}: the depth events buffered before the snapshot (lastUpdateId ${String(nonce)}) have a hole`);
        if (tries >= SNAPSHOT_TRIES) throw new InvalidNonce(`${exchange.id} ${symbol}: the depth snapshot (lastUpdateId ${String(nonce)}) is older than every buffered event after ${tries} tries`);
      }
    };
  }
  const last = new Map<string, number>();
  target.handleOrderBook = function (this: unknown, client: unknown, message: Record<string, unknown>) {
    const s = message.s;
    const U = message.U;
    const u = message.u;
    if (typeof s === 'string' && typeof U === 'number' && typeof u === 'number') {
      const previous = last.get(s);
      const pu = typeof message.pu === 'number' ? message.pu : undefined;
      if (previous !== undefined) {
        if (u <= previous) onAnomaly({ symbol: s, kind: 'duplicate', firstUpdateId: U, finalUpdateId: u, expected: previous + 1 });
        else if (pu !== undefined ? pu !== previous : U !== previous + 1) onAnomaly({ symbol: s, kind: 'gap', firstUpdateId: U, finalUpdateId: u, expected: previous + 1 });
      }
      if (previous === undefined || u > previous) last.set(s, u);
    }
    return original.call(this, client, message);
  };
  return true;
}
