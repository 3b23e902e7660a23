import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { connect, until, type Frame } from '../../test-kit/ws-client.js';
import { registerMexcApi } from '../mexc/mexc-api.js';
import { registerMexcContractApi } from '../mexc-contract/mexc-contract-api.js';
import { buildServer } from '../server.js';

const START = 1723161300000;
const sign = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');

describe('the MEXC contract WebSocket under hostile frames', () => {
  let service: TestService;
  let app: FastifyInstance;
  let url: string;
  let alice: { apiKey: string; apiSecret: string };
  const sockets: WebSocket[] = [];
  const open = async () => {
    const c = await connect(url);
    sockets.push(c.ws);
    return c;
  };
  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: START - 1 });
    app = await buildServer(service.deps, { plugins: [registerMexcContractApi, registerMexcApi] });
    await service.feedUntil(START + 150_000);
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    url = `${base.replace(/^http/, 'ws')}/mexc/contract/edge`;
    const payload = { name: 'alice', type: 'futures', marginMode: 'cross', leverage: 10, balances: { USDT: '1000000' } };
    alice = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload })).json();
  });
  afterAll(async () => {
    for (const ws of sockets) ws.close();
    await app?.close();
    await service?.close();
  });

  it('answers garbage, binary, odd symbols and junk logins each on rs.error, and stays open', async () => {
    const c = await open();
    const msgs: unknown[] = [
      Buffer.from([0xff, 0x00, 0x01]),
      '',
      'null',
      '[]',
      '{"method":null}',
      '{"method":"sub.depth","param":{"symbol":"btc_usdt"}}',
      '{"method":"sub.depth","param":{"symbol":"BTC_USDT "}}',
      '{"method":"sub.depth","param":{"symbol":"BTC_USDT\\u0000"}}',
      '{"method":"sub.depth","param":{"symbol":"ＢＴＣ_USDT"}}',
      '{"method":"sub.depth","param":{"symbol":["BTC_USDT"]}}',
      '{"method":"sub.depth","param":"BTC_USDT"}',
      '{"method":"sub.depth.full","param":{"symbol":"BTC_USDT","limit":"5"}}',
      '{"method":"sub.depth.full","param":{"symbol":"BTC_USDT","limit":[5]}}',
      '{"method":"sub.depth.full","param":{"symbol":"BTC_USDT","limit":true}}',
      '{"method":"sub.__proto__","param":{"symbol":"BTC_USDT"}}',
      '{"method":"sub.ticker","param":{"symbol":"toString"}}',
      '{"method":"login","param":{"apiKey":123,"reqTime":{},"signature":[]}}',
      JSON.stringify({ method: 'login', param: { apiKey: alice.apiKey, reqTime: 1e300, signature: 'a' } }),
      JSON.stringify({ method: 'login', param: { apiKey: alice.apiKey, reqTime: String(Date.now() - 60_000), signature: sign(alice.apiSecret, alice.apiKey + String(Date.now() - 60_000)) } }),
      '{"method":"personal.filter","param":{"filters":[{"filter":"order","rules":[1,2]}]}}',
      '{"method":"ping","param":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
    ];
    for (const m of msgs) c.ws.send(m as string);
    await until(() => c.frames.length >= msgs.length, 'an answer to each hostile frame');
    expect(c.frames.length).toBe(msgs.length);
    const channels = c.frames.map((f: Frame) => f.channel);
    // Only depth.full with limit "5" and [5] (read as numbers) succeeds, and the final ping is answered; all else is rs.error.
    expect(channels.filter((ch) => ch !== 'rs.error')).toEqual(['rs.sub.depth.full', 'rs.sub.depth.full', 'pong']);
  });

  it('login then filter junk; many sub/unsub; ping flood', async () => {
    const c = await open();
    const t = String(Date.now());
    c.ws.send(JSON.stringify({ method: 'login', param: { apiKey: alice.apiKey, reqTime: t, signature: sign(alice.apiSecret, alice.apiKey + t) } }));
    c.ws.send(JSON.stringify({ method: 'login', param: { apiKey: alice.apiKey, reqTime: t, signature: sign(alice.apiSecret, alice.apiKey + t) } }));
    // A login is answered once the account's recorded closes are read: the filters wait for both answers.
    await until(() => c.frames.filter((f: Frame) => f.channel === 'rs.login').length === 2, 'both login answers');
    c.ws.send('{"method":"personal.filter","param":{"filters":"junk"}}');
    c.ws.send('{"method":"personal.filter","param":{"filters":[null]}}');
    c.ws.send('{"method":"personal.filter","param":{"filters":[{"filter":"order","rules":"BTC_USDT"}]}}');
    for (let i = 0; i < 3000; i += 1) {
      c.ws.send('{"method":"sub.depth","param":{"symbol":"BTC_USDT"}}');
      c.ws.send('{"method":"unsub.depth","param":{"symbol":"BTC_USDT"}}');
      c.ws.send('{"method":"ping"}');
    }
    await until(() => c.frames.length >= 9005, 'an answer to each of 9005 frames', 50_000);
    expect(c.frames.length).toBe(9005);
    // A filters value that is not a list, a null filter and rules that are not a list of symbols are each refused.
    expect(c.frames.slice(0, 5).map((f: Frame) => f.channel)).toEqual(['rs.login', 'rs.login', 'rs.error', 'rs.error', 'rs.error']);
    expect(c.frames.filter((f: Frame) => f.channel === 'pong').length).toBe(3000);
  }, 30000);
});
