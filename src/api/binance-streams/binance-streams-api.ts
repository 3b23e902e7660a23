/**
 * Binance's WebSocket streams under `/binance` (a server plugin:
 * `buildServer(deps, { plugins: [registerBinanceApi, registerBinanceStreams] })`), over the same
 * kernel events as the native `/ws`:
 *
 * - spot market streams: `/binance/ws` (raw frames), `/binance/ws/<stream>`,
 *   `/binance/stream?streams=<a>/<b>` (combined: `{"stream","data"}`); USD-M futures:
 *   `/binance/fws`, `/binance/fws/<stream>`, `/binance/fstream?streams=…`; streams are
 *   `<symbol>@depth[@<rate>ms]`, `@trade`, `@aggTrade`, `@bookTicker` (market-stream-session.ts);
 *   a spot URL's `timeUnit=MICROSECOND` (or `microsecond`) puts every time field of the connection's
 *   frames (and of the WebSocket API's answers and events), user data included, in microseconds; another value is refused before the upgrade, 400
 *   -1100 (Binance documents the parameter, not its refusal);
 * - user data streams by listenKey: created, kept alive and closed over REST (spot
 *   `POST/PUT/DELETE /binance/api/v3/userDataStream`, futures `/binance/fapi/v1/listenKey`, with
 *   the `X-MBX-APIKEY` header only, as Binance's USER_STREAM endpoints), then read at
 *   `/binance/ws/<listenKey>` or `/binance/fws/<listenKey>` (also `/binance/fws?listenKey=…`, the
 *   URL ccxt's `binanceusdm` builds, or a `SUBSCRIBE` of the key on any stream connection of its
 *   market, as Binance's own connectors do) — the account's events only (user-data-session.ts);
 * - the spot user data stream through the WebSocket API: `/binance/ws-api/v3` (ws-api-session.ts).
 *
 * When a listenKey expires or is closed, its connections get `listenKeyExpired` and close, as on
 * Binance; when the account is deleted, too. Every REST error is in Binance's `{code,msg}` shape.
 * Listen keys live in this server's memory (docs/adr/0032).
 */
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { KernelEvent } from '../../core/kernel/events.js';
import { sharedDepthDiffs } from '../dialect-kit/depth-diffs.js';
import { acceptRawFormBodies, paramsOf } from '../dialect-kit/request-params.js';
import { BinanceError, binanceBodyOf, binanceErrors } from '../binance/binance-errors.js';
import { BINANCE_API_KEY_HEADER } from '../binance/binance-signature.js';
import { edgeErrorOf } from '../edge-errors.js';
import type { ServiceDeps } from '../service-deps.js';
import { ListenKeyBook, type StreamMarket } from './listen-keys.js';
import { inTimeUnit, type TimeUnit } from './market-frames.js';
import { MarketStreamSession } from './market-stream-session.js';
import { sharedMarketFrames } from './shared-frames.js';
import { UserDataSession } from './user-data-session.js';
import { WsApiSession } from './ws-api-session.js';
import { clientAddress } from '../client-address.js';

/** How often a connection on a listenKey checks that the key still lives. */
const EXPIRY_CHECK_MS = 10_000;

const listenKeyMissing = () => binanceErrors.mandatory('listenKey');
const listenKeyUnknown = () => new BinanceError(-1125, 'This listenKey does not exist.');

