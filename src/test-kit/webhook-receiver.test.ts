import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep, until } from './wait.js';
import { WebhookReceiver } from './webhook-receiver.js';

/** One POST through `agent`: its status and headers, or the error code it failed with (ECONNREFUSED, ECONNRESET). */
function post(url: string, agent: Agent): Promise<{ status: number; headers: IncomingHttpHeaders; reused: boolean } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, reused: req.reusedSocket }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end('{}');
  });
}

describe('WebhookReceiver.down', () => {
  let receiver: WebhookReceiver | undefined;
  let agent: Agent | undefined;
  afterEach(async () => {
    agent?.destroy();
    await receiver?.close();
  });

  // HTTP/1.1 keeps a connection open for the next request (RFC 9112 §9.3) unless an answer says
  // `Connection: close` (§9.6). A client that sends again on it within the server's keepAliveTimeout
  // (a retrying webhook dispatcher, fetch's pool) would keep a closed node:http server's connection
  // open, and its close waiting, for as long as it keeps sending.
  it('answers the request being read with Connection: close, then refuses connections, while a client keeps sending on its kept-alive connection', async () => {
    receiver = await WebhookReceiver.start();
    receiver.answer = 503;
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    // A first request makes the one kept-alive connection; the second is sent on it, headers and half its body.
    expect(await post(receiver.url('/warm'), agent)).toMatchObject({ status: 503, reused: false });
    let answered!: (value: { status: number; headers: IncomingHttpHeaders; reused: boolean }) => void;
    const held = new Promise<{ status: number; headers: IncomingHttpHeaders; reused: boolean }>((resolve) => (answered = resolve));
    const req = request(receiver.url('/held'), { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': '2' } }, (res) => {
      res.resume();
      res.on('end', () => answered({ status: res.statusCode!, headers: res.headers, reused: req.reusedSocket }));
    });
    req.write('{');
    await until(() => receiver!.unanswered === 1, 'the held request to reach the receiver');

    let settled = false;
    const down = receiver.down().finally(() => (settled = true));
    down.catch(() => undefined); // its failure is reported by the `await down` below, not as unhandled meanwhile
    req.end('}');
    const heldAnswer = await held;
    // The client goes on sending (every 20 ms, as a dispatcher retries) until the receiver is down.
    const sentWhileClosing: Array<Awaited<ReturnType<typeof post>>> = [];
    while (!settled) {
      sentWhileClosing.push(await post(receiver.url('/retry'), agent));
      await sleep(20);
    }
    await down;
    expect(heldAnswer).toMatchObject({ status: 503, reused: true, headers: { connection: 'close' } });
    expect(sentWhileClosing.every((r) => 'error' in r)).toBe(true);
    expect(await post(receiver.url('/after'), agent)).toEqual({ error: 'ECONNREFUSED' });
    expect(receiver.requests.map((r) => [r.path, r.status])).toEqual([['/warm', 503], ['/held', 503]]);

    // And it comes back on the same port.
    receiver.answer = 200;
    await receiver.up();
    expect(await post(receiver.url('/back'), agent)).toMatchObject({ status: 200 });
    expect(receiver.accepted().map((r) => r.path)).toEqual(['/back']);
  });

  it('names what it waited for when a request is never finished, and then drops its connection', async () => {
    receiver = await WebhookReceiver.start();
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const req = request(receiver.url('/stuck'), { method: 'POST', agent, headers: { 'content-length': '2' } });
    const failed = new Promise<string>((resolve) => req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message)));
    req.write('{');
    await until(() => receiver!.unanswered === 1, 'the stuck request to reach the receiver');
    await expect(receiver.down(200)).rejects.toThrow(/^timed out after 200 ms waiting for the receiver on port \d+ to close its connections \(connections still open: 1, requests unanswered: 1\)$/);
    expect(await failed).toBe('ECONNRESET');
    await until(() => receiver!.unanswered === 0, 'the stuck request dropped');
  });
});
