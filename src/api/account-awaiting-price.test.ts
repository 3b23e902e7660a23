import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPOT_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/**
 * `GET /api/account` of an account made before the engine has any BTCUSDT price states no equity
 * while the kernel waits for that price (core/kernel/account-health.ts, ADR 0028): it said 100000,
 * its BTC counted as zero. Once the first price comes, the equity counts the BTC at it.
 */
describe('/api/account of an account whose holdings have no price yet', () => {
  let service: TestService;
  beforeAll(async () => {
    // Nothing of the recording fed yet: no book, no print.
    service = await startTestService({ recording: SPOT_RECORDING, until: 0 });
  }, 60_000);
  afterAll(async () => service.close());

  it('says it awaits the BTC price, then states 100000 + 2 × the first print', async () => {
    const inject = service.app.inject.bind(service.app);
    const made = await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'early', balances: { USDT: '100000', BTC: '2' } } });
    expect(made.statusCode, made.body).toBe(201);
    const key = made.json<{ apiKey: string }>().apiKey;
    const account = async () => (await inject({ url: '/api/account', headers: bearer(key) })).json<Record<string, unknown>>();

    // The recording's first two inputs are book deltas before any snapshot: they price nothing.
    await service.feedUntil(1723161255308);
    const before = await account();
    expect(before['equity']).toBeNull();
    expect(before['awaitingPrice']).toEqual(['BTC']);
    expect(before['balances']).toMatchObject({ USDT: { free: '100000' }, BTC: { free: '2' } });

    // Its first print, at 1723161255342: 61837.63. 100000 + 2 × 61837.63 = 223675.26.
    await service.feedUntil(1723161255342);
    const after = await account();
    expect(after['equity']).toBe('223675.26');
    expect(after).not.toHaveProperty('awaitingPrice');
  }, 60_000);
});
