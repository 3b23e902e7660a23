/**
 * MEXC's Spot v3 WebSocket at `/mexc/ws` (MEXC: `wss://wbs-api.mexc.com/ws`), as MEXC serves it
 * (https://www.mexc.com/api-docs/spot-v3/websocket-market-streams): JSON control frames, protobuf
 * data frames (mexc-push-proto.ts).
 *
 *   → {"method":"SUBSCRIPTION","params":["spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT"]}
 *   ← {"id":0,"code":0,"msg":"spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT"}
 *   → {"method":"UNSUBSCRIPTION","params":[…]}      ← the same answer
 *   → {"method":"PING"}                               ← {"id":0,"code":0,"msg":"PONG"}
 * Public channels (interval 100ms or 10ms): `spot@public.aggre.depth.v3.api.pb@<i>@<SYMBOL>`
 * (depth diffs with `fromVersion`/`toVersion`, the ids of the REST depth's `lastUpdateId`),
 * `spot@public.aggre.deals.v3.api.pb@<i>@<SYMBOL>`, `spot@public.aggre.bookTicker.v3.api.pb@<i>@<SYMBOL>`.
 * Private channels, on `/mexc/ws?listenKey=<key>` only, for the key's account only:
 * `spot@private.orders.v3.api.pb`, `spot@private.deals.v3.api.pb`, `spot@private.account.v3.api.pb`.
 *
 * Guarantees: depth frames chain (`fromVersion = previous toVersion + 1`) while the book stays
 * synced, one frame per update of the kernel's book: a client keeps the frames whose `fromVersion`
 * is at or above its REST snapshot's `lastUpdateId` (ccxt's rule), so a frame merging several
 * updates would lose the snapshot's later part whenever the snapshot fell inside it. Deals and the
 * book ticker send at most one frame per interval, holding everything since the last;
 * private frames follow the kernel's events for the account, in order: an order frame per order
 * event, a deal frame per fill, an account frame per asset whose balance moved. An unknown or
 * forbidden channel is refused by name ("Not Subscribed successfully!"); at most
 * `maxSubscriptions` (MEXC: 30) channels per connection, and a SUBSCRIPTION naming more than that is
 * refused whole, in one answer. An unknown or expired listen key is told
 * "Invalid listen key" and the connection closes (1008); so does one whose account is deleted, and
 * an open connection whose key ends (closed with DELETE, expired, or dropped as the account's 61st)
 * within `LISTEN_KEY_CHECK_MS`.
 * Times are the engine's exchange time (the replayed market's own clock in replay).
 * Not modelled: MEXC's disconnect of a connection without subscriptions after 30 s or without
 * PING for 60 s, the 24-hour connection limit, kline and mini-ticker channels.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { boundedText } from '../../core/bounded-text.js';
import type { FillEvent, KernelEvent, OrderDoneEvent, OrderNewEvent } from '../../core/kernel/events.js';
import type { KernelInput } from '../../core/kernel/inputs.js';
import { extend } from '../../core/objects.js';
import { OrderTermsTracker } from '../../execution/order-records.js';
import type { DepthDiff, DepthDiffFeed } from '../dialect-kit/depth-diffs.js';
import type { TapeTrade } from '../dialect-kit/market-tape.js';
import type { ServiceDeps } from '../service-deps.js';
import type { ListenKeyStore } from './mexc-listen-keys.js';
import { dealItems, depthItems, privateAccountBodies, privateDealBody, privateOrderBody, type BalanceSnapshot } from './mexc-push-messages.js';
import { encodePush, type PushMessage } from './mexc-push-proto.js';
import { frameText } from '../utf8-request.js';

export const MEXC_WS_PATH = '/mexc/ws';
/** How often a private connection checks that its listen key still lives. */
export const LISTEN_KEY_CHECK_MS = 1_000;

export interface MexcStreamOptions {
  /** Channels per connection (default 30, MEXC's limit). */
  readonly maxSubscriptions?: number;
  /**
   * Fault injection for tests: asked before each depth frame is sent; `true` drops it, so that the
   * versions it covers never reach that client (a skipped version, as a lossy network would cause).
   */
  readonly dropDepthFrame?: (symbol: string, fromVersion: number, toVersion: number) => boolean;
}

