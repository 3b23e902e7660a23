/**
 * The main-thread cost of reading an order body, Fastify's JSON parser alone (before docs/adr/0050)
 * against the same parser plus the exact-number check (`mayLoseDigits`) and, when it says so, the
 * exact reparse: `node --import tsx bench/json-body-paired.ts`. For each body, rounds of 200,000
 * parses alternate which goes first; after 3 warm-up rounds prints the median and range of CPU ns
 * per parse for each and the median of the per-round ratios new ÷ old. BENCH_ROUNDS (default 15).
 */
import Fastify from 'fastify';
import { mayLoseDigits, reparseNumbers } from '../src/api/exact-json.js';

const BODIES: Record<string, string> = {
  'strings (ccxt, the README)': '{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":"0.01000","price":"60000.00","clientOrderId":"bot-1723161300000"}',
  'numbers of ≤ 15 digits': '{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":0.01,"price":60000.01,"clientOrderId":"bot-1723161300000"}',
  'an 18-digit number (exact path)': '{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":1234567890.12345678,"price":60000.01,"clientOrderId":"bot-1723161300000"}',
};
const N = 200_000;
const json = Fastify().getDefaultJsonParser('error', 'error');
const request = {} as Parameters<typeof json>[0];
let sink: unknown;
const keep = (error: Error | null, value?: unknown) => {
  if (error !== null) throw error;
  sink = value;
};
const parsers = {
  old: (body: string) => json(request, body, keep),
  new: (body: string) =>
    json(request, body, (error, value) => {
      if (error !== null) throw error;
      sink = mayLoseDigits(body) ? reparseNumbers(body) : value;
    }),
};
const time = (parse: (body: string) => void, body: string): number => {
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) parse(body);
  const d = process.cpuUsage(t0);
  return ((d.user + d.system) * 1000) / N;
};
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const rng = (a: number[]) => `${Math.min(...a).toFixed(0)}–${Math.max(...a).toFixed(0)}`;
for (const [name, body] of Object.entries(BODIES)) {
  const res = { old: [] as number[], new: [] as number[] };
  const ratios: number[] = [];
  for (let r = 0; r < Number(process.env.BENCH_ROUNDS ?? 15); r++) {
    const order = r % 2 === 0 ? (['old', 'new'] as const) : (['new', 'old'] as const);
    const got = { old: 0, new: 0 };
    for (const w of order) got[w] = time(parsers[w], body);
    if (r < 3) continue; // warm-up
    res.old.push(got.old);
    res.new.push(got.new);
    ratios.push(got.new / got.old);
  }
  console.log(`${name} (${body.length} B): ns CPU per parse old ${med(res.old).toFixed(0)} (${rng(res.old)}), new ${med(res.new).toFixed(0)} (${rng(res.new)}); new/old median ${med(ratios).toFixed(3)} over ${ratios.length} rounds`);
}
if (sink === undefined) throw new Error('nothing parsed');
