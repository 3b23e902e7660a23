/**
 * The WebSocket stream (`/ws`): authenticates with the account key, subscribes to the account,
 * the symbol's trades and book ticker, and its depth; reconnects with backoff when dropped.
 */
import type { Level } from './api-client.js';

export type StreamMessage =
  | { channel: 'account'; event: { type: string; [key: string]: unknown } }
  | { channel: 'account'; balances: Record<string, { free: string; locked: string }> }
  | { channel: string; type: 'bookTicker'; at: number; bid: Level | null; ask: Level | null }
  | { channel: string; type: 'trade'; at: number; price: string; quantity: string; side: string }
  | { channel: string; at: number; status?: string; bids: Level[]; asks: Level[] };

export interface StreamHandlers {
  onMessage(message: StreamMessage): void;
  onState(state: 'connecting' | 'open' | 'closed'): void;
  /**
   * The server confirmed the subscription (on each connect): events from here on come on the
   * stream, those before it do not, so what was loaded earlier is to be loaded again.
   */
  onSubscribed?(): void;
  /** The server closed the stream because the account was deleted: it is not reopened. */
  onAccountGone?(): void;
}

/** The server's close code for a deleted account (src/api/ws-stream.ts). */
const ACCOUNT_DELETED_CLOSE_CODE = 4001;

export function openStream(apiKey: string | undefined, symbol: string, handlers: StreamHandlers): () => void {
  let socket: WebSocket | undefined;
  let stopped = false;
  let retry = 500;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = () => {
    handlers.onState('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      retry = 500;
      handlers.onState('open');
      const channels = [`market:${symbol}`, `depth:${symbol}`];
      if (apiKey !== undefined) {
        ws.send(JSON.stringify({ op: 'auth', apiKey }));
        channels.unshift('account');
      }
      ws.send(JSON.stringify({ op: 'subscribe', channels }));
    };
    ws.onmessage = (e: MessageEvent<string>) => {
      const message = JSON.parse(e.data) as { channel?: string; op?: string; ok?: boolean };
      if (typeof message.channel === 'string') handlers.onMessage(message as StreamMessage);
      else if (message.op === 'subscribe' && message.ok === true) handlers.onSubscribed?.();
    };
    ws.onclose = (e: CloseEvent) => {
      handlers.onState('closed');
      if (stopped) return;
      if (e.code === ACCOUNT_DELETED_CLOSE_CODE) {
        handlers.onAccountGone?.();
        return;
      }
      timer = setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10_000);
    };
  };
  connect();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    socket?.close();
  };
}
