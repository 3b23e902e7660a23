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
 *   ← {"channel":"depth:BTCUSDT","bids":[…],"asks":[…]}    top 20 levels, at most every 250 ms; the book
 *                                                          after the last change of a burst always follows
 *                                                          within 250 ms (a throttle with a trailing send)
 *   → {"op":"cancelGroup","group":"…"}                    cancels an order list (OCO, bracket) of
 *   ← {"op":"cancelGroup","ok":true,"ocoGroup":…,"orders":[…]}  the account, as DELETE /api/orders/oco/:group;
 *                                                          order events name their list in `ocoGroup`
 * Errors answer {"op":"error","code":…,"message":…}; an account sees only its own events.
 *
 * Limits: a client frame larger than `wsMaxFrameBytes` closes the connection (1009, by the ws
 * server); at most `wsMaxSubscriptions` channels per connection (MEXC allows 30): a subscribe that
 * would exceed it is refused whole (TOO_MANY_SUBSCRIPTIONS). A wrong key counts towards the
 * address's authentication back-off, and an address in back-off has no key checked. When the
 * authenticated account is deleted, the connection is told so and closed (4001).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { boundedText } from '../core/bounded-text.js';
import type { EdgeLimits } from '../config/limits-config.js';
import type { WebSocket } from 'ws';
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { accountReads } from './paper-account-reads.js';
import { auditCall } from './dialect-kit/facade-calls.js';
import { cancelGroup } from './order-groups.js';
import type { ServiceDeps } from './service-deps.js';
import { clientAddress } from './client-address.js';
import { frameText } from './utf8-request.js';

const DEPTH_INTERVAL_MS = 250;

/** Close code sent when the connection's account is deleted (4000–4999: application codes). */
export const ACCOUNT_DELETED_CLOSE_CODE = 4001;

