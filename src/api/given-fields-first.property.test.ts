/**
 * `givenFieldsFirst` accepts and refuses exactly what the schema it reorders does, and stays the
 * schema's size: each route body schema it is given, the original and the reordered one, behind two
 * Fastify routes with the server's validation options (server.ts `VALIDATION_OPTIONS`), sent the same
 * bodies: real exported account documents (a spot account with resting, conditional and filled
 * orders; a futures account with a position) and real order and account bodies, each mutated at
 * random (fields removed, retyped, added; amounts made negative or malformed; arrays emptied or
 * doubled), thousands of them over many seeds. The oracle is the original schema's own verdict.
 * The size bound: a copy of each object's fields at every level doubles the schema per level of
 * nesting; the import document's grew from 18 KB to 270 KB and took Ajv seconds to compile.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPOT_RECORDING, USDM_RECORDING } from '../test-kit/data-paths.js';
import { Rng } from '../test-kit/mulberry32.js';
import { loadRecording, RecordingStepper } from '../test-kit/recording-stepper.js';
import { AccountDocumentSchema } from './account-document-schema.js';
import { givenFieldsFirst } from './given-fields-first.js';
import { CreateAccountBody, ExchangeCredentials, PlaceOrderBody } from './schemas.js';
import { VALIDATION_OPTIONS } from './server.js';

const SEEDS = Number(process.env.GIVEN_FIELDS_SEEDS ?? 40);
const CASES_PER_SEED = Number(process.env.GIVEN_FIELDS_CASES ?? 100);
const T = 1723161300000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function spotDocument(): Json {
  const s = new RecordingStepper(loadRecording(SPOT_RECORDING));
  s.advanceTo(T);
  const time = () => s.kernel.now;
  s.handle({ kind: 'account.open', time: time(), account: 'a', balances: { USDT: '100000', BTC: '1' } });
  s.handle({ kind: 'order.place', time: time(), account: 'a', symbol: s.symbol, side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '50000', clientOrderId: 'rest' });
  s.handle({ kind: 'order.place', time: time(), account: 'a', symbol: s.symbol, side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.01', price: '50000', stopPrice: '50001', clientOrderId: 'stop' });
  s.handle({ kind: 'order.place', time: time(), account: 'a', symbol: s.symbol, side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'taken' });
  return JSON.parse(s.kernel.exportAccount('a')!) as Json;
}

function futuresDocument(): Json {
  const s = new RecordingStepper(loadRecording(USDM_RECORDING));
  s.advanceTo(T);
  const time = () => s.kernel.now;
  s.handle({ kind: 'account.open', time: time(), account: 'f', type: 'futures', marginMode: 'isolated', leverage: 10, balances: { USDT: '10000' } });
  s.handle({ kind: 'order.place', time: time(), account: 'f', symbol: s.symbol, side: 'BUY', type: 'MARKET', quantity: '0.01' });
  s.handle({ kind: 'order.place', time: time(), account: 'f', symbol: s.symbol, side: 'SELL', type: 'TAKE_PROFIT', quantity: '0.01', stopPrice: '70000', reduceOnly: true });
  return JSON.parse(s.kernel.exportAccount('f')!) as Json;
}

const ORDER_BODIES: Json[] = [
  { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '61000.5', clientOrderId: 'c1' },
  { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.5', takeProfit: { stopPrice: '60000' }, stopLoss: { stopPrice: '63000', price: '63100' } },
  { symbol: 'BTCUSDT', side: 'BUY', type: 'STOP_LOSS', quantity: '1', stopPrice: '62000' },
];
const ACCOUNT_BODIES: Json[] = [
  { name: 'x', balances: { USDT: '1000', BTC: '0.5' } },
  { name: 'y', type: 'futures', balances: { USDT: '1000' }, exchangeCredentials: { apiKey: 'k', secret: 's' } },
];
const CREDENTIAL_BODIES: Json[] = [{ apiKey: 'key', secret: 'secret' }];

/** Replacement values a caller might send by mistake, or on purpose. */
const STRANGE: Json[] = ['', 'x', '-1', '1e5', ' 1', 0, -1, 1.5, 2 ** 60, true, null, [], {}, { $n: '-5' }, { $n: 'x' }, { $n: '5' }, ['a'], 'BUY', 'LIMIT', 'spot', 'NEW'];

/** Every path to a value inside `value`: keys of objects, indexes of arrays. */
function paths(value: Json, at: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(at);
  if (Array.isArray(value)) value.forEach((item, i) => paths(item, [...at, i], out));
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) paths(item, [...at, key], out);
  return out;
}

