/**
 * Tells listeners when an exchange closes one of a ccxt pro instance's WebSocket connections.
 *
 * ccxt rejects the watches pending on a connection when it closes, but a drop that happens while no
 * watch is pending (the caller was busy with the last update) is silent: the next watch just opens a
 * new connection. Every close reaches `Exchange.onClose(client, event)`, bound when the client is
 * created; its own rule tells a server-side close (`client.error` undefined: "server disconnected a
 * working connection") from one of ours (`exchange.close()` sets `ExchangeClosedByUser` first) and
 * from a failed connection (`client.error` set by `onError`). We wrap that method once per instance
 * (an own property, so clients created afterwards bind the wrapper) and report the first kind only.
 * Clients created before the first listener registers keep the plain method.
 */
import type { Exchange } from 'ccxt';

type CloseListener = (url: string) => void;
interface ClosingExchange {
  onClose(client: { url?: string; error?: unknown }, event: unknown): unknown;
}

const listeners = new WeakMap<object, Set<CloseListener>>();

/** Calls `listener(url)` for each connection the exchange closes; returns the unsubscribe function. */
export function onServerClose(exchange: Exchange, listener: CloseListener): () => void {
  let set = listeners.get(exchange);
  if (set === undefined) {
    const registered = new Set<CloseListener>();
    set = registered;
    listeners.set(exchange, registered);
    const target = exchange as unknown as ClosingExchange;
    const original = target.onClose;
    if (typeof original === 'function') {
      target.onClose = function (this: unknown, client, event) {
        if (client?.error === undefined) for (const notify of [...registered]) notify(String(client?.url ?? ''));
        return original.call(this, client, event);
      };
    }
  }
  set.add(listener);
  const own = set;
  return () => {
    own.delete(listener);
  };
}
