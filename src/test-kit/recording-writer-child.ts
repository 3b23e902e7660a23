/**
 * A process that records a made-up live book without end (spawned with `node --import tsx` by
 * market-data/live/recording-writer-kill.test.ts, which kills it with SIGKILL): a snapshot (bid
 * 60,000 at 1, ask 60,010 at 0.5, id 1000), then record i = 1, 2, 3…: a book whose ask 60,010 has
 * size i (id 1000 + i) and trade i. Prints `R` once the snapshot is written, then `W <i>` once
 * record i is handed to the writer. Environment: REC_DIR, REC_FLUSH_MS (the writer's flush period).
 */
import { RecordingWriter } from '../market-data/live/recording-writer.js';

if (process.env.REC_DIR !== undefined) {
  const print = (line: string): void => void process.stdout.write(`${line}\n`);
  const T = 1_723_161_300_000;
  const writer = new RecordingWriter(process.env.REC_DIR, 'BTCUSDT', { exchange: 'binance', ccxtSymbol: 'BTC/USDT' }, undefined, { flushEveryMs: Number(process.env.REC_FLUSH_MS ?? '1000') });
  writer.onBook({ time: T, nonce: 1000, bids: new Map([['60000', '1']]), asks: new Map([['60010', '0.5']]) });
  print('R');
  for (let i = 1; ; i += 1) {
    writer.onBook({ time: T + i, nonce: 1000 + i, bids: new Map([['60000', '1']]), asks: new Map([['60010', String(i)]]) });
    writer.onTrade({ id: String(i), time: T + i, price: 60010, amount: 0.5, buyerMaker: false });
    print(`W ${i}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
