/** MEXC's Spot v3 streams: listen keys and the protobuf WebSocket at `/mexc/ws` (registered by `buildServer`). */
export { registerMexcStreams } from './mexc-streams.js';
export { MEXC_WS_PATH, type MexcStreamOptions } from './mexc-stream.js';
export { encodePush, type PushMessage } from './mexc-push-proto.js';