function mutate(value: Json, rng: Rng): Json {
  const copy = structuredClone(value);
  for (let n = rng.int(0, 3); n > 0; n--) {
    const path = rng.pick(paths(copy));
    if (path.length === 0) continue;
    let parent = copy as Record<string | number, Json>;
    for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, Json>;
    const last = path.at(-1)!;
    const kind = rng.int(0, 4);
    if (kind === 0 && !Array.isArray(parent)) delete parent[last];
    else if (kind === 1) parent[last] = structuredClone(rng.pick(STRANGE));
    else if (kind === 2 && !Array.isArray(parent)) parent[rng.pick(['colour', 'extra', 'zz', '$n', String(last)])] = structuredClone(rng.pick(STRANGE));
    else if (kind === 3 && Array.isArray(parent[last])) (parent[last] as Json[]).length = 0;
    else if (kind === 4 && Array.isArray(parent[last])) (parent[last] as Json[]).push(...structuredClone(parent[last] as Json[]));
    else parent[last] = structuredClone(rng.pick(STRANGE));
  }
  return copy;
}

/** One app: the schema as written at `/original`, reordered at `/reordered`, each echoing `ok`. */
async function pair(schema: TSchema): Promise<FastifyInstance> {
  const app = Fastify({ ajv: VALIDATION_OPTIONS });
  app.post('/original', { schema: { body: schema } }, async () => ({ ok: true }));
  app.post('/reordered', { schema: { body: givenFieldsFirst(schema) } }, async () => ({ ok: true }));
  await app.ready();
  return app;
}

const ImportBody = { type: 'object', properties: { document: AccountDocumentSchema }, required: ['document'], additionalProperties: false } as unknown as TSchema;

describe('givenFieldsFirst: the same verdicts, the same size', () => {
  const cases: Array<[string, TSchema, Json[]]> = [];
  const apps = new Map<string, FastifyInstance>();
  beforeAll(async () => {
    cases.push(['the import document', ImportBody, [{ document: spotDocument() }, { document: futuresDocument() }]]);
    cases.push(['an order', PlaceOrderBody, ORDER_BODIES]);
    cases.push(['an account', CreateAccountBody, ACCOUNT_BODIES]);
    cases.push(['exchange credentials', ExchangeCredentials, CREDENTIAL_BODIES]);
    for (const [name, schema] of cases) apps.set(name, await pair(schema));
  }, 60_000);
  afterAll(async () => {
    for (const app of apps.values()) await app.close();
  });

  it('the unmutated bodies pass both (the mutations start from valid bodies)', async () => {
    for (const [name, , bodies] of cases) {
      for (const body of bodies) {
        for (const url of ['/original', '/reordered']) {
          const res = await apps.get(name)!.inject({ method: 'POST', url, payload: body as object });
          expect(res.statusCode, `${name} ${url}: ${res.body}`).toBe(200);
        }
      }
    }
  });

  it(`${SEEDS} seeds × ${CASES_PER_SEED} mutated bodies per schema: accepted by the reordered schema exactly when by the original`, async () => {
    const tally = { accepted: 0, refused: 0 };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const rng = new Rng(seed);
      for (const [name, , bodies] of cases) {
        const app = apps.get(name)!;
        for (let i = 0; i < CASES_PER_SEED; i++) {
          const body = mutate(rng.pick(bodies), rng);
          const payload = JSON.stringify(body);
          const original = await app.inject({ method: 'POST', url: '/original', payload, headers: { 'content-type': 'application/json' } });
          const reordered = await app.inject({ method: 'POST', url: '/reordered', payload, headers: { 'content-type': 'application/json' } });
          expect(reordered.statusCode, `${name}, seed ${seed}, case ${i}: ${payload.slice(0, 400)}`).toBe(original.statusCode);
          if (original.statusCode === 200) tally.accepted++;
          else tally.refused++;
        }
      }
    }
    // Both verdicts occur often enough for the comparison to mean something.
    expect(tally.accepted).toBeGreaterThan(SEEDS * CASES_PER_SEED * 0.2);
    expect(tally.refused).toBeGreaterThan(SEEDS * CASES_PER_SEED * 0.5);
  }, 120_000);

  it('adds at most one small object per object with required fields: no copy per level of nesting', () => {
    for (const [name, schema] of cases) {
      const before = JSON.stringify(schema);
      const after = JSON.stringify(givenFieldsFirst(schema));
      const objects = (before.match(/"required":\[/g) ?? []).length;
      expect(after.length, name).toBeLessThanOrEqual(before.length + objects * '{"type":"object"},"allOf":[]'.length);
    }
  });
});
