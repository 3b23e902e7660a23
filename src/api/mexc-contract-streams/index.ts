/** MEXC's contract (futures) WebSocket at `/mexc/contract/edge` (registered by `buildServer`; docs/adr/0043). */
export { registerMexcContractStreams, MEXC_CONTRACT_WS_PATH, type MexcContractStreamOptions } from './mexc-contract-streams.js';
export { ContractStreamSession, TICKER_INTERVAL_MS } from './contract-stream-session.js';
