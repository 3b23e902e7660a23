/**
 * A webhook receiver for tests: node:http on 127.0.0.1, recording every request it reads. It can
 * answer any status (`answer`), stop listening (`down`: connections refused) and come back on the same port.
 *
 * Every wait on the network here is bounded (`RECEIVER_WAIT_MS`) and names what it waited for.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { within } from './wait.js';

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The status it was answered with. */
  readonly status: number;
  /** Wall time it arrived (Unix ms). */
  readonly at: number;
}

/**
 * How long `down`, `close`, `start` and `up` wait for the server (ms). A close on loopback takes a
 * few ms; the bound ends a broken run with a message well within the 60 s test timeout.
 */
export const RECEIVER_WAIT_MS = 10_000;

export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** The status answered from now on (200 by default). */
  answer = 200;
  private server: Server;
  private port = 0;
  private unansweredCount = 0;

  private constructor() {
    this.server = this.makeServer();
  }

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await receiver.listen();
    return receiver;
  }

  url(path = '/'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Requests answered 2xx. */
  accepted(path?: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300 && (path === undefined || r.path === path));
  }

  /** Requests whose headers have arrived and whose answer is not sent yet (their body is being read, or the answer written). */
  get unanswered(): number {
    return this.unansweredCount;
  }

  /**
   * Stops listening: connections are refused until `up`. The idle kept-alive connections are closed
   * now; a request being read is answered first, with `Connection: close`, and its connection ends
   * there. Throws after `ms` naming the connections still open, and closes them.
   */
  async down(ms = RECEIVER_WAIT_MS): Promise<void> {
    const server = this.server;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await within(closed, `the receiver on port ${this.port} to close its connections`, ms).catch(async (error: Error) => {
      const open = await new Promise<number>((resolve) => server.getConnections((_, count) => resolve(count)));
      const unanswered = this.unansweredCount;
      server.closeAllConnections();
      throw new Error(`${error.message} (connections still open: ${open}, requests unanswered: ${unanswered})`);
    });
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    this.server = this.makeServer();
    await this.listen();
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await this.down();
  }

  private makeServer(): Server {
    const server = createServer((request, response) => {
      this.unansweredCount += 1;
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const status = this.answer;
        this.requests.push({ path: request.url ?? '/', headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), status, at: Date.now() });
        // Once `down` has closed the server, a client reusing a kept-alive connection would be answered
        // on it for as long as it sends again within keepAliveTimeout (a retrying webhook client does),
        // and close would never finish. `Connection: close` ends the connection after this answer.
        if (!server.listening) response.setHeader('connection', 'close');
        response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'unavailable');
      });
      response.on('close', () => (this.unansweredCount -= 1));
    });
    return server;
  }

  private async listen(): Promise<void> {
    const server = this.server;
    const listening = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    await within(listening, `the receiver to listen on 127.0.0.1:${this.port}`, RECEIVER_WAIT_MS);
    this.port = (server.address() as AddressInfo).port;
  }
}
