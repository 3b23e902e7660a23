/** Secrets never reach a log line: URLs, headers and bodies, through the server's real logger. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { redactUrl } from './log-redaction.js';
import { registerMexcApi } from './mexc/mexc-api.js';
import { mexcSignature } from './mexc/mexc-signature.js';
import { buildServer } from './server.js';

describe('redactUrl', () => {
  it('replaces the values of secret query parameters and keeps the rest as sent', () => {
    expect(redactUrl('/?key=pt_abc')).toBe('/?key=[redacted]');
    expect(redactUrl('/api/v3/order?symbol=BTCUSDT&timestamp=1&signature=deadbeef')).toBe('/api/v3/order?symbol=BTCUSDT&timestamp=1&signature=[redacted]');
    expect(redactUrl('/x?apiKey=a&API_KEY=b&Token=c&secret=d&keep=e')).toBe('/x?apiKey=[redacted]&API_KEY=[redacted]&Token=[redacted]&secret=[redacted]&keep=e');
    expect(redactUrl('/x?%6Bey=pt_abc')).toBe('/x?%6Bey=[redacted]');
    expect(redactUrl('/x?%E0%A4=pt_abc&key')).toBe('/x?[redacted]&key');
    expect(redactUrl('/api/orders/1')).toBe('/api/orders/1');
  });

  it('replaces the keys and secrets the service generates wherever they appear in the URL', () => {
    const key = 'pt_Hh6vtCvOb9XdW8V6cS8i54C8';
    const admin = 'ptadmin_0123456789abcdefghijABCDEFGHIJ-_xy';
    const secret = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);
    expect(redactUrl(`/api/nothing/${key}`)).toBe('/api/nothing/[redacted]');
    expect(redactUrl(`/api/accounts/${admin}/reset?x=1`)).toBe('/api/accounts/[redacted]/reset?x=1');
    expect(redactUrl(`/x?note=${secret}&k2=${key}`)).toBe('/x?note=[redacted]&k2=[redacted]');
    // Ids, symbols and hex shorter than a secret are left as sent.
    expect(redactUrl('/api/orders/pt_abc?symbol=BTCUSDT&orderId=123456789012')).toBe('/api/orders/pt_abc?symbol=BTCUSDT&orderId=123456789012');
    expect(redactUrl(`/api/accounts/acc_d5ec7669ad434aa1?h=${'f'.repeat(63)}`)).toBe(`/api/accounts/acc_d5ec7669ad434aa1?h=${'f'.repeat(63)}`);
  });
});

describe('the server log', () => {
  let service: TestService;
  let app: FastifyInstance;
  const lines: string[] = [];

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer(service.deps, { plugins: [registerMexcApi], logger: { level: 'trace', stream: { write: (line: string) => lines.push(line) } } });
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('logs requests with their URLs, and no key, secret or signature anywhere', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'logged', balances: { USDT: '1000' } } });
    const { apiKey, apiSecret } = created.json() as { apiKey: string; apiSecret: string };
    const query = `symbol=BTCUSDT&timestamp=${Date.now()}`;
    const signature = mexcSignature(apiSecret, query);
    await app.inject({ url: `/api/v3/account?${query}&signature=${signature}`, headers: { 'x-mexc-apikey': apiKey } });
    await app.inject({ url: `/?key=${apiKey}` });
    await app.inject({ url: `/api/account/balances?apiKey=${apiKey}`, headers: { authorization: `Bearer ${apiKey}` } });
    await app.inject({ url: '/api/accounts', headers: { authorization: 'Bearer wrong-admin-key-guess' } });
    await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${apiKey}` }, payload: '{"broken' });
    const text = lines.join('');
    expect(text).toContain('/api/v3/account?symbol=BTCUSDT');
    expect(text).toContain('signature=[redacted]');
    expect(text).toContain('key=[redacted]');
    for (const secret of [ADMIN_KEY, apiKey, apiSecret, signature, 'wrong-admin-key-guess']) expect(text).not.toContain(secret);
  });
});
