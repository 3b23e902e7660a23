/**
 * The dashboard at `/`: the Vite build in `dist/dashboard` served as static files (node:fs, no
 * extra package), with an SPA fallback to `index.html` for paths without a file extension, and
 * `POST /api/mode`, the dashboard's mode toggle.
 *
 * The server never changes mode while it runs. Asking for live answers 409 `LIVE_TRADING_REFUSED`
 * with the interlock's missing pieces (`deps.mode.liveRefusedBecause`); live trading needs a
 * restart with PAPER_TRADING=false, LIVE_TRADING_CONFIRM and the exchange key and secret.
 * Asking for the mode already in force answers 200.
 *
 * Security headers (@fastify/helmet, on these routes only): a Content-Security-Policy that lets the
 * page load and connect to its own origin only (scripts, styles, fonts, images, fetch and the
 * WebSocket), no plugins, no <base>; framing forbidden twice (`frame-ancestors 'none'` and
 * `X-Frame-Options: DENY`); `Referrer-Policy: no-referrer`, so a `?key=` link never leaks through a
 * Referer. No HSTS and no upgrade-insecure-requests: the server speaks plain HTTP, usually on
 * localhost.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { boundedText } from '../core/bounded-text.js';
import { ACCOUNT_OR_ADMIN_KEY } from './edge-guards.js';
import { givenFieldsFirst } from './given-fields-first.js';
import type { ServiceDeps } from './service-deps.js';

/** `dist/dashboard` of this package, from `src/api` (tsx) and `dist/api` (built) alike. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Paths that belong to the API: an unknown one stays a JSON 404, never the SPA page. */
const API_PREFIXES = ['/api/', '/binance', '/ws', '/docs', '/health', '/ready'];

export interface DashboardOptions {
  /** The built dashboard (default: dist/dashboard of this package). */
  readonly dir?: string;
}

/** The dashboard's Content-Security-Policy: its own origin only. */
export const DASHBOARD_CSP_DIRECTIVES: Readonly<Record<string, readonly string[]>> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

export function dashboardPlugin(options: DashboardOptions = {}): (app: FastifyInstance, deps: ServiceDeps) => Promise<void> {
  return (app, deps) => registerDashboardAt(app, deps, options.dir ?? DASHBOARD_DIR);
}

/** The plugin for `buildServer(deps, { plugins: [registerDashboard] })`. */
export async function registerDashboard(app: FastifyInstance, deps: ServiceDeps): Promise<void> {
  await registerDashboardAt(app, deps, DASHBOARD_DIR);
}

async function registerDashboardAt(app: FastifyInstance, deps: ServiceDeps, dir: string): Promise<void> {
  // Its own scope, so the security headers apply to the dashboard's routes and no others.
  await app.register(async (scope) => {
    await scope.register(fastifyHelmet, {
      contentSecurityPolicy: { useDefaults: false, directives: DASHBOARD_CSP_DIRECTIVES as Record<string, string[]> },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      strictTransportSecurity: false,
      crossOriginEmbedderPolicy: false,
    });
    registerDashboardRoutes(scope, deps, dir);
  });
}

function registerDashboardRoutes(app: FastifyInstance, deps: ServiceDeps, dir: string): void {
  const root = normalize(dir.endsWith(sep) ? dir : dir + sep);

  app.post<{ Body: { mode: 'live' | 'paper' } }>(
    '/api/mode',
    {
      // The key before the body is parsed, as on every route that needs one (edge-guards.ts).
      config: ACCOUNT_OR_ADMIN_KEY,
      schema: {
        tags: ['service'],
        summary: 'Ask to switch between paper and live trading (the server never switches while running)',
        body: givenFieldsFirst(Type.Object({ mode: Type.Union([Type.Literal('live'), Type.Literal('paper')]) }, { additionalProperties: false })),
      },
    },
    async (request, reply) => {
      const wanted = request.body.mode;
      const current = deps.mode.mode;
      if (wanted === current) return { mode: current, changed: false };
      const missing = [...deps.mode.liveRefusedBecause];
      if (wanted === 'live') {
        return reply.code(409).send({
          code: 'LIVE_TRADING_REFUSED',
          message:
            missing.length > 0
              ? `Live trading is refused: the interlock is not satisfied. The server never switches modes while it runs; restart it with all of: ${missing.join('; ')}.`
              : 'The server never switches modes while it runs: restart it with PAPER_TRADING=false to trade live.',
          missing,
        });
      }
      return reply.code(409).send({
        code: 'MODE_CHANGE_NEEDS_RESTART',
        message: 'The server never switches modes while it runs: restart it with PAPER_TRADING=true to go back to paper trading.',
        missing: [],
      });
    },
  );

  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    let path: string;
    try {
      path = decodeURIComponent((request.url.split('?')[0] ?? '/').split('#')[0] ?? '/');
    } catch {
      return reply.code(400).send({ code: 'BAD_URL', message: 'the URL is not valid: a percent-escape does not decode' });
    }
    // An unknown API path is the server's 404 (or 405), in its dialect, never the SPA page.
    if (API_PREFIXES.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`))) return reply.callNotFound();
    const relative = path === '/' ? 'index.html' : path.replace(/^\/+/, '');
    const file = normalize(join(root, relative));
    if (!file.startsWith(root)) return reply.code(404).send({ code: 'NOT_FOUND', message: 'not found' });
    const found = await isFile(file);
    if (found) return sendFile(reply, file, relative.startsWith('assets/'));
    // The path is the request's: named cut when absurdly long (core/bounded-text.ts).
    if (extname(relative) !== '') return reply.code(404).send({ code: 'NOT_FOUND', message: boundedText(`no file ${path}`) });
    const index = join(root, 'index.html');
    if (!(await isFile(index))) {
      return reply.code(503).type('text/plain; charset=utf-8').send('The dashboard is not built: run `npm run build` (it runs `vite build`).');
    }
    return sendFile(reply, index, false);
  };
  app.get('/', { schema: { hide: true } }, serve);
  app.get('/*', { schema: { hide: true } }, serve);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function sendFile(reply: FastifyReply, file: string, immutable: boolean): Promise<FastifyReply> {
  const body = await readFile(file);
  return reply
    .type(CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream')
    .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .send(body);
}
