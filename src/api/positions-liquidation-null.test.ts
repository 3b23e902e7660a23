/**
 * `GET /api/account/positions`, and the WebSocket account channel's position events, name
 * `liquidationPrice` on every position: a decimal where the
 * position can be liquidated, `null` where it cannot (a 1× long holds its whole notional as margin),
 * as the live reads and the read tables give it, never a position without the field. On the bundled
 * USD-M tape at 23:55:00 UTC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { until } from '../test-kit/wait.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('GET /api/account/positions: liquidationPrice', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000 });
  }, 60_000);
  afterAll(async () => service.close());

  const positionAt = async (leverage: number) => {
    const inject = service.app.inject.bind(service.app);
    const account = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: `lev-${leverage}`, type: 'futures', leverage, balances: { USDT: '10000' } } })).json<{ apiKey: string }>();
    const open = await inject({ method: 'POST', url: '/api/orders', headers: bearer(account.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.005' } });
    expect(open.json()).toMatchObject({ status: 'FILLED', executedQty: '0.005' });
    const items = (await inject({ url: '/api/account/positions', headers: bearer(account.apiKey) })).json<{ items: Record<string, unknown>[] }>().items;
    expect(items).toHaveLength(1);
    return items[0]!;
  };

  it('is null, and present, on a 1× long', async () => {
    const position = await positionAt(1);
    expect(position).toHaveProperty('liquidationPrice', null);
  });

  it('the account channel pushes the same: POSITION_OPENED names liquidationPrice, null on a 1× long, the positions read’s price on a 20× long', async () => {
    for (const leverage of [1, 20]) {
      const inject = service.app.inject.bind(service.app);
      const account = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: `push-${leverage}`, type: 'futures', leverage, balances: { USDT: '10000' } } })).json<{ apiKey: string }>();
      const ws = await service.app.injectWS('/ws');
      const frames: Record<string, unknown>[] = [];
      ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
      const frame = async (match: (f: Record<string, unknown>) => boolean) => {
        await until(() => frames.some(match), 'a matching frame');
        return frames.find(match)!;
      };
      ws.send(JSON.stringify({ op: 'auth', apiKey: account.apiKey }));
      await frame((f) => f.op === 'auth');
      ws.send(JSON.stringify({ op: 'subscribe', channels: ['account'] }));
      await frame((f) => f.op === 'subscribe');
      const open = await inject({ method: 'POST', url: '/api/orders', headers: bearer(account.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.005' } });
      expect(open.json()).toMatchObject({ status: 'FILLED' });
      const pushed = (await frame((f) => (f.event as { type?: string } | undefined)?.type === 'POSITION_OPENED')).event as Record<string, unknown>;
      const read = (await inject({ url: '/api/account/positions', headers: bearer(account.apiKey) })).json<{ items: Record<string, unknown>[] }>().items[0]!;
      expect(pushed).toHaveProperty('liquidationPrice', read.liquidationPrice);
      if (leverage === 1) expect(pushed.liquidationPrice).toBeNull();
      else expect(typeof pushed.liquidationPrice).toBe('string');
      ws.terminate();
    }
  });

  it('is a price under the entry on a 20× long', async () => {
    const position = await positionAt(20);
    const liquidation = position.liquidationPrice;
    expect(typeof liquidation).toBe('string');
    // A 20× long loses its margin 5 % under the entry: it is liquidated before that, within 5 % of it.
    const entry = Number(position.entryPrice);
    expect(Number(liquidation)).toBeLessThan(entry);
    expect(Number(liquidation)).toBeGreaterThan(entry * 0.95);
  });
});
