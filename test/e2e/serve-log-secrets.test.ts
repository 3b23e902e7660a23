/**
 * `papertrade serve` as a user runs it, logging at the trace level: the keys it generates are printed
 * once, when they are created, and no key, secret or signature that later requests carry — in
 * `?key=` and other query parameters, headers or bodies, right or wrong — reaches its output; a
 * restart prints no key at all.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mexcSignature } from '../../src/api/mexc/mexc-signature.js';
import { startServeProcess, stopServeProcess, type ServeProcess } from '../../src/test-kit/serve-process.js';
import { until } from '../../src/test-kit/wait.js';
import { scratchDir } from '../../src/test-kit/scratch-dir.js';

describe('the server process log', () => {
  const servers: ServeProcess[] = [];
  afterAll(async () => {
    for (const s of servers) await stopServeProcess(s);
  });

  it('prints generated keys once, at creation, and no secret a request carries', async () => {
    const env = { DATABASE_URL: `sqlite:${join(scratchDir('papertrade-log-secrets-'), 'db.sqlite')}`, REPLAY_SPEED: '1', LOG_LEVEL: 'trace' };
    const first = await startServeProcess(0, env);
    const port = first.port;
    servers.push(first);
    const startup = first.output();
    const adminKey = /admin API key[^:]*: (ptadmin_\S+)/.exec(startup)?.[1];
    const defaultKey = /API key: +(\S+)/.exec(startup)?.[1];
    expect(adminKey, startup).toBeDefined();
    expect(defaultKey, startup).toBeDefined();

    const created = await fetch(`${first.url}/api/accounts`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'logged', balances: { USDT: '1000' } }) });
    expect(created.status).toBe(201);
    const { apiKey, apiSecret } = (await created.json()) as { apiKey: string; apiSecret: string };
    const query = `symbol=BTCUSDT&timestamp=${Date.now()}`;
    const signature = mexcSignature(apiSecret, query);
    const guess = 'ptadmin_guessed-admin-key-0123456789';
    const requests: Array<[string, RequestInit]> = [
      [`/?key=${apiKey}`, {}],
      [`/?key=${adminKey}`, {}],
      [`/api/v3/account?${query}&signature=${signature}`, { headers: { 'x-mexc-apikey': apiKey } }],
      [`/api/account/balances?apiKey=${apiKey}&secret=${apiSecret}`, { headers: { authorization: `Bearer ${apiKey}` } }],
      ['/api/accounts', { headers: { authorization: `Bearer ${guess}` } }],
      [`/api/nothing/${apiKey}?token=${defaultKey}`, { headers: { 'x-api-key': apiKey } }],
      ['/api/orders', { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: `{"apiSecret":"${apiSecret}","broken` }],
      [`/api/accounts/import`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ document: { apiKey, apiSecret } }) }],
    ];
    for (const [path, init] of requests) {
      const res = await fetch(`${first.url}${path}`, init);
      expect(res.status, path.slice(0, 40)).toBeLessThan(500);
    }
    // Requests are logged, with their URLs: wait for the last one's line (the log is written in order).
    await until(() => first.output().slice(startup.length).includes('/api/accounts/import'), 'the log line of the last request');
    const later = first.output().slice(startup.length);
    expect(later).toContain('/api/v3/account?symbol=BTCUSDT');
    for (const secret of [adminKey!, defaultKey!, apiKey, apiSecret, signature, guess]) expect(later).not.toContain(secret);
    await stopServeProcess(first);
    for (const secret of [apiKey, apiSecret, signature, guess]) expect(first.output()).not.toContain(secret);

    const second = await startServeProcess(port, env);
    servers.push(second);
    const again = await fetch(`${second.url}/api/account/balances`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(again.status).toBe(200);
    for (const secret of [adminKey!, defaultKey!, apiKey, apiSecret]) expect(second.output()).not.toContain(secret);
  }, 120_000);
});
