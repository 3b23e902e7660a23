import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../test-kit/data-paths.js';
import { sourceScript } from '../test-kit/source-script.js';
import { scratchDir } from '../test-kit/scratch-dir.js';

/** The CLI as a child process runs it (test-kit/source-script.ts). */
const CLI = await sourceScript('src/cli/main.ts');

const RECORDING = 'data/recordings/binance_spot_btcusdt_20240808T2354Z';
const STOP_BUY = '{"at":1723161300000,"account":"a","symbol":"BTCUSDT","side":"BUY","type":"STOP_LOSS","quantity":"0.01","stopPrice":"61850.00"}';

type Event = { type: string } & Record<string, unknown>;

function replay(line: string, ...args: string[]): { status: number | null; stderr: string; events: Event[] } {
  const dir = scratchDir('papertrade-orders-');
  const orders = join(dir, 'orders.jsonl');
  writeFileSync(orders, `${line}\n`);
  const result = spawnSync(process.execPath, [CLI, 'replay', '--recording', RECORDING, '--orders', orders, ...args], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  const events = result.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event).filter((e) => e.type !== 'EQUITY' && e.type !== 'METRICS');
  return { status: result.status, stderr: result.stderr, events };
}

describe('papertrade replay with a stop-market buy (no limit price)', () => {
  it('reserves 0.01 × 61,850 = 618.5 USDT, triggers on the first trade at 61,850 and fills there, where the sweep left the asks', () => {
    const { status, stderr, events } = replay(STOP_BUY, '--balances', 'USDT=618.5');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(events.map((e) => e.type)).toEqual(['ACCOUNT_OPENED', 'ORDER_NEW', 'ORDER_TRIGGERED', 'FILL', 'BALANCES']);
    // The buys that printed up to 61,850 consumed every ask below it (docs/adr/0026): the stop meets
    // the book after its trigger, at 61,850.00, not the 61,843.25 the last depth update still showed.
    expect(events[3]).toMatchObject({ price: '61850', quantity: '0.01', quoteQuantity: '618.5', fee: '0.00001', feeAsset: 'BTC' });
    // 618.5 − 618.5; 0.01 BTC less the 0.1 % fee in BTC
    expect(events[4]).toMatchObject({ balances: { BTC: { free: '0.00999', locked: '0' }, USDT: { free: '0', locked: '0' } } });
  });

  it('under MEXC rules reserves 618.5 + ceil_cents(618.5 × 0.05 %) + 0.01 kept back = 618.82 USDT: 618.81 is refused, 618.82 fills whole and pays 0.31', () => {
    const short = replay(STOP_BUY, '--balances', 'USDT=618.81', '--exchange', 'mexc');
    expect(short.status).toBe(0);
    expect(short.events[1]).toMatchObject({ type: 'ORDER_REJECTED', code: 'INSUFFICIENT_BALANCE', message: 'Insufficient balance (618.82 USDT needed, 618.81 free)' });
    const enough = replay(STOP_BUY, '--balances', 'USDT=618.82', '--exchange', 'mexc');
    expect(enough.events.map((e) => e.type)).toEqual(['ACCOUNT_OPENED', 'ORDER_NEW', 'ORDER_TRIGGERED', 'FILL', 'BALANCES']);
    // fee ceil_cents(618.5 × 0.0005 = 0.30925) = 0.31; 618.82 − 618.5 − 0.31 = 0.01
    expect(enough.events[3]).toMatchObject({ quantity: '0.01', quoteQuantity: '618.5', fee: '0.31', feeAsset: 'USDT' });
    expect(enough.events[4]).toMatchObject({ balances: { BTC: { free: '0.01', locked: '0' }, USDT: { free: '0.01', locked: '0' } } });
  });

  it('when the price has moved past what was reserved, buys what 617 USDT pays for and expires the rest', () => {
    // TAKE_PROFIT 0.01 at 61,700 reserves 617; it triggers at 61,700 while the ask is 61,717.01.
    const line = STOP_BUY.replace('"STOP_LOSS"', '"TAKE_PROFIT"').replace('61850.00', '61700.00');
    const { status, events } = replay(line, '--balances', 'USDT=617');
    expect(status).toBe(0);
    expect(events.map((e) => e.type)).toEqual(['ACCOUNT_OPENED', 'ORDER_NEW', 'ORDER_TRIGGERED', 'FILL', 'ORDER_EXPIRED', 'BALANCES']);
    // floor(617 / 61,717.01 to the 0.00001 step) = 0.00999, costing 616.5529299
    expect(events[3]).toMatchObject({ price: '61717.01', quantity: '0.00999', quoteQuantity: '616.5529299', fee: '0.00000999' });
    expect(events[4]).toMatchObject({ reason: 'INSUFFICIENT_BALANCE', executedQty: '0.00999' });
    expect(events[5]).toMatchObject({ balances: { BTC: { free: '0.00998001', locked: '0' }, USDT: { free: '0.4470701', locked: '0' } } });
  });
});
