/**
 * A TCP proxy a test controls, to take a database away and give it back without touching the
 * shared server: `cut()` drops every connection through it and refuses new ones (each accepted
 * socket is closed at once, as a server that is down or restarting would); `restore()` passes
 * traffic again. `intercept` sees each chunk a client sends and may deliver it, then drop that
 * connection before the server's answer comes back: the server acts on the request, the client
 * never learns it did (a connection lost at COMMIT).
 */
import { createServer, connect, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's. */
  through(url: string): string;
  /** Drop every connection and refuse new ones until `restore()`. */
  cut(): void;
  restore(): void;
  /** Drop every connection now, and keep passing new ones (a failover, an idle timeout). */
  dropConnections(): void;
  /** Decides per client chunk: pass it on, or deliver it and then drop the connection. */
  intercept(decide: ((chunk: Buffer, connection: number) => 'pass' | 'deliver-then-drop') | undefined): void;
  /** Connections refused while cut. */
  readonly refused: number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { readonly host: string; readonly port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let isCut = false;
  let refused = 0;
  let connections = 0;
  let decide: ((chunk: Buffer, connection: number) => 'pass' | 'deliver-then-drop') | undefined;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (isCut) {
      refused += 1;
      client.destroy();
      return;
    }
    const id = (connections += 1);
    const upstream = connect(target.port, target.host);
    track(upstream);
    let draining = false;
    client.on('data', (chunk: Buffer) => {
      if (decide?.(chunk, id) !== 'deliver-then-drop') return void upstream.write(chunk);
      // The server gets the chunk and then the end of the stream; the client gets nothing more.
      draining = true;
      upstream.end(chunk);
      client.destroy();
    });
    upstream.pipe(client);
    client.on('close', () => {
      if (!draining) upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const dropConnections = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port,
    through(url: string) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    cut() {
      isCut = true;
      dropConnections();
    },
    restore() {
      isCut = false;
    },
    dropConnections,
    intercept(next) {
      decide = next;
    },
    get refused() {
      return refused;
    },
    async close() {
      isCut = true;
      dropConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