const PUBLIC_CHANNEL = /^spot@public\.aggre\.(depth|deals|bookTicker)\.v3\.api\.pb@(100ms|10ms)@([A-Z0-9]{1,40})$/;
const PRIVATE_CHANNELS = new Set(['spot@private.orders.v3.api.pb', 'spot@private.deals.v3.api.pb', 'spot@private.account.v3.api.pb']);

interface Pending {
  timer: NodeJS.Timeout | undefined;
}
/** Depth frames leave as the diffs come, one per book update: no timer. */
interface DepthSub extends Pending {
  readonly kind: 'depth';
}
interface DealsSub extends Pending {
  readonly kind: 'deals';
  readonly trades: TapeTrade[];
}
interface TickerSub extends Pending {
  readonly kind: 'bookTicker';
  last: string;
}
type PublicSub = (DepthSub | DealsSub | TickerSub) & { readonly channel: string; readonly symbol: string; readonly intervalMs: number };

export interface MexcStreamContext {
  readonly deps: ServiceDeps;
  readonly listenKeys: ListenKeyStore;
  readonly diffs: DepthDiffFeed;
  readonly options: MexcStreamOptions;
}

export function registerMexcStream(app: FastifyInstance, ctx: MexcStreamContext): void {
  const { deps } = ctx;
  const maxSubscriptions = ctx.options.maxSubscriptions ?? 30;
  app.route({
    method: 'GET',
    url: MEXC_WS_PATH,
    schema: { hide: true },
    handler: async (_request, reply) => reply.code(426).header('upgrade', 'websocket').send({ code: 426, msg: `${MEXC_WS_PATH} is a WebSocket: connect with Upgrade: websocket` }),
    wsHandler: (socket: WebSocket, request: FastifyRequest) => {
      const kernel = () => deps.hub.kernel;
      const listenKey = new URL(request.url, 'http://localhost').searchParams.get('listenKey');
      const account = listenKey === null ? undefined : ctx.listenKeys.accountOf(listenKey);
      if (listenKey !== null && account === undefined) {
        socket.send('Invalid listen key');
        socket.close(1008, 'invalid listen key');
        return;
      }
      const publics = new Map<string, PublicSub>();
      const privates = new Set<string>();
      let balances: BalanceSnapshot = {};
      // Each order event's order, also once the kernel has dropped it (closed) before this connection heard of it.
      const orderTerms = account === undefined ? undefined : new OrderTermsTracker(kernel().openOrders(account));

      const sendJson = (message: unknown) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
      };
      const push = (message: PushMessage) => {
        if (socket.readyState === socket.OPEN) socket.send(encodePush(message), { binary: true });
      };
      const schedule = (sub: PublicSub) => {
        sub.timer ??= setTimeout(() => {
          sub.timer = undefined;
          flush(sub);
        }, sub.intervalMs);
      };
      const eventType = (sub: PublicSub) => sub.channel.slice(0, sub.channel.lastIndexOf('@'));

      const flush = (sub: PublicSub) => {
        const sendTime = kernel().now;
        if (sub.kind === 'deals') {
          if (sub.trades.length === 0) return;
          const deals = dealItems(sub.trades.splice(0));
          push({ channel: sub.channel, symbol: sub.symbol, sendTime, publicAggreDeals: { deals, eventType: eventType(sub) } });
        } else if (sub.kind === 'bookTicker') {
          const top = kernel().depth(sub.symbol, 1);
          const bid = top?.bids[0];
          const ask = top?.asks[0];
          const key = JSON.stringify([bid, ask]);
          if (key === sub.last) return;
          sub.last = key;
          const version = String(ctx.diffs.lastUpdateId(sub.symbol) ?? kernel().bookStatus(sub.symbol)?.updateId ?? 0);
          push({ channel: sub.channel, symbol: sub.symbol, sendTime, publicAggreBookTicker: { bidPrice: bid?.[0] ?? '', bidQuantity: bid?.[1] ?? '', askPrice: ask?.[0] ?? '', askQuantity: ask?.[1] ?? '', version } });
        }
      };

      const onDiff = (diff: DepthDiff) => {
        for (const sub of publics.values()) {
          if (sub.kind !== 'depth' || sub.symbol !== diff.symbol) continue;
          if (ctx.options.dropDepthFrame?.(sub.symbol, diff.firstUpdateId, diff.finalUpdateId) === true) continue;
          push({
            channel: sub.channel,
            symbol: sub.symbol,
            sendTime: diff.time,
            publicAggreDepths: { asks: depthItems(diff.asks), bids: depthItems(diff.bids), eventType: eventType(sub), fromVersion: String(diff.firstUpdateId), toVersion: String(diff.finalUpdateId) },
          });
        }
      };

      const onEvents = (events: readonly KernelEvent[], input: KernelInput) => {
        if (input.kind === 'trade' || input.kind === 'book.delta' || input.kind === 'book.snapshot') {
          for (const sub of publics.values()) {
            if (sub.symbol !== input.symbol) continue;
            if (sub.kind === 'deals' && input.kind === 'trade') {
              sub.trades.push({ id: input.tradeId, time: input.time, price: input.price, quantity: input.quantity, buyerMaker: input.buyerMaker });
              schedule(sub);
            } else if (sub.kind === 'bookTicker' && input.kind !== 'trade') {
              schedule(sub);
            }
          }
        }
        if (account === undefined) return;
        if (events.some((e) => e.type === 'ACCOUNT_CLOSED' && e.account === account)) {
          socket.send('Invalid listen key');
          socket.close(1008, 'account deleted');
          return;
        }
        if (privates.size > 0) onAccountEvents(events.filter((e) => 'account' in e && e.account === account));
      };

      const onAccountEvents = (mine: readonly KernelEvent[]) => {
        let movedBy: string | undefined;
        for (const event of mine) {
          if (event.type === 'ORDER_TRIGGERED') orderTerms?.orderOf(kernel(), event);
          if (event.type === 'ORDER_NEW' || event.type === 'FILL' || event.type === 'ORDER_CANCELED' || event.type === 'ORDER_EXPIRED') {
            const order = event as OrderNewEvent | FillEvent | OrderDoneEvent;
            const terms = orderTerms?.orderOf(kernel(), order);
            if (privates.has('spot@private.orders.v3.api.pb')) {
              push({ channel: 'spot@private.orders.v3.api.pb', symbol: order.symbol, sendTime: order.at, privateOrders: privateOrderBody(order, terms) });
            }
            if (order.type === 'FILL' && privates.has('spot@private.deals.v3.api.pb')) {
              push({ channel: 'spot@private.deals.v3.api.pb', symbol: order.symbol, sendTime: order.at, privateDeals: privateDealBody(order) });
            }
            movedBy = order.type === 'FILL' ? 'ENTRUST_DEAL' : (movedBy ?? (order.type === 'ORDER_NEW' ? 'ENTRUST_PLACE' : 'ENTRUST_CANCEL'));
          } else if (event.type === 'ACCOUNT_RESET' || event.type === 'FUNDING' || event.type === 'LIQUIDATION') {
            movedBy = event.type === 'ACCOUNT_RESET' ? 'ACCOUNT_RESET' : event.type;
          }
        }
        if (movedBy === undefined || !privates.has('spot@private.account.v3.api.pb')) return;
        const now = kernel().balances(account!) ?? {};
        const time = mine.at(-1)?.at ?? kernel().now;
        for (const body of privateAccountBodies(balances, now, movedBy, time)) push({ channel: 'spot@private.account.v3.api.pb', createTime: time, sendTime: time, privateAccount: body });
        balances = structuredClone(now);
      };

      const unsubscribeHub = deps.hub.subscribe(onEvents);
      const unsubscribeDiffs = ctx.diffs.subscribe(onDiff);
      // The key ends the connection when it ends: closed (DELETE), expired, or dropped as the 61st.
      const keyWatch =
        listenKey === null
          ? undefined
          : setInterval(() => {
              if (ctx.listenKeys.accountOf(listenKey) !== undefined) return;
              if (socket.readyState === socket.OPEN) socket.send('Invalid listen key');
              socket.close(1008, 'listen key ended');
            }, LISTEN_KEY_CHECK_MS);
      keyWatch?.unref();
      socket.on('close', () => {
        clearInterval(keyWatch);
        unsubscribeHub();
        unsubscribeDiffs();
        for (const sub of publics.values()) clearTimeout(sub.timer);
      });

      const subscribe = (channel: string): string | undefined => {
        if (publics.has(channel) || privates.has(channel)) return undefined;
        if (publics.size + privates.size >= maxSubscriptions) return `at most ${maxSubscriptions} subscriptions per connection`;
        if (PRIVATE_CHANNELS.has(channel)) {
          if (account === undefined) return 'private channels need a listen key: connect to /mexc/ws?listenKey=…';
          if (privates.size === 0) balances = structuredClone(kernel().balances(account) ?? {});
          privates.add(channel);
          return undefined;
        }
        const match = PUBLIC_CHANNEL.exec(channel);
        if (match === null) return 'unknown channel';
        const [, kind, interval, symbol] = match as unknown as [string, 'depth' | 'deals' | 'bookTicker', string, string];
        if (kernel().instrument(symbol)?.market !== 'spot') return `unknown symbol ${symbol}`;
        const common = { channel, symbol, intervalMs: interval === '10ms' ? 10 : 100, timer: undefined };
        publics.set(
          channel,
          kind === 'depth'
            ? extend(common, { kind })
            : kind === 'deals'
              ? extend(common, { kind, trades: [] })
              : extend(common, { kind, last: '' }),
        );
        return undefined;
      };

      const onMessage = (raw: Buffer) => {
        let message: { method?: unknown; params?: unknown; id?: unknown };
        try {
          message = JSON.parse(frameText(raw)) as typeof message;
          if (typeof message !== 'object' || message === null) throw new Error('not an object');
        } catch {
          return sendJson({ id: 0, code: 0, msg: 'Invalid message: send a JSON object with a "method"' });
        }
        // MEXC's answers carry an integer `id` (its documents show 0 for a request without one): the
        // request's own when it is a whole number from 0 to 2^53 − 1, else 0, never null (1e400
        // parses to Infinity, which JSON writes as null) nor a fraction.
        const id = typeof message.id === 'number' && Number.isSafeInteger(message.id) && message.id >= 0 ? message.id : 0;
        const method = typeof message.method === 'string' ? message.method.toUpperCase() : '';
        if (method === 'PING') return sendJson({ id, code: 0, msg: 'PONG' });
        // A method or a channel the frame carried is echoed cut when absurdly long (core/bounded-text.ts).
        if (method !== 'SUBSCRIPTION' && method !== 'UNSUBSCRIPTION') return sendJson({ id, code: 0, msg: boundedText(`Invalid method ${JSON.stringify(message.method)}: SUBSCRIPTION, UNSUBSCRIPTION or PING`) });
        const params = Array.isArray(message.params) ? message.params.filter((p): p is string => typeof p === 'string') : [];
        if (params.length === 0) return sendJson({ id, code: 0, msg: 'Invalid params: a list of channels' });
        // One answer for a list longer than a connection may hold: refusing each name would answer a
        // 16 KB frame of thousands of names with thousands of frames.
        if (method === 'SUBSCRIPTION' && params.length > maxSubscriptions) {
          return sendJson({ id, code: 0, msg: `Not Subscribed successfully! [${params.length} channels].  Reason： at most ${maxSubscriptions} subscriptions per connection` });
        }
        if (method === 'UNSUBSCRIPTION') {
          for (const channel of params) {
            const sub = publics.get(channel);
            if (sub !== undefined) clearTimeout(sub.timer);
            publics.delete(channel);
            privates.delete(channel);
          }
          return sendJson({ id, code: 0, msg: params.map(boundedText).join(',') });
        }
        const accepted: string[] = [];
        for (const channel of params) {
          const refused = subscribe(channel);
          if (refused === undefined) accepted.push(channel);
          else sendJson({ id, code: 0, msg: boundedText(`Not Subscribed successfully! [${channel}].  Reason： ${refused}`) });
        }
        if (accepted.length > 0) sendJson({ id, code: 0, msg: accepted.join(',') });
      };
      socket.on('message', (raw: Buffer) => {
        // A listener that threw would be an uncaught exception: the whole process. Never let one out.
        try {
          onMessage(raw);
        } catch (failure) {
          request.log.error({ err: failure }, 'MEXC WebSocket message failed');
          sendJson({ id: 0, code: 0, msg: 'internal error' });
        }
      });
    },
  });
}
