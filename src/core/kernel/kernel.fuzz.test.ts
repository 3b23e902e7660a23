/**
 * The kernel under a fuzzer: the real Binance spot and USD-M recordings interleaved with random
 * commands of every kind (kernel-fuzz-commands.ts), under Binance fee rules (fee in the received
 * asset), MEXC fee rules (fee in quote, rounded to cents) and account overrides, with and without
 * latency. After every input: no throw, no INTERNAL rejection, no negative balance, the kernel's
 * own invariants, and free + locked of every asset equal to an independent ledger whose fees are
 * recomputed from the instruments' rules (ledger-model.ts).
 *
 * Bounded for `npm test` (FUZZ_SEEDS seeds × FUZZ_INPUTS commands, on the first FUZZ_MARKET inputs
 * of each recording); `npm run fuzz` is the long run. Each distinct failure is shrunk and printed
 * as a reproduction.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FuzzCommand } from '../../test-kit/kernel-fuzz-commands.js';
import { replay, runSeed, VENUES, type Failure, type FuzzCase, type SeedResult } from '../../test-kit/kernel-fuzz.js';
import { describeReproduction, shrink } from '../../test-kit/kernel-fuzz-shrink.js';
import type { KernelInput } from './inputs.js';

const SEEDS = Number(process.env.FUZZ_SEEDS ?? 24);
const COMMANDS = Number(process.env.FUZZ_INPUTS ?? 600);
const MARKET = Number(process.env.FUZZ_MARKET ?? 6000);
const SHRINK_MS = Number(process.env.FUZZ_SHRINK_MS ?? 1500);
const LATENCIES = [0, 0, 25, 150];

const results: SeedResult[] = [];
const reproductions = new Map<string, string>();

function failuresOf(kind: Failure['kind']): Failure[] {
  return results.flatMap((r) => r.failures.filter((f) => f.kind === kind));
}

/** One line per distinct failure of `kind`, with its count and shrunk reproduction. */
function report(kind: Failure['kind']): string {
  const counts = new Map<string, number>();
  for (const f of failuresOf(kind)) counts.set(f.key, (counts.get(f.key) ?? 0) + 1);
  return [...counts].map(([key, n]) => `${n} × ${key}\n${reproductions.get(key) ?? ''}`).join('\n\n');
}

describe('the kernel under random commands on the real recordings', () => {
  beforeAll(() => {
    const started = Date.now();
    for (let seed = 1; seed <= SEEDS; seed += 1) {
      const fuzzCase: FuzzCase = { seed, venue: VENUES[seed % VENUES.length]!, latencyMs: LATENCIES[Math.floor(seed / VENUES.length) % LATENCIES.length]!, commands: COMMANDS, marketInputs: MARKET };
      results.push(runSeed(fuzzCase));
    }
    const ran = Date.now() - started;
    for (const result of results) {
      for (const f of result.failures) {
        if (reproductions.has(f.key)) continue;
        const small = shrink(result.fuzzCase, result.firstTraces.get(f.key)!, f.key, SHRINK_MS);
        reproductions.set(f.key, describeReproduction(result.fuzzCase, small, f.message));
      }
    }
    const sum = (pick: (r: SeedResult) => number) => results.reduce((n, r) => n + pick(r), 0);
    const count = (kind: Failure['kind']) => failuresOf(kind).length;
    console.log(
      `kernel fuzz: ${SEEDS} seeds (${VENUES.join(', ')}), ${sum((r) => r.inputs)} inputs tried (${sum((r) => r.commands)} commands, ${sum((r) => r.fills)} fills, ${sum((r) => r.rejections)} order rejections) in ${(ran / 1000).toFixed(1)} s; ` +
        `throws ${count('throw')}, INTERNAL ${count('internal')}, negative balances ${count('negative-balance')}, invariant breaches ${count('invariant')}, ledger mismatches ${count('ledger-mismatch')}, invalid inputs accepted ${count('accepted-invalid')}; ` +
        `fills whose reported fee differs from the recomputed one ${sum((r) => r.feeDisagreements)}, funding events off the recomputed amount ${sum((r) => r.fundingDisagreements)}`,
    );
  }, 600_000);

  it('exercises every venue with fills and rejections, and the futures machinery', () => {
    const events = (venue?: string) => {
      const out = new Map<string, number>();
      for (const r of results) if (venue === undefined || r.fuzzCase.venue === venue) for (const [type, n] of r.eventCounts) out.set(type, (out.get(type) ?? 0) + n);
      return out;
    };
    console.log(`kernel fuzz events: ${JSON.stringify(Object.fromEntries([...events()].sort()))}`);
    for (const type of ['ORDER_TRIGGERED', 'ORDER_CANCELED', 'ORDER_EXPIRED', 'CANCEL_REJECTED', 'FILL (maker)', 'ACCOUNT_RESET', 'ACCOUNT_CLOSED', 'ACCOUNT_IMPORTED', 'LEVERAGE_SET', 'LEVERAGE_REJECTED']) {
      expect(events().get(type) ?? 0, type).toBeGreaterThan(0);
    }
    for (const type of ['FUNDING', 'LIQUIDATION', 'POSITION_CLOSED']) expect(events('binance-usdm').get(type) ?? 0, type).toBeGreaterThan(0);
    for (const venue of VENUES) {
      const mine = results.filter((r) => r.fuzzCase.venue === venue);
      expect(mine.reduce((n, r) => n + r.fills, 0), venue).toBeGreaterThan(20);
      expect(mine.reduce((n, r) => n + r.rejections, 0), venue).toBeGreaterThan(50);
    }
  });

  it('never throws from handle', () => {
    expect(failuresOf('throw'), report('throw')).toEqual([]);
  });

  it('never answers an input with INTERNAL (a contained bug rather than a fixed one)', () => {
    expect(failuresOf('internal'), report('internal')).toEqual([]);
  });

  it('never shows a negative balance', () => {
    expect(failuresOf('negative-balance'), report('negative-balance')).toEqual([]);
  });

  it('keeps its own invariants after every input', () => {
    expect(failuresOf('invariant'), report('invariant')).toEqual([]);
  });

  it('holds in every account exactly what the independent ledger says, fees recomputed from the rules', () => {
    expect(failuresOf('ledger-mismatch'), report('ledger-mismatch')).toEqual([]);
  });

  it('refuses account inputs out of bounds (balances, asset names, fees, modes, documents)', () => {
    expect(failuresOf('accepted-invalid'), report('accepted-invalid')).toEqual([]);
  });
});

