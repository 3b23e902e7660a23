/** Configuration: environment → validated AppConfig, and the live-trading interlock. */
export {
  loadConfig,
  describeConfig,
  formatConfigErrors,
  LOG_LEVELS,
  BALANCE_PREFIX,
  DEFAULT_DATABASE_URL,
  DEFAULT_REPLAY_RECORDING,
  PACKAGE_ROOT,
  portProblem,
  type AppConfig,
  type ConfigError,
  type LoadConfigOptions,
  type LogLevel,
  type Result,
} from './config.js';
export { adminKeyProblem, DEFAULT_EDGE_LIMITS, MIN_ADMIN_KEY_LENGTH, type EdgeLimits } from './limits-config.js';
export { checkLiveInterlock, describeRefusal, LiveTradingRefusedError, LIVE_TRADING_CONFIRMATION, type InterlockDecision } from './live-interlock.js';
