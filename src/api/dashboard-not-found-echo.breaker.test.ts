/**
 * The dashboard's 404 for a file it does not have names the path bounded, as the server's own 404
 * for an unknown route shortens it and as refusals cut a request's value (core/bounded-text.ts): a
 * run of more than 100 non-space characters becomes its first 40 and its length. A path of 15,000
 * characters fits an HTTP request line (Node's header limit, 16 KiB); the oracle is that rule by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../test-kit/service-kit.js';
import { dashboardPlugin } from './dashboard-routes.js';

const X = 'A'.repeat(15_000);
const cut = (run: string) => `${run.slice(0, 40)}…(${run.length} characters)`;

describe('the dashboard asked for a file of a 15,000-character name', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000, plugins: [dashboardPlugin()] });
  });
  afterAll(async () => service?.close());

  for (const path of [`/${X}.js`, `/assets/${X}.css`]) {
    it(`answers 404 naming ${path.slice(0, 12)}… bounded`, async () => {
      const r = await service.app.inject({ url: path });
      expect(r.statusCode).toBe(404);
      expect(r.body.length).toBeLessThan(400);
      expect(r.json()).toEqual({ code: 'NOT_FOUND', message: `no file ${cut(path)}` });
    });
  }
});
