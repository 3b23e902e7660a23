/** Exchange credentials over the admin API, and the live admin routes on a paper service. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialCipher } from '../persistence/credential-cipher.js';
import { ExchangeKeyStore } from '../persistence/exchange-key-store.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { buildServer } from './server.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const KEYS = { apiKey: 'venue-key-s3cret', secret: 'venue-secret-s3cret' };

describe('exchange credentials over the admin API', () => {
  let service: TestService;
  let withoutKey: FastifyInstance;
  let withKey: FastifyInstance;

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    withoutKey = await buildServer(service.deps);
    withKey = await buildServer({ ...service.deps, exchangeKeys: new ExchangeKeyStore(service.engine.db, new CredentialCipher('11'.repeat(32))) });
  });
  afterAll(async () => {
    await withoutKey?.close();
    await withKey?.close();
    await service?.close();
  });

  it('without CREDENTIALS_KEY an account with credentials is refused whole, naming the setting', async () => {
    const before = service.deps.credentials.list().length;
    const res = await withoutKey.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'x', balances: { USDT: '1' }, exchangeCredentials: KEYS } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'CREDENTIALS_KEY_MISSING', message: expect.stringContaining('CREDENTIALS_KEY') });
    expect(res.body).not.toContain('s3cret');
    expect(service.deps.credentials.list().length).toBe(before);
  });

  it('with it, credentials are accepted at creation or later and only their presence is ever answered', async () => {
    const created = await withKey.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'y', balances: { USDT: '1' }, exchangeCredentials: KEYS } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ exchangeCredentials: { set: true } });
    expect(created.body).not.toContain('s3cret');
    const id = created.json().id as string;
    const other = (await withKey.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'z', balances: { USDT: '1' } } })).json().id as string;
    expect((await withKey.inject({ url: `/api/accounts/${other}/exchange-credentials`, headers: admin })).json()).toEqual({ id: other, exchangeCredentials: { set: false, updatedAt: null } });
    const put = await withKey.inject({ method: 'PUT', url: `/api/accounts/${other}/exchange-credentials`, headers: admin, payload: KEYS });
    expect(put.json()).toEqual({ id: other, exchangeCredentials: { set: true, updatedAt: expect.any(Number) } });
    expect((await withKey.inject({ method: 'PUT', url: `/api/accounts/${other}/exchange-credentials`, headers: admin, payload: { apiKey: 'k' } })).statusCode).toBe(400);
    expect((await withKey.inject({ method: 'PUT', url: '/api/accounts/acc_none/exchange-credentials', headers: admin, payload: KEYS })).statusCode).toBe(404);
    const audit = JSON.stringify(await service.engine.db.selectFrom('audit_log').selectAll().execute());
    expect(audit).not.toContain('s3cret');
    expect((await withKey.inject({ method: 'DELETE', url: `/api/accounts/${id}`, headers: admin })).statusCode).toBe(204);
    expect(await service.engine.db.selectFrom('account_exchange_keys').select('accountId').where('accountId', '=', id).execute()).toEqual([]);
  });

  it('a key or secret that no exchange issues (control characters, non-ASCII, a lone surrogate, spaces) is refused, naming the field, and nothing is stored', async () => {
    const id = (await withKey.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'w', balances: { USDT: '1' } } })).json().id as string;
    const bad = [
      { apiKey: 'venue-key', secret: 's3cret\n' },
      { apiKey: 'venue-key', secret: 's3cret\u0000x' },
      { apiKey: 'vénue-key', secret: 's3cret' },
      { apiKey: 'venue-key', secret: 's3cret\ud800' },
      { apiKey: 'venue key', secret: 's3cret' },
      { apiKey: 'venue-key', secret: 's3cret💥' },
    ];
    for (const payload of bad) {
      const res = await withKey.inject({ method: 'PUT', url: `/api/accounts/${id}/exchange-credentials`, headers: { ...admin, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json()).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/^body\/(apiKey|secret) must be .*printable ASCII characters without spaces/) });
      expect(res.body).not.toContain('s3cret');
      const created = await withKey.inject({ method: 'POST', url: '/api/accounts', headers: { ...admin, 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'v', balances: { USDT: '1' }, exchangeCredentials: payload }) });
      expect(created.statusCode).toBe(400);
    }
    expect((await withKey.inject({ url: `/api/accounts/${id}/exchange-credentials`, headers: admin })).json()).toEqual({ id, exchangeCredentials: { set: false, updatedAt: null } });
    // Every printable ASCII character is a key character.
    const printable = Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    expect((await withKey.inject({ method: 'PUT', url: `/api/accounts/${id}/exchange-credentials`, headers: admin, payload: { apiKey: printable, secret: printable } })).statusCode).toBe(200);
  });

  it('on paper there is no venue record to reconcile', async () => {
    expect((await withKey.inject({ url: '/api/admin/live/reconciliation', headers: admin })).json()).toMatchObject({ code: 'NOT_LIVE' });
    expect((await withKey.inject({ method: 'POST', url: '/api/admin/live/reconcile', headers: admin })).statusCode).toBe(409);
  });
});
