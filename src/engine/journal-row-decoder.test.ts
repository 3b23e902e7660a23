import { expect, it } from 'vitest';
import { DecimalLevels } from '../core/book/decimal-levels.js';
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { parseLevels } from '../core/kernel/input-validation.js';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { openAndMigrate } from '../persistence/database.js';
import { JournalStore } from '../persistence/journal-store.js';
import { SPOT_RECORDING, USDM_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { describeEachDialect } from '../test-kit/test-databases.js';
import { journalRows, WORKER_READ_MIN_ROWS } from './journal-reader.js';
import { handleJournaled, handlePageRow } from './journal-replay.js';
import { DecodedRowReader, RowEncoder } from './journal-row-decoder.js';

const spot = loadRecording(SPOT_RECORDING);
const usdm = loadRecording(USDM_RECORDING);

/** Rows decoded as the journal reader's worker decodes a page. */
function decode(texts: readonly string[]): DecodedRowReader {
  const encoder = new RowEncoder();
  let offset = 0;
  for (const text of texts) {
    encoder.add(text, offset);
    offset += text.length;
  }
  return new DecodedRowReader(encoder.take(), texts.join(''));
}

/** Levels as [mantissa, fraction, mantissa, fraction] rows. */
function columns(levels: DecimalLevels): number[][] {
  return Array.from({ length: levels.length }, (_, i) => [levels.priceMantissa[i]!, levels.priceFraction[i]!, levels.sizeMantissa[i]!, levels.sizeFraction[i]!]);
}

/**
 * The oracle, a separate model of what may be decoded: `JSON.parse` of the text, a book delta or a
 * trade with exactly its input's fields of their JSON types (for a delta every level read by the
 * kernel's `parseLevels`), else undefined.
 */
function oracle(text: string): { input: Record<string, unknown>; bids?: number[][]; asks?: number[][] } | undefined {
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return undefined;
  const r = row as Record<string, unknown>;
  const fields: Record<string, { type: string; required: boolean }> = {};
  const field = (type: string, required = true) => ({ type, required });
  if (r.kind === 'book.delta') {
    Object.assign(fields, { kind: field('string'), time: field('number'), symbol: field('string'), firstUpdateId: field('number'), finalUpdateId: field('number'), previousFinalUpdateId: field('number', false), bids: field('object'), asks: field('object') });
  } else if (r.kind === 'trade') {
    Object.assign(fields, { kind: field('string'), time: field('number'), symbol: field('string'), tradeId: field('number'), price: field('string'), quantity: field('string'), buyerMaker: field('boolean') });
  } else return undefined;
  if (Object.keys(r).some((key) => fields[key] === undefined || typeof r[key] !== fields[key]!.type)) return undefined;
  if (Object.entries(fields).some(([key, f]) => f.required && !(key in r))) return undefined;
  if (r.kind === 'trade') return { input: r };
  if (!Array.isArray(r.bids) || !Array.isArray(r.asks)) return undefined;
  const bids = new DecimalLevels();
  const asks = new DecimalLevels();
  if (parseLevels(r.bids, bids) !== undefined || parseLevels(r.asks, asks) !== undefined) return undefined;
  return { input: { ...r, bids: [], asks: [] }, bids: columns(bids), asks: columns(asks) };
}

/** What the reader gives for row `i`: the input, and for a delta its levels. */
function decoded(reader: DecodedRowReader, i: number): { input: Record<string, unknown>; bids?: number[][]; asks?: number[][] } | undefined {
  const input = reader.input(i);
  if (input === undefined) return undefined;
  if (input.kind === 'trade') return { input: { ...input } };
  const bids = new DecimalLevels();
  const asks = new DecimalLevels();
  reader.readInto(bids, asks);
  return { input: { ...input, bids: [...input.bids], asks: [...input.asks] }, bids: columns(bids), asks: columns(asks) };
}

it('every book delta and trade among the first 40,000 inputs of the spot and USD-M recordings is decoded, to the values JSON.parse gives and the levels parseLevels reads', () => {
  for (const recording of [spot, usdm]) {
    const texts = recording.inputs.slice(0, 40_000).map((input) => JSON.stringify(input));
    // Pages of 10,000 rows, as a restore reads them.
    for (let start = 0; start < texts.length; start += 10_000) {
      const page = texts.slice(start, start + 10_000);
      const reader = decode(page);
      const want = page.map(oracle);
      expect(page.map((_, i) => decoded(reader, i))).toEqual(want);
      // The recordings' market rows are all of the journal's form: none is left to the text path.
      const isMarket = (i: number) => ['book.delta', 'trade'].includes(recording.inputs[start + i]!.kind);
      expect(page.filter((_, i) => isMarket(i) && want[i] === undefined)).toEqual([]);
    }
  }
  expect(usdm.inputs.some((input) => input.kind === 'book.delta' && input.previousFinalUpdateId !== undefined)).toBe(true);
});

/** Rows not in the journal's usual form: each is decoded to exactly what JSON.parse gives, or left to the text path. */
const DELTA = '{"kind":"book.delta","time":1723161255208,"symbol":"BTCUSDT","firstUpdateId":50093239189,"finalUpdateId":50093239202,"bids":[["61737.63000000","0.00000000"]],"asks":[["61837.64000000","1.54698000"],["61839.85","2"]]}';
const TRADE = '{"kind":"trade","time":1723161255342,"symbol":"BTCUSDT","tradeId":3735683259,"price":"61837.63000000","quantity":"0.02000000","buyerMaker":true}';
const LEFT_TO_TEXT: readonly string[] = [
  DELTA.replace('"time":1723161255208', '"time":01723161255208'), // a leading zero is not JSON
  DELTA.replace('"time":1723161255208', '"time":1723161255208.5'),
  DELTA.replace('"time":1723161255208', '"time":1.723161255208e12'),
  DELTA.replace('"time":1723161255208', '"time":1723161255208123'), // 16 digits
  DELTA.replace('"time":1723161255208', '"time":-'),
  DELTA.replace('"time":1723161255208', '"time":"1723161255208"'),
  DELTA.replace('"BTCUSDT"', '"BTC\\u0055SDT"'), // an escape: JSON.parse reads BTCUSDT
  DELTA.replace('"BTCUSDT"', '"BTC\tUSDT"'), // a control character is not JSON
  DELTA.replace('"61737.63000000"', '"6173\\u0037.63"'),
  DELTA.replace('"61737.63000000"', '"61737.63.1"'),
  DELTA.replace('"61737.63000000"', '"9007199254740993"'), // 2^53 + 1: parseLevels refuses it
  DELTA.replace('"61737.63000000"', '"1.0000000000000000001"'), // 19 fractional digits
  DELTA.replace('"61737.63000000"', '61737.63'),
  DELTA.replace('["61737.63000000","0.00000000"]', '["61737.63000000","0.00000000","1"]'),
  DELTA.replace('["61737.63000000","0.00000000"]', '["61737.63000000"]'),
  DELTA.replace('"bids":[', '"bids": ['),
  DELTA.replace('{"kind":"book.delta","time":1723161255208,', '{"kind":"book.delta","symbol":"BTCUSDT","time":1723161255208,').replace(',"symbol":"BTCUSDT","firstUpdateId"', ',"firstUpdateId"'),
  DELTA.replace(',"finalUpdateId":50093239202', ''),
  DELTA.replace(',"finalUpdateId":50093239202', ',"finalUpdateId":50093239202,"previousFinalUpdateId":null'),
  DELTA.replace(',"bids"', ',"extra":1,"bids"'),
  DELTA.replace('"asks":[', '"asks":{').replace(/]]}$/, ']}}'),
  `${DELTA} `,
  `${DELTA}x`,
  DELTA.slice(0, -2),
  DELTA.replace('"book.delta"', '"book.snapshot"'),
  TRADE.replace('"buyerMaker":true', '"buyerMaker":1'),
  TRADE.replace('"buyerMaker":true', '"buyerMaker":truex'),
  TRADE.replace(',"tradeId":3735683259', ''),
  TRADE.replace('"quantity":"0.02000000"', '"quantity":0.02'),
  TRADE.replace('"price":"61837.63000000"', '"price":"61837\\"63"'),
  TRADE.replace('}', ',"extra":true}'),
  '{"kind":"clock","time":1723161255342}',
  'not json',
  '',
];
/** Rows in the journal's form whose values are unusual: decoded, to what JSON.parse gives (the kernel then judges them). */
const DECODED: readonly string[] = [
  DELTA,
  TRADE,
  TRADE.replace('"buyerMaker":true', '"buyerMaker":false'),
  DELTA.replace('"time":1723161255208', '"time":-0'),
  DELTA.replace('"time":1723161255208', '"time":-5'),
  DELTA.replace('"time":1723161255208', '"time":0'),
  DELTA.replace('"time":1723161255208', '"time":999999999999999'),
  DELTA.replace('"BTCUSDT"', '"ETHUSDT"'), // a symbol the kernel does not trade: it refuses the input itself
  DELTA.replace('"BTCUSDT"', '""'),
  DELTA.replace('"bids":[["61737.63000000","0.00000000"]]', '"bids":[]'),
  DELTA.replace('"61737.63000000"', '"-61737.63"'),
  DELTA.replace('"61737.63000000"', '"+7"'),
  DELTA.replace('"61737.63000000"', '"9007199254740991"'), // 2^53 - 1, the most a book level holds
  DELTA.replace(',"bids"', ',"previousFinalUpdateId":50093239188,"bids"'),
  TRADE.replace('"price":"61837.63000000"', '"price":"not a price"'), // the kernel refuses it, from the same string
  TRADE.replace('"BTCUSDT"', '"BTC USDT é"'),
];

