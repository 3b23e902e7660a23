import { describe, expect, it } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import { EngineUnavailableError } from '../engine/engine-status.js';
import { FundingPoller, type FundingQuote } from './funding-poller.js';

describe('live funding from the exchange’s announced rates and times', () => {
  function poller(quotes: FundingQuote[], sendMarks = false) {
    const sent: KernelInput[] = [];
    let wall = 1723161000000;
    let engine = 1723160999000;
    let failNext = false;
    let unavailable = 0;
    const refused: KernelInput[] = [];
    const p = new FundingPoller({
      sources: [{ symbol: 'BTCUSDT', fetch: async () => { if (failNext) { failNext = false; throw new Error('timeout'); } return quotes.shift() ?? {}; } }],
      submit: async (input) => {
        if (unavailable > 0) {
          unavailable -= 1;
          throw new EngineUnavailableError('unavailable', 'the database is unreachable; nothing was recorded, retry later');
        }
        sent.push(input);
        engine = Math.max(engine, input.time);
      },
      onRefused: (input) => refused.push(input),
      engineNow: () => engine,
      wallNow: () => wall,
      sendMarks,
    });
    return { p, sent, refused, setWall: (t: number) => { wall = t; }, failOnce: () => { failNext = true; }, unavailableFor: (n: number) => { unavailable = n; } };
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

  it('a funding input the engine could not take for now (its database away) is sent again at the next poll, once', async () => {
    const { p, sent, refused, setWall, unavailableFor } = poller([
      { fundingRate: 0.0001, fundingTimestamp: 1723161600000 },
      { fundingRate: 0.0001, fundingTimestamp: 1723161600000 },
      { fundingRate: 0.00011, fundingTimestamp: 1723190400000 },
    ]);
    await p.tick();
    setWall(1723161600400);
    unavailableFor(2); // the funding at 00:00 meets the outage at this poll's start and after its fetch
    await p.tick();
    expect(sent).toEqual([]);
    await p.tick(); // the database is back; the exchange now announces 08:00
    expect(sent).toEqual([{ kind: 'funding', time: 1723161600000, symbol: 'BTCUSDT', rate: '0.0001' }]);
    expect(refused).toEqual([]);
    await p.tick();
    expect(sent).toHaveLength(1);
  });
});
