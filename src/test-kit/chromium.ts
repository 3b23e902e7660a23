/**
 * Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core, and the
 * dashboard bundle built when it is missing or older than its sources.
 *
 * Without Chromium a suite says it skipped, except under CI=true, where importing this fails.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { DASHBOARD_DIR } from '../api/dashboard-routes.js';
import { PROJECT_ROOT } from './data-paths.js';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

/** Says why a browser suite does not run (or fails under CI); returns whether it can. */
export function chromiumOrSkip(suite: string): boolean {
  if (haveChromium) return true;
  if (process.env.CI === 'true') throw new Error(`no Chromium at ${CHROMIUM}: .ci/run installs it with apt-get install -y chromium`);
  console.warn(`${suite} skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  return false;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds the dashboard with Vite's JS API when dist/dashboard is missing or older than its sources. */
export async function ensureDashboardBuilt(): Promise<void> {
  const index = join(DASHBOARD_DIR, 'index.html');
  const sources = Math.max(newestMtime(join(PROJECT_ROOT, 'src/dashboard')), statSync(join(PROJECT_ROOT, 'vite.config.ts')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const { build } = await import('vite');
  await build({ configFile: join(PROJECT_ROOT, 'vite.config.ts'), logLevel: 'warn' });
}

export interface TestBrowser {
  readonly context: BrowserContext;
  /** Closes Chromium, then removes its profile. */
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile. */
export async function launchChromium(viewport = { width: 1280, height: 800 }): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'papertrade-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport,
  });
  // An action that cannot act (an element never visible, stable or enabled) fails naming the action
  // and the element, well inside a test's own time limit, instead of waiting for ever.
  context.setDefaultTimeout(30_000);
  return {
    context,
    async close() {
      await context.close();
      // Chromium's last writes to the profile can trail the close by a moment.
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}
