/**
 * A WebSocket refusal echoes what the frame carried bounded, as the kernel's refusals echo a request's
 * value (core/bounded-text.ts): a run of more than 100 non-space characters becomes its first 40 and
 * its length. Each frame below carries a value of 15,000 characters, under the default frame limit
 * (WS_MAX_FRAME_BYTES 16,384), on the native stream, Binance's market streams and WebSocket API, and
 * MEXC's Spot stream; the oracle is that rule applied by hand.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../test-kit/service-kit.js';
import { registerBinanceApi } from './binance/binance-api.js';
import { registerMexcApi } from './mexc/mexc-api.js';
import { buildServer } from './server.js';

const X = 'A'.repeat(15_000);
/** The rule by hand: the first 40 characters of a run, then its length. */
const cut = (run: string) => `${run.slice(0, 40)}…(${run.length} characters)`;

describe('WebSocket refusals echo a 15,000-character value bounded', () => {
  let service: TestService;
  let app: FastifyInstance;

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer(service.deps, { plugins: [registerMexcApi, registerBinanceApi] });
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  /** The first frame `path` answers `message` with. */
  const answer = async (path: string, message: unknown): Promise<string> => {
    const ws = await app.injectWS(path);
    const first = new Promise<string>((resolve) => ws.once('message', (data: Buffer) => resolve(data.toString())));
    ws.send(JSON.stringify(message));
    const frame = await first;
    ws.terminate();
    return frame;
  };

  const cases: Array<[string, unknown, string]> = [
    ['/ws', { op: 'subscribe', channels: [X] }, `unknown channel ${cut(`"${X}"`)} (account, market:SYMBOL, depth:SYMBOL)`],
    ['/ws', { op: X }, `unknown op ${cut(`"${X}"`)}`],
    ['/binance/ws', { method: 'SUBSCRIBE', params: [X], id: 1 }, `Invalid request: invalid stream name ${cut(`"${X}"`)}`],
    ['/binance/ws', { method: X, id: 1 }, `Invalid request: unknown variant ${cut(`\`${X}\`,`)} expected one of`],
    ['/binance/ws-api/v3', { id: '1', method: X }, `This operation is not supported. Method ${cut(`"${X}"`)} is not served here.`],
    ['/mexc/ws', { method: X }, `Invalid method ${cut(`"${X}":`)} SUBSCRIPTION, UNSUBSCRIPTION or PING`],
    ['/mexc/ws', { method: 'SUBSCRIPTION', params: [X] }, `Not Subscribed successfully! ${cut(`[${X}].`)}`],
    ['/mexc/ws', { method: 'UNSUBSCRIPTION', params: [X] }, cut(X)],
  ];
  for (const [path, message, words] of cases) {
    it(`${path} ${JSON.stringify(message).slice(0, 40)}…`, async () => {
      const frame = await answer(path, message);
      expect(frame.length).toBeLessThan(400);
      // The words as the frame's JSON writes them.
      expect(frame).toContain(JSON.stringify(words).slice(1, -1));
    });
  }

  it('answers a stream path of 15,000 characters asked without an upgrade (426) bounded', async () => {
    const r = await app.inject({ url: `/binance/ws/${X}` });
    expect(r.statusCode).toBe(426);
    expect(r.body.length).toBeLessThan(400);
    expect((r.json() as { msg: string }).msg).toBe(`This operation is not supported. ${cut(`/binance/ws/${X}`)} is a WebSocket: connect with Upgrade: websocket`);
  });
});
