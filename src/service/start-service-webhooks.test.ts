import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../test-kit/serve-process.js';
import { WebhookReceiver } from '../test-kit/webhook-receiver.js';
import { startService, StartupError } from './start-service.js';
import { until } from '../test-kit/wait.js';
import { scratchDir } from '../test-kit/scratch-dir.js';

const SECRET = 'operator-webhook-secret-for-tests';

describe('papertrade serve with webhooks', () => {
  it("sends the operator's endpoint (WEBHOOK_URL) the fills it chose, signed with WEBHOOK_SECRET, and serves /api/webhooks", async () => {
    const receiver = await WebhookReceiver.start();
    const dir = scratchDir('papertrade-webhooks-');
    const env = {
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, PORT: String(await freePort()), HOST: '127.0.0.1', REPLAY_SPEED: 'max', LOG_LEVEL: 'silent',
      ADMIN_API_KEY: 'webhook-test-admin-key-0123456789', WEBHOOK_URL: receiver.url('/ops'), WEBHOOK_SECRET: SECRET, WEBHOOK_EVENTS: 'FILL',
    };
    const lines: string[] = [];
    const service = await startService(env, { print: (line) => lines.push(line) });
    try {
      const apiKey = /API key: +(\S+)/.exec(lines.join('\n'))![1]!;
      const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
      const placed = await fetch(`${service.url}/api/orders`, { method: 'POST', headers, body: JSON.stringify({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' }) });
      expect(placed.status).toBe(201);
      const order = (await placed.json()) as { orderId: string };
      await until(() => receiver.accepted().length > 0, 'the FILL delivered');
      const [delivery] = receiver.accepted();
      const payload = JSON.parse(delivery!.body);
      expect(payload).toMatchObject({ type: 'FILL', data: { orderId: order.orderId, quantity: '0.001' } });
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(String(delivery!.headers['x-papertrade-signature']))!;
      expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${delivery!.body}`).digest('hex'));
      // The operator's endpoint belongs to no account: an account lists only its own.
      const listed = await fetch(`${service.url}/api/webhooks`, { headers: { authorization: `Bearer ${apiKey}` } });
      expect(((await listed.json()) as { items: unknown[] }).items).toEqual([]);
    } finally {
      await service.stop();
      await receiver.close();
    }
  }, 60_000);

  it('refuses to start on a webhook setting it cannot use, saying which', async () => {
    const env = { DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent', WEBHOOK_URL: 'ftp://example.com/x', WEBHOOK_SECRET: 'short' };
    const refused = startService(env, { print: () => undefined });
    await expect(refused).rejects.toThrow(StartupError);
    await expect(refused).rejects.toThrow(/WEBHOOK_URL: the scheme must be http or https, not ftp[\s\S]*WEBHOOK_SECRET: required with WEBHOOK_URL, at least 16 characters/);
  });
});
