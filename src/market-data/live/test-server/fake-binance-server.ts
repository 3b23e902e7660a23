/**
 * A local stand-in for Binance spot (tests only): a WebSocket server that plays the bundled raw
 * combined stream (`<local_ts_ns> <JSON>` per line) to the connections that subscribed, and a REST
 * endpoint (`/api/v3/depth`, `/api/v3/exchangeInfo`) answering from the book the server keeps
 * itself — as the exchange would, the snapshot is the book at the tape's current position.
 *
 * Fault injection (each applies to the next depth message of the tape): skip it (the server's own
 * book still applies it, as the exchange's would), send it twice, drop every connection, or pause
 * the tape (a silent feed). Guarantees: one shared tape cursor for all connections, messages in
 * file order; the tape is capped at `maxDepthMessages` depth events.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { WebSocketServer, type WebSocket } from 'ws';

interface TapeItem {
  readonly stream: string;
  readonly text: string;
  readonly depth?: { readonly U: number; readonly u: number; readonly b: [string, string][]; readonly a: [string, string][] };
}

export interface FakeBinanceOptions {
  readonly rawFiles: readonly string[];
  readonly exchangeInfo?: unknown;
  readonly maxDepthMessages?: number;
  /** Messages sent per timer tick. */
  readonly messagesPerTick?: number;
  /** Timer tick in ms (default 1: as fast as the loop allows; 10 with one message per tick paces a service test). */
  readonly tickMs?: number;
  /** Faults placed on the tape: depth message index (0-based) → what happens to it. */
  readonly faults?: Readonly<Record<number, FaultKind>>;
}

export type FaultKind = 'skip' | 'duplicate' | 'cross' | 'drop' | 'pause';

export class FakeBinanceServer {
  private readonly tape: TapeItem[] = [];
  private readonly bids = new Map<string, string>();
  private readonly asks = new Map<string, string>();
  private lastUpdateId = 0;
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private readonly subs = new Map<WebSocket, Set<string>>();
  private http: Server | undefined;
  private wss: WebSocketServer | undefined;
  private fault: 'skip' | 'duplicate' | 'cross' | undefined;
  private readonly placed = new Set<number>();
  /** Depth messages sent so far (tape index of the next one is `depthSent`). */
  depthServed = 0;
  depthRequests = 0;
  connections = 0;
  readonly log: string[] = [];

  constructor(private readonly options: FakeBinanceOptions) {
    const cap = options.maxDepthMessages ?? Infinity;
    let depthCount = 0;
    for (const file of options.rawFiles) {
      for (const line of gunzipSync(readFileSync(file)).toString('utf8').split('\n')) {
        if (depthCount >= cap) break;
        const space = line.indexOf(' ');
        if (space < 0) continue;
        const text = line.slice(space + 1);
        const msg = JSON.parse(text) as { stream?: string; data?: Record<string, unknown>; lastUpdateId?: number; bids?: [string, string][]; asks?: [string, string][] };
        if (msg.stream === undefined) {
          if (this.lastUpdateId === 0 && msg.lastUpdateId !== undefined) {
            this.lastUpdateId = msg.lastUpdateId;
            for (const [p, q] of msg.bids ?? []) this.bids.set(p, q);
            for (const [p, q] of msg.asks ?? []) this.asks.set(p, q);
          }
          continue;
        }
        if (msg.stream.endsWith('@bookTicker')) continue;
        if (msg.stream.includes('@depth')) {
          depthCount += 1;
          const d = msg.data as { U: number; u: number; b: [string, string][]; a: [string, string][] };
          this.tape.push({ stream: msg.stream, text, depth: { U: d.U, u: d.u, b: d.b, a: d.a } });
        } else {
          this.tape.push({ stream: msg.stream, text });
        }
      }
    }
  }

