import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFixed, mul, parseFixed } from '../core/money/fixed.js';
import { SPOT_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/**
 * An account made before the engine has any BTCUSDT price measures from its USDT and its BTC at the
 * first price, not from its USDT alone (which made a flat account report +123 %).
 */
describe('/api/account/metrics of an account made before any price', () => {
  let service: TestService;
  beforeAll(async () => {
    // Nothing of the recording fed yet: no book, no print.
    service = await startTestService({ recording: SPOT_RECORDING, until: 0 });
  }, 60_000);
  afterAll(async () => service.close());

  it('100000 USDT and 2 BTC measure from 100000 + 2 × the first price the recording states', async () => {
    const inject = service.app.inject.bind(service.app);
    expect(service.engine.kernel.depth('BTCUSDT', 1)?.bids ?? []).toEqual([]);
    const made = await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'early', balances: { USDT: '100000', BTC: '2' } } });
    expect(made.statusCode, made.body).toBe(201);
    const account = made.json<{ apiKey: string }>();
    await service.feedUntil(1723161400000);
    await service.engine.readModelCaughtUp();

    // The first input of the recording that states a price: a print (its price) or the depth
    // snapshot (the mid of its best bid and ask, down to the 0.01 tick); deltas before the snapshot state none.
    const first = service.recording.inputs.find((i) => i.kind === 'trade' || i.kind === 'book.snapshot')!;
    const tick = parseFixed('0.01');
    const price =
      first.kind === 'trade'
        ? parseFixed(first.price)
        : ((parseFixed(first.bids[0]![0]) + parseFixed(first.asks[0]![0])) / 2n / tick) * tick;
    const baseline = parseFixed('100000') + mul(parseFixed('2'), price);

    const curve = (await inject({ url: '/api/account/equity', headers: bearer(account.apiKey) })).json<{ items: Array<{ at: number; equity: string }> }>().items;
    expect(curve[0]).toMatchObject({ at: first.time, equity: formatFixed(baseline) });
    const metrics = (await inject({ url: '/api/account/metrics', headers: bearer(account.apiKey) })).json<{ metrics: Record<string, string> }>().metrics;
    expect(metrics['initialEquity']).toBe(formatFixed(baseline));
    // Nothing traded: the return is the BTC's move since the first price, (final − baseline) / baseline.
    const final = parseFixed(metrics['finalEquity']!);
    expect(final).toBe(parseFixed(curve.at(-1)!.equity));
    expect(parseFixed(metrics['totalPnl']!)).toBe(final - baseline);
    const error = parseFixed(metrics['return']!) * baseline - (final - baseline) * 10n ** 18n;
    expect(error < 0n ? -error : error).toBeLessThanOrEqual(baseline / 2n);
  }, 60_000);
});