export async function registerBinanceStreams(app: FastifyInstance, deps: ServiceDeps): Promise<void> {
  const wallClock = deps.wallClock ?? Date.now;
  const keys = new ListenKeyBook(wallClock);
  const kernel = () => deps.hub.kernel;
  const frames = sharedMarketFrames(app, deps.hub, sharedDepthDiffs(app, deps.hub));
  const isAccountOf = (market: StreamMarket, accountId: string): boolean => (kernel().account(accountId)?.kind === 'futures') === (market === 'futures');
  // A deleted account's keys end with it (its open connections end on the event themselves).
  const stopForgetting = deps.hub.subscribe((events) => {
    for (const event of events) if (event.type === 'ACCOUNT_CLOSED') keys.forget(event.account);
  });
  app.addHook('onClose', async () => stopForgetting());

  await app.register(
    async (scope) => {
      acceptRawFormBodies(scope);
      scope.setErrorHandler((error, request, reply) => {
        if (error instanceof BinanceError) {
          if (error.code === -2014 || error.code === -2015) request.server.authThrottle.failed(clientAddress(request));
          return reply.code(error.status).send(error.body);
        }
        const edge = edgeErrorOf(error);
        if (edge !== undefined) {
          const binance = binanceBodyOf(edge);
          return reply.code(binance.status).send(binance.body);
        }
        request.log.error({ err: error }, 'Binance stream request failed');
        return reply.code(500).send({ code: -1000, msg: 'An unknown error occurred while processing the request.' });
      });

      /**
       * The account of the request's API key (USER_STREAM security: key, no signature). A spot
       * stream takes a spot account's key, a futures stream a futures account's: the other kind has
       * no such wallet, and Binance answers a key without the permission -2015.
       */
      const accountOf = (request: FastifyRequest, market: StreamMarket): string => {
        const header = request.headers[BINANCE_API_KEY_HEADER];
        const apiKey = Array.isArray(header) ? header[0] : header;
        if (apiKey === undefined || apiKey === '') throw binanceErrors.apiKeyRequired();
        const profile = deps.credentials.byApiKey(apiKey);
        if (profile === undefined || !isAccountOf(market, profile.accountId)) throw binanceErrors.unknownApiKey();
        return profile.accountId;
      };
      const listenKeyRoutes = (url: string, market: StreamMarket) => {
        // Off the OpenAPI document, like the streams: these routes are served on every server, the
        // Binance REST dialects (and their documented routes) only where their plugins are registered.
        const schema = { hide: true };
        scope.post(url, { schema }, async (request) => ({ listenKey: keys.open(accountOf(request, market), market) }));
        scope.put(url, { schema }, async (request) => {
          const accountId = accountOf(request, market);
          const key = paramsOf(request).listenKey;
          // USD-M's keep-alive takes no key (one per account) and answers it, -1125 when none lives; spot's names it and answers {}.
          if (market === 'futures' && (key === undefined || key === '')) {
            const live = keys.extend(accountId, market);
            if (live === undefined) throw listenKeyUnknown();
            return { listenKey: live };
          }
          if (key === undefined || key === '') throw listenKeyMissing();
          if (!keys.keepAlive(key, accountId, market)) throw listenKeyUnknown();
          return market === 'spot' ? {} : { listenKey: key };
        });
        scope.delete(url, { schema }, async (request) => {
          const accountId = accountOf(request, market);
          const key = paramsOf(request).listenKey;
          if (market === 'futures' && (key === undefined || key === '')) {
            const open = keys.open(accountId, market);
            keys.close(open, accountId, market);
            return {};
          }
          if (key === undefined || key === '') throw listenKeyMissing();
          if (!keys.close(key, accountId, market)) throw listenKeyUnknown();
          return {};
        });
      };
      listenKeyRoutes('/api/v3/userDataStream', 'spot');
      listenKeyRoutes('/fapi/v1/listenKey', 'futures');

      const upgradeRequired = async (request: FastifyRequest, reply: FastifyReply) =>
        reply.code(426).header('upgrade', 'websocket').send(binanceErrors.unsupportedOperation(`${request.url.split('?')[0] ?? ''} is a WebSocket: connect with Upgrade: websocket`).body);
      const streamRoute = (url: string, market: StreamMarket, combined: boolean) =>
        scope.route({
          method: 'GET',
          url,
          schema: { hide: true },
          // A spot URL's timeUnit is checked before the upgrade: a wrong one is refused in Binance's shape.
          ...(market === 'spot' ? { onRequest: async (request: FastifyRequest) => void timeUnitOf(request) } : {}),
          handler: upgradeRequired,
          wsHandler: (socket: WebSocket, request: FastifyRequest) => {
            const query = request.query as Record<string, unknown>;
            const named = typeof (request.params as Record<string, unknown>)['*'] === 'string' ? ((request.params as Record<string, string>)['*'] ?? '') : '';
            const listed = combined && typeof query.streams === 'string' ? query.streams.split('/') : [];
            // Each name once: a listenKey named twice would otherwise send every event of its account twice.
            const names = [...new Set([...named.split('/'), ...listed, ...(typeof query.listenKey === 'string' ? [query.listenKey] : [])])].filter((n) => n !== '');
            serveStreams(socket, request, market, combined, names, market === 'spot' ? timeUnitOf(request) : 'MILLISECOND');
          },
        });
      streamRoute('/ws', 'spot', false);
      streamRoute('/ws/*', 'spot', false);
      streamRoute('/stream', 'spot', true);
      streamRoute('/fws', 'futures', false);
      streamRoute('/fws/*', 'futures', false);
      streamRoute('/fstream', 'futures', true);

      scope.route({
        method: 'GET',
        url: '/ws-api/v3',
        schema: { hide: true },
        // The WebSocket API takes timeUnit in its URL too (Binance: web-socket-api/general-api-information).
        onRequest: async (request: FastifyRequest) => void timeUnitOf(request),
        handler: upgradeRequired,
        wsHandler: (socket: WebSocket, request: FastifyRequest) => {
          const send = sender(socket);
          const timeUnit = timeUnitOf(request);
          const session = new WsApiSession({
            timeUnit,
            kernel,
            credentials: deps.credentials,
            wallClock,
            send,
            isSpotAccount: (accountId) => isAccountOf('spot', accountId),
            authFailed: () => request.server.authThrottle.failed(clientAddress(request)),
            inBackOff: () => request.server.authThrottle.retryAfterMs(clientAddress(request)) > 0,
          });
          const unsubscribe = deps.hub.subscribe((events) => {
            session.onEngine(events);
            const closed = events.find((e) => e.type === 'ACCOUNT_CLOSED' && session.accounts().includes(e.account));
            if (closed?.type === 'ACCOUNT_CLOSED') {
              const event = { e: 'eventStreamTerminated', E: closed.at };
              send({ subscriptionId: session.subscriptionOf(closed.account), event: inTimeUnit(event, timeUnit) });
              socket.close(1000, 'account deleted');
            }
          });
          socket.on('close', unsubscribe);
          socket.on('message', guarded(request, (raw) => session.onMessage(raw)));
        },
      });
    },
    { prefix: '/binance' },
  );

  /**
   * One connection on a stream endpoint: market streams, and the user data streams of the live
   * listenKeys among `names` or named in a SUBSCRIBE since.
   */
  function serveStreams(socket: WebSocket, request: FastifyRequest, market: StreamMarket, combined: boolean, names: readonly string[], timeUnit: TimeUnit): void {
    const sendText = textSender(socket);
    const send = (frame: unknown) => sendText(JSON.stringify(frame));
    /** A user data event in the connection's time unit, wrapped as its combined property says. */
    const sendEvent = (stream: string, event: Record<string, unknown>) => {
      const data = inTimeUnit(event, timeUnit);
      send(session.isCombined ? { stream, data } : data);
    };
    const users = new Map<string, UserDataSession>();
    const expire = (key: string) => {
      sendEvent(key, { e: 'listenKeyExpired', E: wallClock(), listenKey: key });
      socket.close(1000, 'listenKey expired');
    };
    // Market frames come from the shared producers; the hub is followed here for user data only, from the first key on.
    let unsubscribe = (): void => undefined;
    let watch: NodeJS.Timeout | undefined;
    const follow = () => {
      if (watch !== undefined) return;
      unsubscribe = deps.hub.subscribe((events: readonly KernelEvent[]) => {
        for (const [key, user] of users) {
          user.onEngine(events);
          if (events.some((e) => e.type === 'ACCOUNT_CLOSED' && e.account === user.accountId)) expire(key);
        }
      });
      watch = setInterval(() => {
        const gone = [...users.keys()].find((key) => !keys.isLive(key));
        if (gone !== undefined) expire(gone);
      }, EXPIRY_CHECK_MS);
      watch.unref();
    };
    const ownerOf = (name: string) => {
      const owner = keys.resolve(name);
      return owner?.market === market ? owner : undefined;
    };
    const addUser = (name: string) => {
      const owner = ownerOf(name);
      if (owner === undefined || users.has(name)) return;
      users.set(name, new UserDataSession(owner.accountId, market, kernel, (event) => sendEvent(name, event)));
      follow();
    };
    const session = new MarketStreamSession({
      market,
      kernel,
      frames,
      send: sendText,
      combined,
      timeUnit,
      userStreams: { accepts: (name) => ownerOf(name) !== undefined, add: addUser, drop: (name) => users.delete(name), names: () => [...users.keys()] },
    });
    for (const name of names) addUser(name);
    session.subscribeAll(names.filter((n) => !users.has(n)));
    const stopClosed = keys.onClosed((key) => {
      if (users.has(key)) expire(key);
    });
    socket.on('close', () => {
      unsubscribe();
      stopClosed();
      session.close();
      if (watch !== undefined) clearInterval(watch);
    });
    socket.on('message', guarded(request, (raw) => session.onMessage(raw)));
  }
}

