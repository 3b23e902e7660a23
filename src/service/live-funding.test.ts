import type { Exchange } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { EngineHub } from '../api/engine-hub.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../test-kit/recording-stepper.js';
import type { LiveMarkets } from '../market-data/live/live-markets.js';
import { liveFunding } from './market-source.js';

const MIDNIGHT = 1723161600000; // 2024-08-09 00:00 UTC, inside the USD-M recording

describe('serve --live charges funding from the exchange (ccxt fetchFundingRate)', () => {
  it('a perpetual subscribed on an exchange that answers fetchFundingRate pays 0.1 × mark × rate once its funding time has passed; a spot symbol is not polled', async () => {
    const s = new RecordingStepper(loadRecording(USDM_RECORDING));
    s.advanceTo(MIDNIGHT - 10_000);
    const hub = new EngineHub({ kernel: s.kernel, submit: async (input) => s.handle(input) });
    s.handle({ kind: 'account.open', time: s.kernel.now, account: 'f', type: 'futures', leverage: 10, balances: { USDT: '10000' } });
    expect(s.handle({ kind: 'order.place', time: s.kernel.now, account: 'f', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1' }).some((e) => e.type === 'FILL')).toBe(true);
    // The exchange's mark, so that the charge is known by hand: 0.1 × 61,700.5 × 0.000125 = 0.77125625.
    s.handle({ kind: 'mark', time: s.kernel.now, symbol: 'BTCUSDT', price: '61700.5' });
    const polled: string[] = [];
    const exchange = {
      has: { fetchFundingRate: true },
      fetchFundingRate: async (symbol: string) => {
        polled.push(symbol);
        return { symbol, markPrice: 61701, fundingRate: 0.000125, fundingTimestamp: MIDNIGHT };
      },
    } as unknown as Exchange;
    const live: LiveMarkets = {
      exchanges: new Map([['binanceusdm', exchange]]),
      subscriptions: [
        { exchangeId: 'binanceusdm', ccxtSymbol: 'BTC/USDT:USDT', marketId: 'BTCUSDT', kernelSymbol: 'BTCUSDT' },
        { exchangeId: 'binanceusdm', ccxtSymbol: 'ETH/USDT', marketId: 'ETHUSDT', kernelSymbol: 'ETHUSDT' },
      ],
      instruments: [s.kernel.instrument('BTCUSDT')!, { ...s.kernel.instrument('BTCUSDT')!, symbol: 'ETHUSDT', market: 'spot' }],
      instrumentSources: {}, rawTaps: new Map(), close: async () => undefined,
    };
    const lines: string[] = [];
    const poller = liveFunding(hub, live, (line) => lines.push(line));
    // The wall clock (today) is past the announced time: the first poll announces and applies it, stamped at 00:00.
    await poller.tick();
    await poller.tick(); // nothing is applied twice
    expect(polled).toEqual(['BTC/USDT:USDT', 'BTC/USDT:USDT']);
    expect(lines).toEqual([]);
    s.advanceTo(MIDNIGHT + 1_000);
    const account = s.kernel.account('f')!;
    if (account.kind !== 'futures') throw new Error('a futures account');
    const open = account.openPositions();
    expect(open).toHaveLength(1);
    // By hand: 0.1 × 61,700.5 × 0.000125 = 0.77125625 USDT, paid once.
    expect(open[0]!.totalFundingPaid).toBe(77125625n * 10n ** 10n);
  });
});
