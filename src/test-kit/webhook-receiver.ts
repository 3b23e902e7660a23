/**
 * A webhook receiver for tests: node:http on 127.0.0.1, recording every request it reads. It can
 * answer any status (`answer`), stop listening (`down`: connections refused) and come back on the same port.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The status it was answered with. */
  readonly status: number;
  /** Wall time it arrived (Unix ms). */
  readonly at: number;
}

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
   * there.
   */
  async down(): Promise<void> {
    const server = this.server;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
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
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }
}
