import { describe, expect, it } from 'vitest';
import { Rng } from '../../test-kit/mulberry32.js';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { KernelEvent, PositionEvent } from '../kernel/events.js';
import { Kernel } from '../kernel/kernel.js';

// Margins are now a notional divided by the whole leverage (no Fixed division by L × 10^18). For
// random prices, quantities and every leverage 1 … 125, against integers computed by hand: a
// resting order reserves ⌈price × qty ÷ L⌉ to the settle asset's 8 decimals (no fees here), and a
// fill's position takes ⌊price × qty ÷ L⌋ to 8 decimals.
const PERP = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const T = 1_700_000_000_000;
const MINUTE = 60_000;

/** price (tenths) × qty (thousandths) ÷ L, in units of 10^-8, rounded up or down. */
function margin(priceTenths: number, qtyThousandths: number, leverage: number, up: boolean): bigint {
  // price × qty in units of 10^-4; × 10^4 to units of 10^-8.
  const numerator = BigInt(priceTenths) * BigInt(qtyThousandths) * 10_000n;
  const l = BigInt(leverage);
  return up ? (numerator + l - 1n) / l : numerator / l;
}

function text8(units: bigint): string {
  const fraction = (units % 100_000_000n).toString().padStart(8, '0').replace(/0+$/, '');
  return fraction === '' ? `${units / 100_000_000n}` : `${units / 100_000_000n}.${fraction}`;
}

function tenths(t: number): string {
  return `${Math.floor(t / 10)}.${t % 10}`;
}

function thousandths(q: number): string {
  return `${Math.floor(q / 1000)}.${String(q % 1000).padStart(3, '0')}`;
}

describe('futures margins by a whole leverage (hostile)', () => {
  it('reserves the rounded-up margin for a resting order and books the rounded-down one for its fill, at every leverage', () => {
    const rng = new Rng(20_260_101);
    let fills = 0;
    for (let leverage = 1; leverage <= 125; leverage += 1) {
      const kernel = new Kernel({ instruments: [PERP], equityIntervalMs: 0 });
      kernel.handle({ kind: 'bar', time: T, symbol: 'BTCUSDT', open: '60000', high: '60000.1', low: '59999.9', close: '60000', volume: '1', intervalMs: MINUTE });
      const opened = kernel.handle({ kind: 'account.open', time: T + MINUTE - 1, account: 'f', type: 'futures', marginMode: 'isolated', balances: { USDT: '10000000' }, leverage, fees: { maker: '0', taker: '0' } });
      expect(opened.map((e) => e.type)).toContain('ACCOUNT_OPENED');
      // A buy below the market that rests (within the band around the mark).
      const priceTenths = rng.int(520_000, 599_990);
      const qty = rng.int(1, 600); // under 36,000 USDT: inside the first position bracket, open to 125x
      const placed = kernel.handle({ kind: 'order.place', time: T + MINUTE - 1, account: 'f', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: tenths(priceTenths), quantity: thousandths(qty), clientOrderId: 'o' });
      expect(JSON.stringify(placed)).toContain('ORDER_NEW');
      expect(placed.map((e) => e.type)).not.toContain('FILL');
      const reserved = margin(priceTenths, qty, leverage, true);
      expect(kernel.balances('f')!.USDT!.locked).toBe(text8(reserved));
      // The next bar's path goes through the price: the order fills at its own price.
      const events: KernelEvent[] = kernel.handle({ kind: 'bar', time: T + MINUTE, symbol: 'BTCUSDT', open: '60000', high: '60000.1', low: '50000', close: '50000.5', volume: '1', intervalMs: MINUTE });
      const position = events.find((e): e is PositionEvent => e.type === 'POSITION_OPENED');
      if (position === undefined) continue; // liquidated on the way down at a high leverage: nothing to compare
      fills += 1;
      expect(position.leverage).toBe(leverage);
      expect(position.marginUsed).toBe(text8(margin(priceTenths, qty, leverage, false)));
    }
    expect(fills).toBeGreaterThan(60);
  });
});