it('a row in any other form is left to the text path; one in the journal form is decoded to exactly what JSON.parse gives', () => {
  const rows = [...LEFT_TO_TEXT, ...DECODED];
  const reader = decode(rows);
  rows.forEach((text, i) => {
    const got = decoded(reader, i);
    if (i < LEFT_TO_TEXT.length) expect(got, text).toBeUndefined();
    else expect(got, text).toEqual(oracle(text));
  });
  expect(Object.is(reader.input(LEFT_TO_TEXT.length + 3)!.time, -0)).toBe(true);
});

const CONFIG: KernelConfig = { instruments: [instrumentForRecording(spot)], latencyMs: 50 };

it('a kernel replaying decoded pages ends in the state of a kernel fed the parsed rows, with the same events for every row', () => {
  const market = spot.inputs.slice(0, 8_000);
  const time = (i: number) => market[i]!.time;
  const symbol = spot.symbol;
  const inputs: unknown[] = [...market];
  inputs.splice(200, 0, { kind: 'account.open', time: time(200), account: 'a', balances: { USDT: '100000', BTC: '1' } });
  for (let i = 7_000; i > 300; i -= 700) {
    inputs.splice(i, 0, { kind: 'order.place', time: time(i), account: 'a', symbol, side: 'BUY', type: 'LIMIT', price: '61500.00', quantity: '0.01', clientOrderId: `rest-${i}` });
    inputs.splice(i + 1, 0, { kind: 'order.place', time: time(i), account: 'a', symbol, side: i % 1400 === 0 ? 'SELL' : 'BUY', type: 'MARKET', quantity: '0.002', clientOrderId: `take-${i}` });
  }
  const texts = inputs.map((input) => JSON.stringify(input));
  // Hostile rows among them, both kinds: the kernel answers each the same way on either path.
  texts.splice(texts.length - 300, 0, ...LEFT_TO_TEXT, ...DECODED);

  const oracleKernel = new Kernel(CONFIG);
  const expected: KernelEvent[][] = texts.map((text) => {
    let input: KernelInput;
    try {
      input = JSON.parse(text) as KernelInput;
    } catch {
      input = text as unknown as KernelInput;
    }
    return oracleKernel.handle(input);
  });

  const kernel = new Kernel(CONFIG);
  const got: KernelEvent[][] = [];
  for (let start = 0; start < texts.length; start += 1_000) {
    const page = texts.slice(start, start + 1_000);
    const reader = decode(page);
    page.forEach((text, i) => got.push(handlePageRow(kernel, text, reader, i)));
  }
  expect(got).toEqual(expected);
  expect(kernel.snapshot()).toBe(oracleKernel.snapshot());
  // Some hostile rows were refused, and fills happened: the comparison covered both.
  expect(expected.flat().some((event) => event.type === 'INPUT_REJECTED')).toBe(true);
  expect(expected.flat().some((event) => event.type === 'FILL')).toBe(true);
  // The text path alone gives the same as well.
  const plain = new Kernel(CONFIG);
  for (const text of texts) handleJournaled(plain, text);
  expect(plain.snapshot()).toBe(oracleKernel.snapshot());
});

describeEachDialect((name) => `journal pages read by the worker on ${name}`, (dialect) => {
  it('carry their market rows decoded, to what JSON.parse of the same rows gives', async () => {
    const target = dialect.create();
    const raw = await openAndMigrate(target.url, target.options);
    try {
      const journal = await JournalStore.open(raw.db);
      const texts = [...spot.inputs.slice(0, 300).map((input) => JSON.stringify(input)), ...LEFT_TO_TEXT.filter((t) => t !== ''), ...DECODED];
      for (const text of texts) await journal.appendText(text, 0);
      let row = 0;
      let pages = 0;
      for await (const page of journalRows(journal, target.url, target.options, 1, 64, WORKER_READ_MIN_ROWS)) {
        expect(page.decoded).toBeDefined();
        pages += 1;
        page.texts.forEach((text, i) => {
          expect(text).toBe(texts[row]);
          expect(decoded(page.decoded!, i), text).toEqual(LEFT_TO_TEXT.includes(text) ? undefined : oracle(text));
          row += 1;
        });
      }
      expect(row).toBe(texts.length);
      expect(pages).toBe(Math.ceil(texts.length / 64));
    } finally {
      await raw.close();
      await target.cleanup();
    }
  }, 60_000);
});
