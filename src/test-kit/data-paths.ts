/**
 * Where tests and benchmarks find real market data: all of it is bundled in the project's `data/`
 * folder (sources and licences in data/PROVENANCE.md), so a fresh clone runs every test on its own.
 */
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DATA_DIR = `${PROJECT_ROOT}data`;
/** OHLCV candle files, `open_time_ms,open,high,low,close,volume`. */
export const CANDLES_DIR = `${DATA_DIR}/candles`;
/** Exchange metadata and REST payload excerpts (exchangeInfo, ccxt markets and responses). */
export const EXCHANGE_DIR = `${DATA_DIR}/exchange`;
/** Binance spot BTCUSDT, 2024-08-08 23:54 → 00:05, with book ticker and raw websocket streams. */
export const SPOT_RECORDING = `${DATA_DIR}/recordings/binance_spot_btcusdt_20240808T2354Z`;
/** Binance USD-M perpetual BTCUSDT, 2024-08-08 23:54 → 00:00, with book ticker. */
export const USDM_RECORDING = `${DATA_DIR}/recordings/binance_usdm_btcusdt_20240808T2354Z`;
/** The recording the product itself ships with (`papertrade replay` without `--recording`). */
export const BUNDLED_RECORDING = SPOT_RECORDING;

export const candlesFile = (name: string): string => `${CANDLES_DIR}/${name}`;
export const exchangeFile = (name: string): string => `${EXCHANGE_DIR}/${name}`;
