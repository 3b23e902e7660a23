/**
 * Binance market stream names: `<symbol>@depth`, `<symbol>@depth@<rate>ms`, `<symbol>@trade`,
 * `<symbol>@aggTrade`, `<symbol>@bookTicker`, the symbol in lower case.
 * Spot: depth at 1000 ms (plain) or 100 ms
 * (https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#diff-depth-stream);
 * USD-M futures: 250 ms (plain), 500 ms or 100 ms
 * (https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Diff-Book-Depth-Streams).
 */
import type { StreamMarket } from './listen-keys.js';

export type StreamChannel = 'depth' | 'trade' | 'aggTrade' | 'bookTicker';

export interface StreamName {
  /** The name as subscribed (what LIST_SUBSCRIPTIONS and combined frames echo). */
  readonly name: string;
  /** The instrument symbol, upper case. */
  readonly symbol: string;
  readonly channel: StreamChannel;
  /** Depth only: how often the diff is sent, ms. */
  readonly intervalMs: number;
}

const DEPTH_RATES: Readonly<Record<StreamMarket, { readonly plain: number; readonly rates: readonly number[] }>> = {
  spot: { plain: 1_000, rates: [100, 1_000] },
  futures: { plain: 250, rates: [100, 250, 500] },
};

/** The stream a name denotes on the market's endpoint, or undefined when it is not one we serve. */
export function parseStreamName(name: string, market: StreamMarket, symbols: ReadonlySet<string>): StreamName | undefined {
  const match = /^([a-z0-9]+)@(depth|trade|aggTrade|bookTicker)(?:@(\d+)ms)?$/.exec(name);
  if (match === null) return undefined;
  const symbol = match[1]!.toUpperCase();
  const channel = match[2] as StreamChannel;
  if (!symbols.has(symbol)) return undefined;
  if (match[3] !== undefined && channel !== 'depth') return undefined;
  if (channel !== 'depth') return { name, symbol, channel, intervalMs: 0 };
  const rates = DEPTH_RATES[market];
  const intervalMs = match[3] === undefined ? rates.plain : Number(match[3]);
  if (!rates.rates.includes(intervalMs)) return undefined;
  return { name, symbol, channel, intervalMs };
}
