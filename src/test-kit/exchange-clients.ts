/**
 * Clients as a bot has them, pointed at papertrade: ccxt's own `binance` and `mexc` classes with
 * only their API URLs changed, and a WebSocket whose JSON messages a test waits for.
 */
import ccxt, { type Exchange } from 'ccxt';
import type { WebSocket } from 'ws';

/** The two lines a ccxt bot changes (README "Binance Spot API"): every Binance host becomes papertrade's `/binance`. */
export function binanceSpotClient(base: string, apiKey: string, secret: string): Exchange {
  const exchange = new ccxt.binance({ apiKey, secret, enableRateLimit: false, options: { fetchMarkets: { types: ['spot'] } } });
  const api = exchange.urls.api as Record<string, string>;
  for (const [name, url] of Object.entries(api)) api[name] = url.replace(/^https:\/\/[a-z]+\.binance\.com/, `${base}/binance`);
  return exchange;
}

/** ccxt's `mexc` with its Spot hosts at papertrade's root and its contract hosts at `/api/v1/contract` and `/api/v1/private`. */
export function mexcClient(base: string, apiKey: string, secret: string): Exchange {
  const exchange = new ccxt.mexc({ apiKey, secret, enableRateLimit: false });
  const api = exchange.urls.api as Record<string, Record<string, string>>;
  api.spot = { ...api.spot, public: base, private: base };
  api.contract = { ...api.contract, public: `${base}/api/v1/contract`, private: `${base}/api/v1/private` };
  return exchange;
}

/** Collects a socket's JSON messages; `next(match)` waits (up to 10 s) for the first one matching. */
export function socketMessages(ws: WebSocket) {
  const messages: Array<Record<string, unknown>> = [];
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
  return {
    messages,
    async next(match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
      for (let i = 0; i < 400; i += 1) {
        const found = messages.find(match);
        if (found !== undefined) return found;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`no matching message in ${JSON.stringify(messages)}`);
    },
  };
}