export function registerStream(app: FastifyInstance, deps: ServiceDeps, limits: Pick<EdgeLimits, 'wsMaxSubscriptions'>): void {
  app.route({
    method: 'GET',
    url: '/ws',
    schema: { hide: true },
    // A plain GET (no Upgrade header) gets the documented error shape.
    handler: async (_request, reply) => reply.code(426).header('upgrade', 'websocket').send({ code: 'UPGRADE_REQUIRED', message: '/ws is a WebSocket: connect with Upgrade: websocket' }),
    wsHandler: (socket: WebSocket, request: FastifyRequest) => {
      let account: string | undefined;
      const markets = new Set<string>();
      const depths = new Set<string>();
      let wantsAccount = false;
      const lastTop = new Map<string, string>();
      const lastDepthAt = new Map<string, number>();
      /** depth: the trailing send of a symbol whose book changed within the interval, one per symbol. */
      const depthTimers = new Map<string, NodeJS.Timeout>();
      const send = (message: unknown) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
      };
      // What the frame carried and the message echoes (a channel, an op) is cut when absurdly long (core/bounded-text.ts).
      const error = (code: string, message: string) => send({ op: 'error', code, message: boundedText(message) });

      const subscriptions = () => markets.size + depths.size + (wantsAccount ? 1 : 0);

      const onEvents = (events: readonly KernelEvent[], input: KernelInput) => {
        const kernel = deps.hub.kernel;
        if (account !== undefined && events.some((e) => e.type === 'ACCOUNT_CLOSED' && e.account === account)) {
          error('ACCOUNT_DELETED', `account ${account} was deleted; this connection closes`);
          socket.close(ACCOUNT_DELETED_CLOSE_CODE, 'account deleted');
          account = undefined;
          wantsAccount = false;
          stopAccount();
          return;
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
        if (depths.has(symbol) && (input.kind === 'book.delta' || input.kind === 'book.snapshot') && !depthTimers.has(symbol)) {
          // The first change after a quiet interval goes at once; later ones wait for the interval's
          // end, when the book as it then is (every change since included) goes in one frame.
          const wait = (lastDepthAt.get(symbol) ?? 0) + DEPTH_INTERVAL_MS - Date.now();
          if (wait <= 0) sendDepth(symbol);
          else depthTimers.set(symbol, setTimeout(() => sendDepth(symbol), wait));
        }
      };
      const sendDepth = (symbol: string) => {
        depthTimers.delete(symbol);
        if (!depths.has(symbol)) return;
        const kernel = deps.hub.kernel;
        lastDepthAt.set(symbol, Date.now());
        send({ channel: `depth:${symbol}`, at: kernel.now, status: kernel.bookStatus(symbol)?.status, ...kernel.depth(symbol, 20) });
      };
      // The account channel comes from the read port: the kernel's events on paper, the venue's answers live.
      let stopAccount = (): void => {};
      const unsubscribe = deps.hub.subscribe(onEvents);
      socket.on('close', () => {
        unsubscribe();
        stopAccount();
        for (const timer of depthTimers.values()) clearTimeout(timer);
        depthTimers.clear();
      });
      socket.on('message', (raw: Buffer) => {
        // A listener that threw would be an uncaught exception: the whole process. Never let one out.
        try {
          onMessage(raw);
        } catch (failure) {
          request.log.error({ err: failure }, 'WebSocket message failed');
          error('INTERNAL', 'the message could not be handled');
        }
      });
      const onMessage = (raw: Buffer) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(frameText(raw));
        } catch {
          return error('BAD_MESSAGE', 'messages are JSON objects with an "op"');
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return error('BAD_MESSAGE', 'messages are JSON objects with an "op"');
        const message = parsed as { op?: unknown; apiKey?: unknown; channels?: unknown };
        if (message.op === 'auth') {
          const throttle = app.authThrottle;
          const wait = throttle.retryAfterMs(clientAddress(request));
          if (wait > 0) return error('TOO_MANY_AUTH_FAILURES', `too many failed authentications from this address: retry in ${Math.ceil(wait / 1000)} s`);
          const profile = typeof message.apiKey === 'string' ? deps.credentials.byApiKey(message.apiKey) : undefined;
          if (profile === undefined) {
            throttle.failed(clientAddress(request));
            return error('UNAUTHORIZED', 'unknown API key');
          }
          if (profile.accountId !== account) {
            stopAccount();
            wantsAccount = false;
          }
          account = profile.accountId;
          return send({ op: 'auth', ok: true, account });
        }
        if (message.op === 'subscribe') {
          if (!Array.isArray(message.channels) || !message.channels.every((c) => typeof c === 'string')) return error('BAD_MESSAGE', '"channels" must be a list of strings');
          const symbols = new Set(deps.hub.kernel.instruments().map((i) => i.symbol));
          const held = (c: string) => (c === 'account' ? wantsAccount : c.startsWith('market:') ? markets.has(c.slice(7)) : c.startsWith('depth:') ? depths.has(c.slice(6)) : false);
          const fresh = new Set((message.channels as string[]).filter((c) => !held(c)));
          if (subscriptions() + fresh.size > limits.wsMaxSubscriptions) {
            return error('TOO_MANY_SUBSCRIPTIONS', `at most ${limits.wsMaxSubscriptions} channels per connection (${subscriptions()} held, ${fresh.size} more asked)`);
          }
          // Every channel is checked before any is taken, so a refused subscribe holds nothing new.
          const taken: Array<{ kind: 'market' | 'depth'; symbol: string }> = [];
          for (const channel of message.channels as string[]) {
            const [kind, symbol] = channel.split(':');
            if (channel === 'account') {
              if (account === undefined) return error('UNAUTHORIZED', 'send {"op":"auth","apiKey":…} before subscribing to "account"');
            } else if ((kind === 'market' || kind === 'depth') && symbol !== undefined && symbols.has(symbol)) {
              taken.push({ kind, symbol });
            } else {
              return error('BAD_CHANNEL', `unknown channel "${channel}" (account, market:SYMBOL, depth:SYMBOL)`);
            }
          }
          if (account !== undefined && !wantsAccount && (message.channels as string[]).includes('account')) {
            stopAccount = accountReads(deps).watchAccount(account, (message) => send({ channel: 'account', ...message }));
            wantsAccount = true;
          }
          for (const { kind, symbol } of taken) (kind === 'market' ? markets : depths).add(symbol);
          return send({ op: 'subscribe', ok: true, channels: message.channels });
        }
        if (message.op === 'cancelGroup') {
          if (account === undefined) return error('UNAUTHORIZED', 'send {"op":"auth","apiKey":…} before cancelling');
          const group = (parsed as { group?: unknown }).group;
          if (typeof group !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(group)) return error('BAD_MESSAGE', '"group" must be an order group id (up to 64 letters, digits and _ . : -)');
          if (deps.execution.mode !== 'paper') return error('UNSUPPORTED_ORDER_TYPE', 'order groups are simulated on paper only');
          const owner = account;
          void cancelGroup(deps, auditCall(app, deps, 'ws', deps.wallClock ?? Date.now), owner, group)
            .then((result) => (result.ok ? send({ op: 'cancelGroup', ok: true, ...result.value }) : error(result.error.code, result.error.message)))
            .catch((failure: unknown) => {
              request.log.error({ err: failure }, 'WebSocket cancelGroup failed');
              error('INTERNAL', 'the group could not be cancelled');
            });
          return;
        }
        return error('BAD_MESSAGE', `unknown op ${JSON.stringify(message.op)}`);
      };
    },
  });
}
