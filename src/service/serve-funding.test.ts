import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BookSynchronizer } from '../core/book/book-synchronizer.js';
import { parseFixed, formatFixed, type Fixed } from '../core/money/fixed.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { freePort } from '../test-kit/serve-process.js';
import { startService } from './start-service.js';
import { scratchDir } from '../test-kit/scratch-dir.js';

const MIDNIGHT = 1723161600000; // 2024-08-09 00:00 UTC, inside the USD-M recording
const d = parseFixed;

/** The book's mid (rounded down to the 0.1 tick) after the recording's last input before midnight, rebuilt here. */
function midBeforeMidnight(): Fixed {
  const sync = new BookSynchronizer('BTCUSDT', 'usdm');
  const lv = (raw: readonly (readonly [string, string])[]) => raw.map(([p, q]) => [d(p), d(q)] as const);
  let mid: Fixed | undefined;
  for (const input of loadRecording(USDM_RECORDING).inputs) {
    if (input.time >= MIDNIGHT) break;
    if (input.kind === 'book.snapshot') sync.onSnapshot({ lastUpdateId: input.lastUpdateId, bids: lv(input.bids), asks: lv(input.asks) });
    if (input.kind === 'book.delta') sync.onDelta({ firstUpdateId: input.firstUpdateId, finalUpdateId: input.finalUpdateId, previousFinalUpdateId: input.previousFinalUpdateId!, bids: lv(input.bids), asks: lv(input.asks) });
    if (sync.status === 'synced') mid = sync.book.mid(d('0.1'));
  }
  return mid!;
}

describe('serve charges funding on replay', () => {
  it('FUNDING_RATE=0.0001: a 0.1 BTC long held across 00:00 UTC pays 0.1 × mark × 0.0001, at the mark of that moment', async () => {
    const dir = scratchDir('papertrade-funding-');
    const admin = 'funding-admin-key-for-tests';
    const env = {
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'silent', ADMIN_API_KEY: admin,
      REPLAY_RECORDING: USDM_RECORDING, REPLAY_SPEED: '40', FUNDING_RATE: '0.0001',
    };
    const lines: string[] = [];
    const service = await startService(env, { print: (line) => lines.push(line) });
    try {
      expect(lines.join('\n')).toMatch(/funding 0\.0001 at 00:00\/08:00\/16:00 UTC/);
      const call = async (method: string, path: string, key: string, body?: unknown) =>
        (await fetch(`${service.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) })).json();
      const account = (await call('POST', '/api/accounts', admin, { name: 'f', type: 'futures', balances: { USDT: '10000' }, leverage: 10 })) as { apiKey: string };
      const kernel = () => service.deps.hub.kernel;
      while (kernel().bookStatus('BTCUSDT')?.status !== 'synced') await new Promise((r) => setTimeout(r, 20));
      expect(kernel().now).toBeLessThan(MIDNIGHT - 60_000);
      expect(await call('POST', '/api/orders', account.apiKey, { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1' })).toMatchObject({ status: 'FILLED' });
      while (kernel().now < MIDNIGHT) await new Promise((r) => setTimeout(r, 50));
      // By hand: 0.1 × mid × 0.0001, rounded half-up to the 8 decimals of the settlement asset.
      const exact = (d('0.1') * midBeforeMidnight() * d('0.0001')) / 10n ** 36n;
      const expected = (exact + 5n * 10n ** 9n) / 10n ** 10n * 10n ** 10n;
      const positions = ((await call('GET', '/api/account/positions', account.apiKey)) as { items: { totalFundingPaid: string }[] }).items;
      expect(positions).toHaveLength(1);
      expect(positions[0]!.totalFundingPaid).toBe(formatFixed(expected));
      expect(Number(positions[0]!.totalFundingPaid)).toBeGreaterThan(0.6); // about 0.1 × 61,700 × 0.0001 = 0.617
    } finally {
      await service.stop();
    }
  }, 180_000); // a loaded machine can take over a minute to start the service and replay to midnight
});
