import { describe, expect, it } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import { FundingPoller, type FundingQuote } from './funding-poller.js';

describe('live funding from the exchange’s announced rates and times', () => {
  function poller(quotes: FundingQuote[], sendMarks = false) {
    const sent: KernelInput[] = [];
    let wall = 1723161000000;
    let engine = 1723160999000;
    let failNext = false;
    const p = new FundingPoller({
      sources: [{ symbol: 'BTCUSDT', fetch: async () => { if (failNext) { failNext = false; throw new Error('timeout'); } return quotes.shift() ?? {}; } }],
      submit: async (input) => { sent.push(input); engine = Math.max(engine, input.time); },
      engineNow: () => engine,
      wallNow: () => wall,
      sendMarks,
    });
    return { p, sent, setWall: (t: number) => { wall = t; }, failOnce: () => { failNext = true; } };
  }

  it('applies the announced rate once, stamped with the funding time, after the wall clock passes it', async () => {
    const { p, sent, setWall, failOnce } = poller([
      { markPrice: 61700.5, fundingRate: 0.0001, fundingTimestamp: 1723161600000 },
      { markPrice: 61720, fundingRate: 0.000125, fundingTimestamp: 1723161600000 },
      { markPrice: 61720, fundingRate: 0.00009, fundingTimestamp: 1723190400000 },
    ]);
    await p.tick();
    await p.tick();
    expect(sent).toEqual([]); // no marks unless asked; nothing due yet
    setWall(1723161600400);
    failOnce(); // the poll at the funding time fails: the last announcement still applies
    await p.tick();
    expect(sent).toEqual([{ kind: 'funding', time: 1723161600000, symbol: 'BTCUSDT', rate: '0.000125' }]);
    await p.tick(); // announces the next time (08:00); nothing is applied twice
    setWall(1723161700000);
    await p.tick();
    expect(sent).toHaveLength(1);
  });

  it('sends the exchange’s mark price when asked to', async () => {
    const { p, sent } = poller([{ markPrice: '61700.5', fundingRate: '0.0001', fundingTimestamp: 1723161600000 }], true);
    await p.tick();
    expect(sent).toEqual([{ kind: 'mark', time: 1723161000000, symbol: 'BTCUSDT', price: '61700.5' }]);
  });
});
