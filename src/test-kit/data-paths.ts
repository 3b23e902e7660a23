/** Where tests find real market data: the project's bundled copy, and the shared data beside it. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BUNDLED_RECORDING = `${PROJECT_ROOT}data/recordings/binance_spot_btcusdt_20240808T2354Z`;
export const SHARED_DATA = `${PROJECT_ROOT}../shared/data`;
export const USDM_RECORDING = `${SHARED_DATA}/recordings/binance_usdm_btcusdt_20240808T2354Z`;
export const SPOT_RECORDING_SHARED = `${SHARED_DATA}/recordings/binance_spot_btcusdt_20240808T2354Z`;

export function sharedDataAvailable(): boolean {
  return existsSync(USDM_RECORDING);
}
