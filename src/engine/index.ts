/** The durable engine service: one kernel behind a journal, snapshots and read tables. */
export { SnapshotConfigError } from '../core/kernel/kernel-snapshot.js';
export { DurableEngine, type Acknowledged, type DurableEngineOptions, type RestoreOutcome } from './durable-engine.js';
export { InputRefusedError, inputProblem } from './input-guard.js';
export { loopRecording } from './looped-recording.js';
export { EngineUnavailableError, type EngineState, type EngineStatus } from './engine-status.js';
