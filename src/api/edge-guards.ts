/**
 * The edge's guards, registered before any route: the request rate limit per account key
 * (@fastify/rate-limit), the back-off on failed authentications per client address
 * (auth-throttle.ts), the key check of native routes that need one (before the body is parsed
 * or validated: a caller without a valid key learns nothing of the rules), the refusal of numbers
 * that are not finite, and the index of routes that tells a 405 from a 404.
 *
 * Rate limit keys: a request with a known account key counts against that account (whichever
 * dialect carries the key: `Authorization: Bearer`, `X-MEXC-APIKEY` or `X-MBX-APIKEY`), the admin key against
 * "admin", anything else against its client address, as MEXC counts keyed endpoints per UID and
 * the others per IP. An unknown key counts against the address, so random keys buy no extra quota.
 */
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EdgeLimits } from '../config/limits-config.js';
import { bearerToken, isAdmin, requireAccount, requireAccountOrAdmin, requireAdmin } from './auth.js';
import { AuthThrottle } from './auth-throttle.js';
import { HttpError } from './http-errors.js';
import type { ServiceDeps } from './service-deps.js';
import { clientAddress } from './client-address.js';
import { queryUtf8Error } from './utf8-request.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The failed-authentication back-off of this server. */
    authThrottle: AuthThrottle;
  }
  interface FastifyContextConfig {
    /** The key a native route needs, checked on request, before its body is parsed or validated. */
    auth?: 'account' | 'admin' | 'account-or-admin';
  }
}

/** Route options of a native route that needs an account's key (`config: ACCOUNT_KEY`). */
export const ACCOUNT_KEY = { auth: 'account' } as const;
/** Route options of a native route that needs the admin key. */
export const ADMIN_KEY_ONLY = { auth: 'admin' } as const;
/** Route options of a native route that takes an account's key or the admin key. */
export const ACCOUNT_OR_ADMIN_KEY = { auth: 'account-or-admin' } as const;

