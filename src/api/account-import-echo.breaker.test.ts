/**
 * POST /api/accounts/import refuses an edited document naming what is wrong with a value of the
 * document bounded, as refusals cut a request's value (core/bounded-text.ts): a run of more than 100
 * non-space characters becomes its first 40 and its length. A placement keyed by a 100,000-character
 * order id (no order has it) came back twice over, 200,086 characters; the oracle is that rule by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const X = 'A'.repeat(100_000);
const cut = (run: string) => `${run.slice(0, 40)}…(${run.length} characters)`;

describe('an account document with a placement of a 100,000-character order id', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
  });
  afterAll(async () => service?.close());

  it('is refused naming the id bounded, and nothing is imported', async () => {
    const account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'a', balances: { USDT: '1000' } } })).json() as { apiKey: string };
    const document = (await service.app.inject({ url: '/api/account/export', headers: { authorization: `Bearer ${account.apiKey}` } })).json() as Record<string, unknown>;
    const count = async () => ((await service.app.inject({ url: '/api/accounts', headers: admin })).json() as { total: number }).total;
    const before = await count();
    const r = await service.app.inject({ method: 'POST', url: '/api/accounts/import', headers: admin, payload: { document: { ...document, placements: { [X]: 'resting' } } } });
    expect(r.statusCode).toBe(400);
    expect(r.body.length).toBeLessThan(400);
    expect(r.json()).toEqual({ code: 'INVALID_REQUEST', message: `${cut(`document.placements.${X}:`)} no order ${cut(X)} in the document` });
    expect(await count()).toBe(before);
  });
});
