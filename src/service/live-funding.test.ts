import type { Exchange } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { EngineHub } from '../api/engine-hub.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../test-kit/recording-stepper.js';
import { startTestService } from '../test-kit/service-kit.js';
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

  it('a published rate beyond the kernel\'s ±3 % bound is reported naming the symbol and the rate; polling goes on and the next rate is charged; the account is not halted', async () => {
    const service = await startTestService({ recording: USDM_RECORDING, until: MIDNIGHT - 10_000 });
    try {
      const hub = service.deps.hub;
      await hub.submit({ kind: 'account.open', time: hub.kernel.now, account: 'f', type: 'futures', leverage: 10, balances: { USDT: '10000' } });
      await hub.submit({ kind: 'order.place', time: hub.kernel.now, account: 'f', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1' });
      await hub.submit({ kind: 'mark', time: hub.kernel.now, symbol: 'BTCUSDT', price: '61700.5' });
      const answers = [
        { markPrice: 61701, fundingRate: 0.05, fundingTimestamp: MIDNIGHT }, // 5 %: beyond what any exchange publishes (ADR 0006)
        { markPrice: 61701, fundingRate: 0.000125, fundingTimestamp: MIDNIGHT + 8 * 3_600_000 },
      ];
      const exchange = { has: { fetchFundingRate: true }, fetchFundingRate: async (symbol: string) => ({ symbol, ...answers.shift() }) } as unknown as Exchange;
      const instrument = service.engine.kernel.instrument('BTCUSDT')!;
      const live: LiveMarkets = {
        exchanges: new Map([['binanceusdm', exchange]]),
        subscriptions: [{ exchangeId: 'binanceusdm', ccxtSymbol: 'BTC/USDT:USDT', marketId: 'BTCUSDT', kernelSymbol: 'BTCUSDT' }],
        instruments: [instrument],
        instrumentSources: {}, rawTaps: new Map(), close: async () => undefined,
      };
      const lines: string[] = [];
      const poller = liveFunding(hub, live, (line) => lines.push(line));
      const paid = () => {
        const account = hub.kernel.account('f')!;
        if (account.kind !== 'futures') throw new Error('a futures account');
        return account.openPositions()[0]!.totalFundingPaid;
      };
      await poller.tick(); // the wall clock (today) is past both announced times: each poll applies what it announces
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/BTCUSDT/);
      expect(lines[0]).toMatch(/funding rate 0\.05 .*refused/);
      expect(paid()).toBe(0n);
      expect(hub.kernel.isHalted('f')).toBe(false);
      await poller.tick();
      // By hand: 0.1 × 61,700.5 × 0.000125 = 0.77125625 USDT.
      expect(paid()).toBe(77125625n * 10n ** 10n);
      expect(hub.kernel.isHalted('f')).toBe(false);
      expect(lines).toHaveLength(1);
    } finally {
      await service.close();
    }
  }, 120_000);

  it('an engine that answers a refused rate with INPUT_REJECTED instead of refusing the submit: reported the same way', async () => {
    const s = new RecordingStepper(loadRecording(USDM_RECORDING));
    s.advanceTo(MIDNIGHT - 10_000);
    const hub = new EngineHub({ kernel: s.kernel, submit: async (input) => s.handle(input) });
    const exchange = { has: { fetchFundingRate: true }, fetchFundingRate: async (symbol: string) => ({ symbol, fundingRate: -0.05, fundingTimestamp: MIDNIGHT }) } as unknown as Exchange;
    const live: LiveMarkets = {
      exchanges: new Map([['binanceusdm', exchange]]),
      subscriptions: [{ exchangeId: 'binanceusdm', ccxtSymbol: 'BTC/USDT:USDT', marketId: 'BTCUSDT', kernelSymbol: 'BTCUSDT' }],
      instruments: [s.kernel.instrument('BTCUSDT')!],
      instrumentSources: {}, rawTaps: new Map(), close: async () => undefined,
    };
    const lines: string[] = [];
    await liveFunding(hub, live, (line) => lines.push(line)).tick();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/funding rate -0\.05 of BTCUSDT due 2024-08-09T00:00:00\.000Z refused/);
  });
});
