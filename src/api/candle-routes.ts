/**
 * `GET /api/market/candles/:symbol?interval=1m&limit=500`: OHLCV candles of the market's real trades
 * since the feed started (public, like the exchanges' klines).
 *
 * Where the candles come from: every trade the engine handled since the journal's oldest kept input is in it (JOURNAL_RETENTION_MS, ADR 0038),
 * so at start the route reads the journal's trade inputs once, in pages, and from then on takes
 * each trade from the engine hub as it is handled. Live trades that arrive while the journal is
 * read wait until it is done; a trade seen both ways is counted once (trade-candles.ts). A trade the
 * engine refused (INPUT_REJECTED, quarantined) makes no candle.
 * Cost at start: one pass over the journal's trade rows, 5,000 a query.
 * Intervals: 1m, 5m, 15m, 1h, 4h, 1d; the forming candle is the last one.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { KernelInput, TradeInput } from '../core/kernel/inputs.js';
import { CANDLE_INTERVALS, TradeCandles } from '../market-data/trade-candles.js';
import type { Database } from '../persistence/schema.js';
import { HttpError } from './http-errors.js';
import type { ServiceDeps } from './service-deps.js';

const JOURNAL_PAGE = 5_000;

/** Reads the trade inputs of the journal into `candles`, page by page. */
async function backfillFromJournal(db: Kysely<Database>, candles: TradeCandles): Promise<number> {
  let after = 0;
  let applied = 0;
  for (;;) {
    const rows = await db
      .selectFrom('journal')
      .select(['seq', 'input'])
      .where('seq', '>', after)
      .where('input', 'like', '%"kind":"trade"%')
      .where('seq', 'not in', db.selectFrom('quarantined_inputs').select('seq'))
      .orderBy('seq', 'asc')
      .limit(JOURNAL_PAGE)
      .execute();
    for (const row of rows) {
      try {
        const input = JSON.parse(row.input) as KernelInput;
        if (input.kind === 'trade' && candles.add(input.symbol, input)) applied += 1;
      } catch {
        // Not a trade the kernel could have taken (it would be quarantined): no candle.
      }
    }
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < JOURNAL_PAGE) return applied;
    after = Number(last.seq);
  }
}

export function registerCandleRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const candles = new TradeCandles();
  let waiting: TradeInput[] | undefined = [];
  const unsubscribe = deps.hub.subscribe((events, input) => {
    if (input.kind !== 'trade' || events[0]?.type === 'INPUT_REJECTED') return;
    if (waiting !== undefined) waiting.push(input);
    else candles.add(input.symbol, input);
  });
  app.addHook('onClose', async () => unsubscribe());
  const ready = backfillFromJournal(deps.db, candles)
    .catch((error: unknown) => app.log.warn({ err: error }, 'candles: the journal could not be read; candles start with the live trades'))
    .finally(() => {
      const held = waiting ?? [];
      waiting = undefined;
      for (const trade of held) candles.add(trade.symbol, trade);
    });

  const intervals = Object.keys(CANDLE_INTERVALS);
  app.get<{ Params: { symbol: string }; Querystring: { interval: string; limit: number } }>(
    '/api/market/candles/:symbol',
    {
      schema: {
        tags: ['market'],
        summary: 'OHLCV candles of the real trades since the feed started (the last one is forming)',
        querystring: Type.Object(
          {
            interval: Type.Union(intervals.map((i) => Type.Literal(i)), { default: '1m', description: `one of ${intervals.join(', ')}` }),
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 500 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { symbol } = request.params;
      if (deps.hub.kernel.instrument(symbol) === undefined) throw HttpError.of({ code: 'UNKNOWN_SYMBOL', message: `unknown symbol ${symbol}` });
      await ready;
      const { interval, limit } = request.query;
      return { symbol, interval, items: candles.candles(symbol, CANDLE_INTERVALS[interval]!, limit) };
    },
  );
}