  async start(): Promise<{ httpUrl: string; wsUrl: string }> {
    this.http = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname.endsWith('/depth')) {
        this.depthRequests += 1;
        const limit = Number(url.searchParams.get('limit') ?? '1000');
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(this.snapshot(limit)));
        return;
      }
      if (url.pathname.endsWith('/exchangeInfo') && this.options.exchangeInfo !== undefined) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(this.options.exchangeInfo));
        return;
      }
      res.statusCode = 404;
      res.end('{"code":-1,"msg":"not found"}');
    });
    this.wss = new WebSocketServer({ server: this.http });
    this.wss.on('connection', (socket) => {
      this.connections += 1;
      this.subs.set(socket, new Set());
      socket.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString()) as { method?: string; params?: string[]; id?: number };
        if (msg.method === 'SUBSCRIBE') {
          for (const p of msg.params ?? []) this.subs.get(socket)?.add(p);
          socket.send(JSON.stringify({ result: null, id: msg.id }));
          this.run();
        } else if (msg.method === 'UNSUBSCRIBE') {
          for (const p of msg.params ?? []) this.subs.get(socket)?.delete(p);
          socket.send(JSON.stringify({ result: null, id: msg.id }));
        }
      });
      socket.on('close', () => this.subs.delete(socket));
    });
    await new Promise<void>((resolve) => this.http!.listen(0, '127.0.0.1', resolve));
    const port = (this.http.address() as AddressInfo).port;
    return { httpUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}` };
  }

  get finished(): boolean {
    return this.cursor >= this.tape.length;
  }

  /** The server's own book (the exchange's truth) at the tape's position. */
  snapshot(limit = 1000): { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] } {
    const side = (m: Map<string, string>, desc: boolean) =>
      [...m.entries()].sort((x, y) => (desc ? Number(y[0]) - Number(x[0]) : Number(x[0]) - Number(y[0]))).slice(0, limit);
    return { lastUpdateId: this.lastUpdateId, bids: side(this.bids, true), asks: side(this.asks, false) };
  }

  skipNextDelta(): void {
    this.fault = 'skip';
  }

  duplicateNextDelta(): void {
    this.fault = 'duplicate';
  }

  /** The next delta goes out with a bid above the best ask added (a corrupt message; the server's own book is right). */
  crossNextDelta(): void {
    this.fault = 'cross';
  }

  /** Open connections subscribed to a depth stream. */
  get depthSubscribers(): number {
    let n = 0;
    for (const [socket, streams] of this.subs) if (socket.readyState === 1 && [...streams].some((name) => name.includes('@depth'))) n += 1;
    return n;
  }

  dropConnections(): void {
    for (const socket of this.subs.keys()) socket.terminate();
    this.log.push(`dropped connections at depth ${this.depthServed}`);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const socket of this.subs.keys()) socket.terminate();
    await new Promise<void>((resolve) => this.wss?.close(() => resolve()));
    // Kept-alive REST connections would hold close() open for as long as a client reuses them.
    await new Promise<void>((resolve) => {
      if (this.http === undefined) return resolve();
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private run(): void {
    if (this.timer !== undefined) return;
    const perTick = this.options.messagesPerTick ?? 4;
    this.timer = setInterval(() => {
      for (let n = 0; n < perTick && !this.paused && this.cursor < this.tape.length; n += 1) this.sendNext();
    }, this.options.tickMs ?? 1);
  }

  private sendNext(): void {
    const item = this.tape[this.cursor]!;
    const placed = item.depth !== undefined && !this.placed.has(this.depthServed) ? this.options.faults?.[this.depthServed] : undefined;
    if (placed !== undefined) {
      this.placed.add(this.depthServed);
      if (placed === 'pause') {
        this.log.push(`paused at depth ${this.depthServed}`);
        this.paused = true;
        return;
      }
      if (placed === 'drop') this.dropConnections();
      else this.fault = placed;
    }
    this.cursor += 1;
    let copies = 1;
    let text = item.text;
    if (item.depth !== undefined) {
      const fault = this.fault;
      this.fault = undefined;
      // The corrupt bid is priced off the best ask before this delta (the exchange's truth).
      const bestAsk = this.snapshot(1).asks[0]?.[0] ?? '0';
      this.applyDepth(item.depth);
      this.depthServed += 1;
      if (fault !== undefined) this.log.push(`${fault} depth U=${item.depth.U} u=${item.depth.u}`);
      if (fault === 'skip') copies = 0;
      if (fault === 'duplicate') copies = 2;
      if (fault === 'cross') {
        const msg = JSON.parse(text) as { data: { b: [string, string][]; a: [string, string][] } };
        msg.data.b.push([(Number(bestAsk) + 10).toFixed(8), '1.00000000']);
        text = JSON.stringify(msg);
      }
    }
    for (const [socket, subs] of this.subs) {
      if (!subs.has(item.stream) || socket.readyState !== 1) continue;
      for (let c = 0; c < copies; c += 1) socket.send(text);
    }
  }

  private applyDepth(d: NonNullable<TapeItem['depth']>): void {
    if (d.u <= this.lastUpdateId) return;
    for (const [p, q] of d.b) (Number(q) === 0 ? this.bids.delete(p) : this.bids.set(p, q));
    for (const [p, q] of d.a) (Number(q) === 0 ? this.asks.delete(p) : this.asks.set(p, q));
    this.lastUpdateId = d.u;
  }
}
