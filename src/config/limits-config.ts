/**
 * The edge's limits, from the environment. Defaults follow MEXC Spot v3's published limits
 * (500 requests per 10 s per account for keyed endpoints, per IP for the others; at most 30
 * WebSocket subscriptions per connection) so a bot tuned for MEXC runs here unchanged.
 */
import { isIP } from 'node:net';

export interface EdgeLimits {
  /** RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_MS per account key (per IP without one); 0 = no rate limit. */
  readonly rateLimitMax: number;
  readonly rateLimitWindowMs: number;
  /** AUTH_FAILURE_LIMIT wrong keys per client IP before it must wait; 0 = no back-off. */
  readonly authFailureLimit: number;
  /** AUTH_BACKOFF_MS: the first wait; doubling with each further failure up to AUTH_BACKOFF_MAX_MS. */
  readonly authBackoffMs: number;
  readonly authBackoffMaxMs: number;
  /** WS_MAX_FRAME_BYTES: a larger client frame closes the connection (1009). */
  readonly wsMaxFrameBytes: number;
  /** WS_MAX_SUBSCRIPTIONS: channels one connection may hold. */
  readonly wsMaxSubscriptions: number;
  /** WS_MAX_CONNECTIONS_PER_IP: WebSocket connections open at once from one address (429 beyond). */
  readonly wsMaxConnectionsPerIp: number;
  /** BODY_LIMIT_BYTES: the largest request body (413 above). */
  readonly bodyLimitBytes: number;
}

export const DEFAULT_EDGE_LIMITS: EdgeLimits = Object.freeze({
  rateLimitMax: 500,
  rateLimitWindowMs: 10_000,
  authFailureLimit: 10,
  authBackoffMs: 1_000,
  authBackoffMaxMs: 900_000,
  wsMaxFrameBytes: 16_384,
  wsMaxSubscriptions: 30,
  // Binance allows 300 connection attempts per 5 minutes per IP: a client within that opens no more at once.
  wsMaxConnectionsPerIp: 300,
  bodyLimitBytes: 1_048_576,
});

/** proxy-addr's names for address ranges, which Fastify's `trustProxy` accepts beside addresses and CIDR blocks. */
const TRUST_PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY: the reverse proxies whose `X-Forwarded-For` names the client, as a comma-separated
 * list of addresses, CIDR blocks (`10.0.0.0/8`, `fd00::/8`) or proxy-addr's range names
 * (`loopback`, `linklocal`, `uniquelocal`); unset: none, each client is its socket's address.
 * Every per-address count (the request rate without a key, the failed-authentication back-off, the
 * WebSocket connection cap) then counts the client the trusted proxy names. `true` (any hop) is
 * refused: a client reaching the service directly could name any address and escape every count.
 */
export function parseTrustProxy(text: string | undefined, fail: (variable: string, message: string) => undefined): readonly string[] {
  if (text === undefined) return Object.freeze([]);
  const entries = text.split(',').map((e) => e.trim());
  const problem = entries.find((e) => !TRUST_PROXY_NAMES.has(e) && !isAddressOrBlock(e));
  if (problem === undefined) return Object.freeze(entries);
  const why = problem === '' ? 'holds an empty entry' : /^(true|\*)$/i.test(problem) ? `must name the proxies: "${problem}" would trust any client to name its own address` : `"${problem}" is not an IP address, a CIDR block or one of loopback, linklocal, uniquelocal`;
  fail('TRUST_PROXY', `${why} (a comma-separated list, e.g. 127.0.0.1,10.0.0.0/8)`);
  return Object.freeze([]);
}

/** An IPv4 or IPv6 address, optionally with a prefix length its family allows. */
function isAddressOrBlock(text: string): boolean {
  const slash = text.indexOf('/');
  const family = isIP(slash < 0 ? text : text.slice(0, slash));
  if (family === 0) return false;
  if (slash < 0) return true;
  const prefix = text.slice(slash + 1);
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** The shortest ADMIN_API_KEY accepted: 16 characters (a random key: `openssl rand -hex 24`). */
export const MIN_ADMIN_KEY_LENGTH = 16;

interface LimitVariable {
  readonly name: string;
  readonly field: keyof EdgeLimits;
  readonly min: number;
  readonly max: number;
  readonly help: string;
}

const VARIABLES: readonly LimitVariable[] = [
  { name: 'RATE_LIMIT_MAX', field: 'rateLimitMax', min: 0, max: 1_000_000_000, help: 'requests per window (0 = no rate limit)' },
  { name: 'RATE_LIMIT_WINDOW_MS', field: 'rateLimitWindowMs', min: 1, max: 86_400_000, help: 'milliseconds from 1 to 86400000' },
  { name: 'AUTH_FAILURE_LIMIT', field: 'authFailureLimit', min: 0, max: 1_000_000, help: 'failed authentications before a back-off (0 = none)' },
  { name: 'AUTH_BACKOFF_MS', field: 'authBackoffMs', min: 1, max: 86_400_000, help: 'milliseconds from 1 to 86400000' },
  { name: 'AUTH_BACKOFF_MAX_MS', field: 'authBackoffMaxMs', min: 1, max: 604_800_000, help: 'milliseconds from 1 to 604800000' },
  { name: 'WS_MAX_FRAME_BYTES', field: 'wsMaxFrameBytes', min: 64, max: 16_777_216, help: 'bytes from 64 to 16777216' },
  { name: 'WS_MAX_SUBSCRIPTIONS', field: 'wsMaxSubscriptions', min: 1, max: 10_000, help: 'channels from 1 to 10000' },
  { name: 'WS_MAX_CONNECTIONS_PER_IP', field: 'wsMaxConnectionsPerIp', min: 1, max: 100_000, help: 'connections from 1 to 100000' },
  { name: 'BODY_LIMIT_BYTES', field: 'bodyLimitBytes', min: 1_024, max: 1_073_741_824, help: 'bytes from 1024 to 1073741824' },
];

/** Reads the limits; `fail(variable, message)` records a problem. */
export function parseEdgeLimits(get: (name: string) => string | undefined, fail: (variable: string, message: string) => undefined): EdgeLimits {
  const limits: Record<string, number> = { ...DEFAULT_EDGE_LIMITS };
  for (const v of VARIABLES) {
    const text = get(v.name);
    if (text === undefined) continue;
    const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isSafeInteger(n) && n >= v.min && n <= v.max) limits[v.field] = n;
    else fail(v.name, `must be a whole number: ${v.help}`);
  }
  if (limits.authBackoffMaxMs! < limits.authBackoffMs!) fail('AUTH_BACKOFF_MAX_MS', 'must not be smaller than AUTH_BACKOFF_MS');
  return Object.freeze(limits as unknown as EdgeLimits);
}

/** Why this admin key is refused, or undefined. */
export function adminKeyProblem(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (key.length < MIN_ADMIN_KEY_LENGTH) return `must be at least ${MIN_ADMIN_KEY_LENGTH} characters long (got ${key.length}); use a long random key, e.g. \`openssl rand -hex 24\`, or leave it unset to have one generated`;
  if (/\s/.test(key)) return 'must not contain spaces (it is sent as Authorization: Bearer <key>)';
  return undefined;
}
