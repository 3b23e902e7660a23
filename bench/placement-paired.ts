/**
 * A placement and its cancel on a kernel where the account already rests RESTING limit orders on
 * each of SYMBOLS (default 150 on BTCUSDT), old and new code in one process:
 * `BENCH_BASE=<a checkout of the code before> node --import tsx bench/placement-paired.ts`.
 * Rounds of 5,000 place+cancel pairs alternate which code goes first; after 3 warm-up rounds prints
 * the median and range of CPU µs per pair for each and of the per-round ratios old ÷ new (above 1:
 * the new code is faster). BENCH_ROUNDS (default 30).
 */
import { at, comparedRoots } from './bench-kit.js';

const { base, here } = comparedRoots();
const roots: Record<string, string> = { old: base, new: here };
const T = 1723161300000;
const RESTING = Number(process.env.RESTING ?? 150);
const SYMBOLS = (process.env.SYMBOLS ?? 'BTCUSDT').split(',');
const N = 5000;
async function setup(root: string) {
  const { Kernel } = (await at(root, 'src/core/kernel/kernel.ts')) as { Kernel: new (config: unknown) => { handle(input: unknown): { type: string }[] } };
  const { findBundledInstrument } = (await at(root, 'src/core/instruments/bundled-instruments.ts')) as { findBundledInstrument: (exchange: string, market: string, symbol: string) => unknown };
  const k = new Kernel({ instruments: SYMBOLS.map((s) => findBundledInstrument('binance', 'spot', s)!), equityIntervalMs: 0 });
  for (const s of SYMBOLS) k.handle({ kind: 'book.snapshot', time: T, symbol: s, lastUpdateId: 1, bids: [['1000.00', '5']], asks: [['100000.00', '5']] });
  k.handle({ kind: 'account.open', time: T, account: 'a', balances: { USDT: '100000000', BTC: '100' } });
  for (const s of SYMBOLS) for (let i = 0; i < RESTING; i++) k.handle({ kind: 'order.place', time: T, account: 'a', symbol: s, side: 'BUY', type: 'LIMIT', quantity: '0.01', price: `${2000 + i}.00`, clientOrderId: `r-${s}-${i}` });
  let n = 0;
  return () => {
    const t0 = process.cpuUsage();
    for (let i = 0; i < N; i++, n++) {
      const e = k.handle({ kind: 'order.place', time: T, account: 'a', symbol: SYMBOLS[0]!, side: 'BUY', type: 'LIMIT', quantity: '0.01', price: `${3000 + (n % 1000)}.00`, clientOrderId: `x-${n}` });
      if (e[0]!.type !== 'ORDER_NEW') throw new Error(JSON.stringify(e));
      k.handle({ kind: 'order.cancel', time: T, account: 'a', clientOrderId: `x-${n}` });
    }
    const d = process.cpuUsage(t0);
    return (d.user + d.system) / N;
  };
}
const run = { old: await setup(roots.old!), new: await setup(roots.new!) };
const res = { old: [] as number[], new: [] as number[] };
const ratios: number[] = [];
for (let r = 0; r < Number(process.env.BENCH_ROUNDS ?? 30); r++) {
  const order = r % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
  const got: Record<string, number> = {};
  for (const w of order) got[w] = run[w as 'old' | 'new']();
  if (r < 3) continue; // warm-up
  res.old.push(got.old!); res.new.push(got.new!); ratios.push(got.old! / got.new!);
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const rng = (a: number[]) => `${Math.min(...a).toFixed(2)}–${Math.max(...a).toFixed(2)}`;
console.log(`resting ${RESTING} on each of ${SYMBOLS.join(',')}: µs CPU per place+cancel old ${med(res.old).toFixed(2)} (${rng(res.old)}), new ${med(res.new).toFixed(2)} (${rng(res.new)}); old/new median ${med(ratios).toFixed(3)} range ${rng(ratios)} over ${ratios.length} rounds`);