/**
 * Short sequences the fuzzer found, kept as they are so that each reads as one case: the accounts
 * every run opens, then these commands right after the recording's first few hundred inputs.
 * Each must run with no failure of any kind (no throw, no INTERNAL, no negative balance, the ledger
 * exact, invalid account inputs refused).
 */
describe('sequences the fuzzer found', () => {
  const T = 1723161262000;
  const usdm: FuzzCase = { seed: 5, venue: 'binance-usdm', latencyMs: 0, commands: 0 };
  const spot: FuzzCase = { seed: 3, venue: 'binance-spot', latencyMs: 0, commands: 0 };
  const input = (i: KernelInput): FuzzCommand => ({ input: i });
  const cases: [name: string, fuzzCase: FuzzCase, commands: FuzzCommand[]][] = [
    [
      'funding at the capped rate (0.375 %), three times, on a 125x isolated long (its margin runs out)',
      usdm,
      [
        input({ kind: 'account.open', time: T, account: 'f', type: 'futures', marginMode: 'isolated', leverage: 125, balances: { USDT: '1000' } }),
        input({ kind: 'order.place', time: T, account: 'f', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.5' }),
        input({ kind: 'funding', time: T, symbol: 'BTCUSDT', rate: '0.00375' }),
        input({ kind: 'funding', time: T, symbol: 'BTCUSDT', rate: '0.00375' }),
        input({ kind: 'funding', time: T, symbol: 'BTCUSDT', rate: '0.00375' }),
      ],
    ],
    [
      'funding paid from a cross wallet whose cash is almost all in margin',
      usdm,
      [
        input({ kind: 'account.open', time: T, account: 'c', type: 'futures', marginMode: 'cross', leverage: 100, balances: { USDT: '1000' } }),
        input({ kind: 'order.place', time: T, account: 'c', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '1.5' }),
        input({ kind: 'funding', time: T, symbol: 'BTCUSDT', rate: '0.00375' }),
      ],
    ],
    [
      'a cross liquidation through the bankruptcy price (the LIQUIDATION event says what the wallet lost)',
      usdm,
      [
        input({ kind: 'account.open', time: T, account: 'c', type: 'futures', marginMode: 'cross', leverage: 125, balances: { USDT: '1000' } }),
        input({ kind: 'order.place', time: T, account: 'c', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '1' }),
        input({ kind: 'mark', time: T, symbol: 'BTCUSDT', price: '55000.0' }),
      ],
    ],
    [
      'a futures sell limit far below the market (it fills at the book, far above its limit price)',
      usdm,
      [
        input({ kind: 'account.open', time: T, account: 'f', type: 'futures', marginMode: 'isolated', leverage: 10, balances: { USDT: '20000' } }),
        input({ kind: 'order.place', time: T, account: 'f', symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', quantity: '10', price: '100.0' }),
      ],
    ],
    [
      'a partial close after a 120 BTC market buy (realized PnL on an entry price averaged over many fills)',
      usdm,
      [
        input({ kind: 'account.open', time: T, account: 'w', type: 'futures', marginMode: 'isolated', leverage: 1, balances: { USDT: '10000000' } }),
        input({ kind: 'order.place', time: T, account: 'w', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '120' }),
        input({ kind: 'order.place', time: T, account: 'w', symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '7', reduceOnly: true }),
      ],
    ],
    ['an account document with only its header', spot, [{ importFrom: 'big', as: 'x', mutation: 'header-only' }]],
    ['an account document without its orders', spot, [{ importFrom: 'big', as: 'x', mutation: 'orders-missing' }]],
    ['an account document without its health', spot, [{ importFrom: 'big', as: 'x', mutation: 'no-health' }]],
    ['an account document whose kind was changed', spot, [{ importFrom: 'big', as: 'x', mutation: 'kind-changed' }]],
    ['an account document with a negative balance', spot, [{ importFrom: 'big', as: 'x', mutation: 'negative-balance' }]],
    [
      'an account document with a negative balance, copied from an account that holds nothing (seed 10 of the long run)',
      spot,
      [input({ kind: 'account.open', time: T, account: 'empty', balances: {} }), { importFrom: 'empty', as: 'x', mutation: 'negative-balance' }],
    ],
    ['an account opened with a taker fee of 2 (200 %)', spot, [input({ kind: 'account.open', time: T, account: 'x', balances: { USDT: '1000' }, fees: { taker: '2' } })]],
    ['an account opened with a negative taker fee', spot, [input({ kind: 'account.open', time: T, account: 'x', balances: { USDT: '1000' }, fees: { taker: '-0.0001' } })]],
  ];
  it.each(cases)('%s', (_name, fuzzCase, commands) => {
    const h = replay(fuzzCase, { commands: commands.map((command) => ({ at: 0, command })), marketInputs: 0 });
    expect(h.failures.map((f) => `${f.kind}: ${f.message}`)).toEqual([]);
  });

  it('a copy of a cross account buys, pays an extreme funding rate, then a reduce-only maker sell fills (seed 11, as shrunk)', () => {
    const at = 1723161849933;
    const trace = [
      { at: 261, command: { importFrom: 'cross', as: 'i8', mutation: 'none' } as FuzzCommand },
      { at: 261, command: input({ kind: 'order.place', time: at, account: 'i8', symbol: 'BTCUSDT', side: 'BUY', type: 'FILL_OR_KILL', quantity: '2.588', price: '61819.4', clientOrderId: 'c169' }) },
      { at: 261, command: input({ kind: 'mark', time: at, symbol: 'BTCUSDT', price: '62122' }) },
      { at: 261, command: input({ kind: 'account.open', time: at + 357, account: 'n24', balances: { USDT: '10777.3' }, type: 'futures', marginMode: 'isolated', leverage: 125, fees: { maker: '-0.001', taker: '0.002', feeAsset: 'base' as never } }) },
      // Found with a rate of 0.3 in one input; 3 % is the widest the kernel applies, so ten of them.
      ...Array.from({ length: 10 }, () => ({ at: 261, command: input({ kind: 'funding', time: at + 590, symbol: 'BTCUSDT', rate: '0.03' }) })),
      { at: 261, command: input({ kind: 'order.place', time: at + 99_716, account: 'i8', symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT_MAKER', quantity: '120', price: '61802.6', reduceOnly: true, clientOrderId: 'c260' }) },
      { at: 3920, command: input({ kind: 'order.place', time: at + 100_069, account: 'nobody', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT_MAKER', quantity: '0.51', price: '61800.4', reduceOnly: true, clientOrderId: 'c263' }) },
    ];
    const h = replay({ seed: 11, venue: 'binance-usdm', latencyMs: 150, commands: 0 }, { commands: trace, marketInputs: 3996 });
    expect(h.failures.map((f) => `${f.kind}: ${f.message}`)).toEqual([]);
  });
});