/** The key a request presents, in any dialect (native Bearer, MEXC's, Binance's or MEXC contract's key header). */
export function presentedKey(request: FastifyRequest): string | undefined {
  const bearer = bearerToken(request);
  if (bearer !== undefined) return bearer;
  for (const header of ['x-mexc-apikey', 'x-mbx-apikey', 'apikey']) {
    const given = request.headers[header];
    const value = Array.isArray(given) ? given[0] : given;
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

/** Whether the request tries to authenticate at all (a key header, right or wrong). */
export function presentsCredentials(request: FastifyRequest): boolean {
  const authorization = request.headers.authorization;
  return (typeof authorization === 'string' && authorization !== '') || presentedKey(request) !== undefined;
}

export function authBackoffError(retryAfterMs: number): HttpError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new HttpError(429, { code: 'TOO_MANY_AUTH_FAILURES', message: `too many failed authentications from this address: retry in ${seconds} s` });
}

export async function registerEdgeGuards(app: FastifyInstance, deps: ServiceDeps, limits: EdgeLimits): Promise<void> {
  const throttle = new AuthThrottle({ failureLimit: limits.authFailureLimit, backoffMs: limits.authBackoffMs, maxBackoffMs: limits.authBackoffMaxMs });
  app.decorate('authThrottle', throttle);

  // Both run on every request, so as one hook in Fastify's callback form: an async hook costs a
  // promise and a turn of the microtask queue per request. What each checks, and in what order, is
  // unchanged.
  app.addHook('onRequest', (request, reply, done) => {
    // A query whose escapes are not UTF-8 is refused whole, not read with U+FFFD in their place.
    const notUtf8 = queryUtf8Error(request.url);
    if (notUtf8 !== undefined) return done(notUtf8);
    // An address in back-off gets no key checked; requests without a key (public data) still pass.
    if (throttle.enabled && presentsCredentials(request)) {
      const wait = throttle.retryAfterMs(clientAddress(request));
      if (wait > 0) {
        void reply.header('retry-after', String(Math.max(1, Math.ceil(wait / 1000))));
        return done(authBackoffError(wait));
      }
    }
    // Authentication before validation: Fastify validates in its own step after preValidation, so the
    // key of a route that needs one is checked here, and a wrong key answers 401 whatever the body.
    const auth = request.routeOptions.config.auth;
    try {
      if (auth === 'account') requireAccount(request, deps.credentials);
      else if (auth === 'admin') requireAdmin(request, deps.adminKeyHash);
      else if (auth === 'account-or-admin') requireAccountOrAdmin(request, deps.credentials, deps.adminKeyHash);
    } catch (error) {
      return done(error as Error);
    }
    done();
  });

  // The validator coerces a string such as "1e400" to Infinity and then lets it through as an
  // integer within bounds; no route can use a number that is not finite. Nor a text holding U+0000
  // (a JSON `\u0000`, a query's `%00`): PostgreSQL's text columns refuse it, so such a name or id
  // would fail at the database instead of here.
  app.addHook('preHandler', (request, _reply, done) => {
    const found = unusable(request.query, 'querystring', 0) ?? unusable(request.params, 'params', 0) ?? unusable(request.body, 'body', 0);
    if (found === undefined) return done();
    const message = found.nul ? `${found.path} must not contain the character U+0000 (NUL)` : `${found.path} must be a finite number`;
    done(new HttpError(400, { code: 'INVALID_REQUEST', message }));
  });

  if (limits.rateLimitMax > 0) {
    await app.register(fastifyRateLimit, {
      global: true,
      max: limits.rateLimitMax,
      timeWindow: limits.rateLimitWindowMs,
      keyGenerator: (request) => rateKey(request, deps),
      errorResponseBuilder: (_request, context) =>
        Object.assign(new HttpError(429, { code: 'RATE_LIMITED', message: `request rate limit reached: ${context.max} per ${limits.rateLimitWindowMs} ms; retry in ${context.after}` }), { statusCode: 429 }),
    });
  }
}

/**
 * The first value of a parsed request part no route can use, with its path: a number that is not
 * finite (NaN, ±Infinity), or a string or key holding U+0000.
 */
export function unusable(value: unknown, path: string, depth: number): { readonly path: string; readonly nul: boolean } | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path, nul: false };
  if (typeof value === 'string') return value.includes('\u0000') ? { path, nul: true } : undefined;
  if (depth > 12 || typeof value !== 'object' || value === null) return undefined;
  // Every request passes here: no [key, value] pair per field, and a path written only for what is found.
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (key.includes('\u0000')) return { path: `${path}/${JSON.stringify(key).slice(1, -1)}`, nul: true };
    const found = unusable(object[key], '', depth + 1);
    if (found !== undefined) return { path: `${path}/${key}${found.path}`, nul: found.nul };
  }
  return undefined;
}

function rateKey(request: FastifyRequest, deps: ServiceDeps): string {
  const key = presentedKey(request);
  if (key !== undefined) {
    const profile = deps.credentials.byApiKey(key);
    if (profile !== undefined) return `account:${profile.accountId}`;
    if (isAdmin(request, deps.adminKeyHash)) return 'admin';
  }
  return `ip:${clientAddress(request)}`;
}

/**
 * The routes by method and path pattern, to answer 405 (with `Allow`) when a path exists under
 * other methods. Wildcard routes (the dashboard's fallback) are left out: they take any path.
 */
export class RouteIndex {
  private readonly routes: Array<{ readonly methods: readonly string[]; readonly pattern: RegExp }> = [];

  add(method: string | readonly string[], url: string): void {
    if (url.includes('*')) return;
    const source = url
      .split('/')
      .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    this.routes.push({ methods: typeof method === 'string' ? [method] : method, pattern: new RegExp(`^${source}/?$`) });
  }

  /** The methods this path takes, sorted; empty when no route has it. */
  allowed(url: string): string[] {
    const path = url.split('?')[0] ?? '';
    const methods = new Set<string>();
    for (const route of this.routes) if (route.pattern.test(path)) for (const m of route.methods) methods.add(m);
    return [...methods].sort();
  }
}
