import { describe, expect, it } from 'vitest';
import { instrumentForRecording } from './replay-session.js';
import type { Recording } from './recording-reader.js';

describe('the instrument of a recording', () => {
  it('for a symbol no bundled spec covers, says so and names every exchange that has specs', () => {
    // The bundled specs: Binance spot and USD-M, MEXC spot; none of DOGEUSDT.
    const recording = { market: 'spot', symbol: 'DOGEUSDT' } as Recording;
    expect(() => instrumentForRecording(recording, 'binance')).toThrow('no instrument spec for binance spot DOGEUSDT; no exchange has one (the exchanges with specs: binance, mexc)');
  });
});
