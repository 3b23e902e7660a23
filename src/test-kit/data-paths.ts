/**
 * Where tests find real market data: the project's bundled copy, and the shared data set (the
 * `shared/data` folder beside the project, or PAPERTRADE_SHARED_DATA). Tests that need the shared
 * set skip with a message when it is missing, except under CI=true, where they fail.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BUNDLED_RECORDING = `${PROJECT_ROOT}data/recordings/binance_spot_btcusdt_20240808T2354Z`;
export const SHARED_DATA = process.env.PAPERTRADE_SHARED_DATA ?? `${PROJECT_ROOT}../shared/data`;
export const USDM_RECORDING = `${SHARED_DATA}/recordings/binance_usdm_btcusdt_20240808T2354Z`;
export const SPOT_RECORDING_SHARED = `${SHARED_DATA}/recordings/binance_spot_btcusdt_20240808T2354Z`;

export function sharedDataAvailable(): boolean {
  if (existsSync(USDM_RECORDING)) return true;
  const why = `the shared market data is not at ${SHARED_DATA} (set PAPERTRADE_SHARED_DATA to its data folder)`;
  if (process.env.CI === 'true') throw new Error(why);
  console.warn(`skipped: ${why}`);
  return false;
}
