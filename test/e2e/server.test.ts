import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServeProcess, stopServeProcess, type ServeProcess } from '../../src/test-kit/serve-process.js';
import { scratchDir } from '../../src/test-kit/scratch-dir.js';

const ADMIN = 'e2e-admin-key-0123456789';

const startServer = (port: number, databaseUrl: string) =>
  startServeProcess(port, { DATABASE_URL: databaseUrl, ADMIN_API_KEY: ADMIN, REPLAY_SPEED: '30', LOG_LEVEL: 'warn', PAPER_TRADING_INITIAL_BALANCE_USDT: '25000' });
const stop = stopServeProcess;

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> });

describe('the real server process', () => {
  const servers: ServeProcess[] = [];
  afterAll(async () => {
    for (const s of servers) await stop(s);
  });

  it('creates an account, trades over HTTP and the WebSocket, restarts, and finds everything still there', async () => {
    const databaseUrl = `sqlite:${join(scratchDir('papertrade-e2e-'), 'db.sqlite')}`;
    const first = await startServer(0, databaseUrl);
    const port = first.port;
    servers.push(first);
    expect(first.output()).toMatch(/Created the default paper account .* with 25000 USDT/);
    expect(first.output()).toMatch(/PAPER TRADING on http:\/\/127\.0\.0\.1:\d+/);

    const created = await json(await fetch(`${first.url}/api/accounts`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'e2e', balances: { USDT: '50000' } }) }));
    expect(created.status).toBe(201);
    const key = created.body.apiKey as string;
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    const messages: Record<string, unknown>[] = [];
    ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ op: 'auth', apiKey: key }));
    ws.send(JSON.stringify({ op: 'subscribe', channels: ['account', 'market:BTCUSDT'] }));
    const waitFor = async (predicate: (m: Record<string, unknown>) => boolean) => {
      for (let i = 0; i < 200; i += 1) {
        if (messages.some(predicate)) return messages.find(predicate)!;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`no such message among ${messages.length}: ${JSON.stringify(messages.slice(-3))}`);
    };
    await waitFor((m) => m.op === 'subscribe' && m.ok === true);
    await waitFor((m) => m.channel === 'market:BTCUSDT' && m.type === 'bookTicker');

    const resting = await json(await fetch(`${first.url}/api/orders`, { method: 'POST', headers: auth, body: JSON.stringify({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.05', price: '50000.00', clientOrderId: 'keep-me' }) }));
    expect(resting).toMatchObject({ status: 201, body: { status: 'NEW' } });
    const market = await json(await fetch(`${first.url}/api/orders`, { method: 'POST', headers: auth, body: JSON.stringify({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1' }) }));
    expect(market).toMatchObject({ status: 201, body: { status: 'FILLED', executedQty: '0.1' } });
    const fill = await waitFor((m) => m.channel === 'account' && (m.event as { type?: string } | undefined)?.type === 'FILL');
    expect(fill.event).toMatchObject({ side: 'BUY', liquidity: 'TAKER', feeAsset: 'BTC' });
    await waitFor((m) => m.channel === 'account' && m.balances !== undefined);
    ws.close();

    const balancesBefore = (await json(await fetch(`${first.url}/api/account/balances`, { headers: auth }))).body;
    expect(balancesBefore).toMatchObject({ balances: { USDT: { locked: '2500' } } });
    await stop(first);

    const second = await startServer(port, databaseUrl);
    servers.push(second);
    expect(second.output()).not.toMatch(/Created the default paper account/);
    expect((await json(await fetch(`${second.url}/api/account/balances`, { headers: auth }))).body).toEqual(balancesBefore);
    const open = (await json(await fetch(`${second.url}/api/orders/open`, { headers: auth }))).body.items as Array<Record<string, unknown>>;
    expect(open).toEqual([expect.objectContaining({ clientOrderId: 'keep-me', status: 'NEW', price: '50000' })]);
    const history = (await json(await fetch(`${second.url}/api/orders`, { headers: auth }))).body.items as Array<Record<string, unknown>>;
    expect(history.map((o) => o.status).sort()).toEqual(['FILLED', 'NEW']);
    const cancelled = await json(await fetch(`${second.url}/api/orders/${String(open[0]!.orderId)}`, { method: 'DELETE', headers: auth }));
    expect(cancelled.body).toMatchObject({ status: 'CANCELED' });
    await stop(second);
  }, 90_000);
});
