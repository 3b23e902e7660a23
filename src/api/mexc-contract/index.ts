/**
 * The MEXC contract (futures) API at `/api/v1/contract` and `/api/v1/private` (a server plugin:
 * `buildServer(deps, { plugins: [registerMexcContractApi, registerMexcApi] })`, the contract API
 * first). Sizes are MEXC contracts; see mexc-contract-symbols.ts and docs/adr/0031.
 */
export { registerMexcContractApi, CONTRACT_DETAIL_PATH, type MexcContractApiOptions } from './mexc-contract-api.js';
export { MexcContractError, contractErrorOf, contractErrors, isMexcContractPath, mexcContractBodyOf } from './mexc-contract-errors.js';
export { contractSignature, verifyContractRequest, sortedQuery } from './mexc-contract-signature.js';
export { contractOf, contractSizeOf, findContract, volOf, quantityOfVol, type Contract } from './mexc-contract-symbols.js';