/** `timeUnit` in the URL as Binance spot names it (MICROSECOND or microsecond; MILLISECOND, the default, also); -1100 for any other value. */
const TIME_UNITS: ReadonlyMap<string, TimeUnit> = new Map([
  ['MILLISECOND', 'MILLISECOND'],
  ['millisecond', 'MILLISECOND'],
  ['MICROSECOND', 'MICROSECOND'],
  ['microsecond', 'MICROSECOND'],
]);

function timeUnitOf(request: FastifyRequest): TimeUnit {
  const value = (request.query as Record<string, unknown>).timeUnit;
  if (value === undefined) return 'MILLISECOND';
  const unit = typeof value === 'string' ? TIME_UNITS.get(value) : undefined;
  if (unit === undefined) throw binanceErrors.illegalChars('timeUnit', 'MICROSECOND, microsecond, MILLISECOND, millisecond');
  return unit;
}

function sender(socket: WebSocket): (frame: unknown) => void {
  const send = textSender(socket);
  return (frame) => send(JSON.stringify(frame));
}

/**
 * Sends JSON text, or its UTF-8 bytes (a shared frame) as a text frame. The frames of one turn of
 * the event loop (a group commit's inputs, one after another) leave in one write: the connection's
 * TCP socket is corked at the first and uncorked once the turn's work is done (`ws` has no cork of
 * its own; its `_socket` is the socket it writes to). Same frames, same order, one system call.
 */
function textSender(socket: WebSocket): (text: string | Buffer) => void {
  const tcp = (socket as unknown as { _socket?: Duplex })._socket;
  let corked = false;
  const uncork = () => {
    corked = false;
    tcp?.uncork();
  };
  return (text) => {
    if (socket.readyState !== socket.OPEN) return;
    if (!corked && tcp !== undefined) {
      corked = true;
      tcp.cork();
      process.nextTick(uncork);
    }
    socket.send(text, { binary: false });
  };
}

/** A listener that threw would be an uncaught exception: the whole process. Never let one out. */
function guarded(request: FastifyRequest, handle: (frame: Buffer) => void): (raw: Buffer) => void {
  return (raw) => {
    try {
      handle(raw);
    } catch (failure) {
      request.log.error({ err: failure }, 'Binance WebSocket message failed');
    }
  };
}
