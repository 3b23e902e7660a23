/**
 * A binary WebSocket frame's bytes are not checked by the WebSocket library (a text frame that is not
 * UTF-8 closes the connection with 1007 there). Each stream answers a binary frame whose bytes are
 * not UTF-8 as it answers a frame that is not JSON (RFC 8259 §8.1), in its own words, instead of
 * reading U+FFFD into a channel name; a binary frame of valid UTF-8 is still read as its text.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { startTestService, type TestService } from '../test-kit/service-kit.js';
import { registerBinanceApi } from './binance/binance-api.js';
import { registerMexcContractApi } from './mexc-contract/mexc-contract-api.js';
import { MEXC_CONTRACT_WS_PATH } from './mexc-contract-streams/mexc-contract-streams.js';
import { registerMexcApi } from './mexc/mexc-api.js';
import { buildServer } from './server.js';

/** `text` with the byte 0xFF in place of its one "#". */
const withFF = (text: string) => {
  const [before, after] = text.split('#') as [string, string];
  return Buffer.concat([Buffer.from(before), Buffer.from([0xff]), Buffer.from(after)]);
};

/** The first frame `path` answers `frame` (sent binary) with, parsed. */
async function answer(app: FastifyInstance, path: string, frame: Buffer): Promise<Record<string, unknown>> {
  const ws = await app.injectWS(path);
  const first = new Promise<string>((resolve) => ws.once('message', (data: Buffer) => resolve(data.toString())));
  ws.send(frame, { binary: true });
  const text = await first;
  ws.terminate();
  expect(text).not.toContain('\ufffd');
  return JSON.parse(text) as Record<string, unknown>;
}

describe('binary frames on the spot streams', () => {
  let service: TestService;
  let app: FastifyInstance;
  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer(service.deps, { plugins: [registerMexcApi, registerBinanceApi] });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('/ws: not UTF-8 is BAD_MESSAGE; UTF-8 is read', async () => {
    expect(await answer(app, '/ws', withFF('{"op":"subscribe","channels":["market:BTC#USDT"]}'))).toMatchObject({ op: 'error', code: 'BAD_MESSAGE' });
    expect(await answer(app, '/ws', Buffer.from('{"op":"subscribe","channels":["market:BTCUSDT"]}'))).toMatchObject({ op: 'subscribe', ok: true });
  });

  it('/binance/ws: not UTF-8 is error 3, "Invalid JSON"; UTF-8 is read', async () => {
    expect(await answer(app, '/binance/ws', withFF('{"method":"SUBSCRIBE","params":["btcusdt@trade#"],"id":1}'))).toEqual({ error: { code: 3, msg: 'Invalid JSON: expected value' }, id: null });
    expect(await answer(app, '/binance/ws', Buffer.from('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}'))).toEqual({ result: null, id: 1 });
  });

  it('/binance/ws-api/v3: not UTF-8 is -1100, "not valid JSON"', async () => {
    expect(await answer(app, '/binance/ws-api/v3', withFF('{"id":"1","method":"ping#"}'))).toMatchObject({ status: 400, error: { code: -1100, msg: 'Illegal characters found in a parameter: the request is not valid JSON.' } });
  });

  it('/mexc/ws: not UTF-8 is "Invalid message"', async () => {
    expect(await answer(app, '/mexc/ws', withFF('{"method":"SUBSCRIPTION","params":["spot@public.deals.v3.api@BTC#USDT"]}'))).toEqual({ id: 0, code: 0, msg: 'Invalid message: send a JSON object with a "method"' });
  });
});

describe('binary frames on the MEXC contract stream', () => {
  let service: TestService;
  let app: FastifyInstance;
  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000 });
    app = await buildServer(service.deps, { plugins: [registerMexcContractApi] });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('not UTF-8 is rs.error "invalid message"', async () => {
    expect(await answer(app, MEXC_CONTRACT_WS_PATH, withFF('{"method":"sub.deal","param":{"symbol":"BTC#_USDT"}}'))).toMatchObject({ channel: 'rs.error', data: 'invalid message: send a JSON object with a "method"' });
  });
});
