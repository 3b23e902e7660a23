/**
 * The cap on WebSocket connections per remote address, over real sockets: with a cap of 3, a fourth
 * upgrade from the address is refused (HTTP 429, in the dialect of its path) on every route, another
 * address is not held back, and a connection that closes frees its slot.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestService, type TestService } from '../test-kit/service-kit.js';
import { until } from '../test-kit/wait.js';
import { attemptUpgrade } from '../test-kit/ws-client.js';
import { buildServer, IN_PROCESS_LIMITS } from './server.js';

const CAP = 3;

/** Opens `url` from `localAddress`: the socket, or the refusal's status and body. */
const attempt = (url: string, localAddress = '127.0.0.1') => attemptUpgrade(url, { localAddress });

async function opened(url: string, localAddress?: string): Promise<WebSocket> {
  const result = await attempt(url, localAddress);
  if (!('ws' in result)) throw new Error(`refused: ${JSON.stringify(result)}`);
  return result.ws;
}

describe('the WebSocket connections of one address', () => {
  let service: TestService;
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    service = await startTestService();
    app = await buildServer(service.deps, { limits: { ...IN_PROCESS_LIMITS, wsMaxConnectionsPerIp: CAP } });
    url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/^http/, 'ws');
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('are capped: the next upgrade is refused with 429 in the dialect of its path, another address is not held back, and a close frees a slot', async () => {
    // The cap counts connections of every route together.
    const held = [await opened(`${url}/ws`), await opened(`${url}/binance/ws`), await opened(`${url}/mexc/ws`)];
    const message = `at most ${CAP} WebSocket connections at once per address (${CAP} open from 127.0.0.1): close one before opening another`;
    expect(await attempt(`${url}/ws`)).toEqual({ status: 429, body: { code: 'TOO_MANY_CONNECTIONS', message } });
    expect(await attempt(`${url}/binance/stream?streams=btcusdt@trade`)).toEqual({ status: 429, body: { code: -1034, msg: `Too many concurrent connections: ${message}` } });
    expect(await attempt(`${url}/mexc/ws`)).toEqual({ status: 429, body: { code: 429, msg: `Too Many Requests: ${message}` } });
    // The contract edge answers its refusals in the contract envelope, as its own 426 and MEXC's rate limit (510).
    expect(await attempt(`${url}/mexc/contract/edge`)).toEqual({ status: 429, body: { success: false, code: 510, message: `Excessive frequency of requests: ${message}` } });
    // Refusals take no slot, and the held connections are still served.
    held[0]!.send(JSON.stringify({ op: 'subscribe', channels: ['market:BTCUSDT'] }));
    const answer = await new Promise<unknown>((resolve) => held[0]!.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()))));
    expect(answer).toEqual({ op: 'subscribe', ok: true, channels: ['market:BTCUSDT'] });

    // Another address (127.0.0.2 is loopback too) has its own count.
    const other = await opened(`${url}/ws`, '127.0.0.2');
    other.close();

    // A connection closing frees its slot: one more may open, and then again no more.
    held[1]!.close();
    await new Promise((resolve) => held[1]!.once('close', resolve));
    let again: WebSocket | undefined;
    await until(async () => {
      const result = await attempt(`${url}/binance/ws`);
      if ('ws' in result) again = result.ws;
      return again !== undefined;
    }, 'a slot freed by the close');
    expect(await attempt(`${url}/ws`)).toMatchObject({ status: 429 });
    for (const ws of [held[0]!, held[2]!, again!]) ws.close();
  });
});
