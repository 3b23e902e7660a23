/**
 * The WebSocket stream at `/ws`.
 *
 * Protocol (JSON text frames):
 *   → {"op":"auth","apiKey":"…"}                          ← {"op":"auth","ok":true,"account":"…"}
 *   → {"op":"subscribe","channels":["account","market:BTCUSDT","depth:BTCUSDT"]}
 *   ← {"channel":"account","event":{…}}                    every order, fill, position, funding,
 *                                                          liquidation and equity event of the account,
 *                                                          then {"channel":"account","balances":{…}}
 *   ← {"channel":"market:BTCUSDT","type":"bookTicker",…}   best bid/ask when it changes
 *   ← {"channel":"market:BTCUSDT","type":"trade",…}        each real trade
 *   ← {"channel":"depth:BTCUSDT","bids":[…],"asks":[…]}    top 20 levels, at most every 250 ms
 * Errors answer {"op":"error","code":…,"message":…}; an account sees only its own events.
 */
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import type { ServiceDeps } from './service-deps.js';

const DEPTH_INTERVAL_MS = 250;

export function registerStream(app: FastifyInstance, deps: ServiceDeps): void {
  app.get('/ws', { websocket: true, schema: { hide: true } }, (socket: WebSocket) => {
    let account: string | undefined;
    const markets = new Set<string>();
    const depths = new Set<string>();
    let wantsAccount = false;
    const lastTop = new Map<string, string>();
    const lastDepthAt = new Map<string, number>();
    const send = (message: unknown) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    };
    const error = (code: string, message: string) => send({ op: 'error', code, message });

    const onEvents = (events: readonly KernelEvent[], input: KernelInput) => {
      const kernel = deps.hub.kernel;
      if (wantsAccount && account !== undefined) {
        const mine = events.filter((e) => 'account' in e && e.account === account);
        for (const event of mine) send({ channel: 'account', event });
        if (mine.some((e) => e.type === 'FILL' || e.type === 'ORDER_NEW' || e.type === 'ORDER_CANCELED' || e.type === 'ORDER_EXPIRED' || e.type === 'FUNDING' || e.type === 'LIQUIDATION' || e.type === 'ACCOUNT_RESET')) {
          send({ channel: 'account', balances: kernel.balances(account) ?? {} });
        }
      }
      if (!('symbol' in input)) return;
      const symbol = input.symbol;
      if (markets.has(symbol)) {
        if (input.kind === 'trade') send({ channel: `market:${symbol}`, type: 'trade', at: input.time, price: input.price, quantity: input.quantity, side: input.buyerMaker ? 'SELL' : 'BUY' });
        if (input.kind === 'book.delta' || input.kind === 'book.snapshot') {
          const top = kernel.depth(symbol, 1);
          const key = JSON.stringify(top);
          if (top !== undefined && key !== lastTop.get(symbol)) {
            lastTop.set(symbol, key);
            send({ channel: `market:${symbol}`, type: 'bookTicker', at: kernel.now, bid: top.bids[0] ?? null, ask: top.asks[0] ?? null });
          }
        }
      }
      if (depths.has(symbol) && (input.kind === 'book.delta' || input.kind === 'book.snapshot')) {
        const now = Date.now();
        if (now - (lastDepthAt.get(symbol) ?? 0) >= DEPTH_INTERVAL_MS) {
          lastDepthAt.set(symbol, now);
          send({ channel: `depth:${symbol}`, at: kernel.now, status: kernel.bookStatus(symbol)?.status, ...kernel.depth(symbol, 20) });
        }
      }
    };
    const unsubscribe = deps.hub.subscribe(onEvents);
    socket.on('close', unsubscribe);
    socket.on('message', (raw: Buffer) => {
      let message: { op?: unknown; apiKey?: unknown; channels?: unknown };
      try {
        message = JSON.parse(raw.toString()) as typeof message;
      } catch {
        return error('BAD_MESSAGE', 'messages are JSON objects with an "op"');
      }
      if (message.op === 'auth') {
        const profile = typeof message.apiKey === 'string' ? deps.credentials.byApiKey(message.apiKey) : undefined;
        if (profile === undefined) return error('UNAUTHORIZED', 'unknown API key');
        account = profile.accountId;
        return send({ op: 'auth', ok: true, account });
      }
      if (message.op === 'subscribe') {
        if (!Array.isArray(message.channels) || !message.channels.every((c) => typeof c === 'string')) return error('BAD_MESSAGE', '"channels" must be a list of strings');
        const symbols = new Set(deps.hub.kernel.instruments().map((i) => i.symbol));
        for (const channel of message.channels as string[]) {
          const [kind, symbol] = channel.split(':');
          if (kind === 'account') {
            if (account === undefined) return error('UNAUTHORIZED', 'send {"op":"auth","apiKey":…} before subscribing to "account"');
            wantsAccount = true;
          } else if ((kind === 'market' || kind === 'depth') && symbol !== undefined && symbols.has(symbol)) {
            (kind === 'market' ? markets : depths).add(symbol);
          } else {
            return error('BAD_CHANNEL', `unknown channel "${channel}" (account, market:SYMBOL, depth:SYMBOL)`);
          }
        }
        return send({ op: 'subscribe', ok: true, channels: message.channels });
      }
      return error('BAD_MESSAGE', `unknown op ${JSON.stringify(message.op)}`);
    });
  });
}
