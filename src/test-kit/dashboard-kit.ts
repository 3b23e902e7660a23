/**
 * A dashboard under test: the test service (bundled replay, SQLite), a server with the dashboard
 * listening on a free port, and a headless Chromium; accounts made through the admin API.
 */
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { registerDashboard } from '../api/dashboard-routes.js';
import { buildServer, type ServerOptions } from '../api/server.js';
import type { ServiceDeps } from '../api/service-deps.js';
import { ensureDashboardBuilt, launchChromium, type TestBrowser } from './chromium.js';
import { ADMIN_KEY, startTestService, type TestService, type TestServiceOptions } from './service-kit.js';

export interface DashboardRigOptions {
  readonly service?: TestServiceOptions;
  /** The server's dependencies from the service's (e.g. another mode). */
  readonly deps?: (deps: ServiceDeps) => ServiceDeps;
  /** Server options besides the dashboard plugin (e.g. edge limits). */
  readonly server?: Omit<ServerOptions, 'plugins'>;
}

export interface DashboardRig {
  readonly service: TestService;
  /** The server listening at `base`; `restart` replaces it. */
  readonly app: FastifyInstance;
  readonly browser: TestBrowser;
  /** http://127.0.0.1:<port> */
  readonly base: string;
  /** The browser's first tab. */
  page(): Promise<Page>;
  /** A spot account made by the admin, with `balances` (default 10,000 USDT). */
  createAccount(name: string, balances?: Record<string, string>): Promise<{ id: string; apiKey: string }>;
  /** Closes the server; `inBetween` runs on a new one not yet listening, which then listens on the same port. */
  restart(inBetween?: (app: FastifyInstance) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** Polls `read` until it passes (50 ms apart, 15 s at most), as the page updates on its own. */
export function eventually<T>(read: () => Promise<T> | T): ReturnType<typeof expect.poll<T>> {
  return expect.poll(read, { interval: 50, timeout: 15_000 });
}

export async function startDashboardRig(options: DashboardRigOptions = {}): Promise<DashboardRig> {
  await ensureDashboardBuilt();
  const service = await startTestService(options.service);
  const deps = options.deps?.(service.deps) ?? service.deps;
  const serve = () => buildServer(deps, { ...options.server, plugins: [registerDashboard] });
  let app = await serve();
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await launchChromium();
  return {
    service,
    get app() {
      return app;
    },
    browser,
    base,
    page: async () => browser.context.pages()[0] ?? (await browser.context.newPage()),
    async createAccount(name, balances = { USDT: '10000' }) {
      const res = await fetch(`${base}/api/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name, balances }),
      });
      if (res.status !== 201) throw new Error(`account ${name} not created: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string; apiKey: string };
    },
    async restart(inBetween) {
      await app.close();
      app = await serve();
      await inBetween?.(app);
      await app.listen({ host: '127.0.0.1', port: Number(new URL(base).port) });
    },
    async close() {
      await browser.close();
      await app.close();
      await service.close();
    },
  };
}
