/**
 * What ccxt pro's sockets hand an exchange: every message as ccxt parsed it, in arrival order. A test
 * waits on the server's answer to a subscription (MEXC contract `rs.login`, MEXC spot `{code:0,msg:
 * <channel>}`, Binance `{result:null,id}`) before it makes the event the stream must carry, instead
 * of sleeping and hoping the subscription has landed.
 */
import type { Exchange } from 'ccxt';

type Handler = (client: unknown, message: unknown) => unknown;
interface Tapped {
  handleMessage: Handler;
  clients?: Record<string, { onMessageCallback: Handler }>;
}

const taps = new WeakMap<object, Record<string, unknown>[]>();

/**
 * The messages `exchange` receives from now on, on the sockets it has and on those it opens later
 * (the same list on every call). Call it before the watch whose answer the test waits for.
 */
export function ccxtHeard(exchange: Exchange): readonly Record<string, unknown>[] {
  const known = taps.get(exchange);
  if (known !== undefined) return known;
  const heard: Record<string, unknown>[] = [];
  taps.set(exchange, heard);
  const record = (message: unknown) => {
    if (typeof message === 'object' && message !== null) heard.push(message as Record<string, unknown>);
  };
  const ex = exchange as unknown as Tapped;
  // ccxt binds handleMessage when it opens a socket: sockets opened later use this one.
  const handle = ex.handleMessage.bind(ex);
  ex.handleMessage = (client, message) => (record(message), handle(client, message));
  for (const client of Object.values(ex.clients ?? {})) {
    const callback = client.onMessageCallback;
    client.onMessageCallback = (c, message) => (record(message), callback(c, message));
  }
  return heard;
}

/** MEXC spot's answer to a SUBSCRIPTION that names `channel` (e.g. `spot@private.orders.v3.api.pb`). */
export const mexcSubscribed = (heard: readonly Record<string, unknown>[], channel: string): boolean =>
  heard.some((m) => m.code === 0 && typeof m.msg === 'string' && m.msg.split(',').includes(channel));

/** MEXC contract's answer to `method` (`login`, `sub.deal`, …): `{"channel":"rs.<method>","data":"success"}`. */
export const mexcContractAnswered = (heard: readonly Record<string, unknown>[], method: string): boolean =>
  heard.some((m) => m.channel === `rs.${method}` && m.data === 'success');
