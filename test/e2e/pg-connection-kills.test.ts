/**
 * `papertrade serve` as a child process on PostgreSQL while its connections are terminated under
 * load (`pg_terminate_backend`, as a database restart, failover or idle timeout would): the process
 * stays up, a request meanwhile answers 503 UNAVAILABLE at worst (never another 5xx), `/ready`
 * comes back by itself, and after a restart on the same database every order that was answered
 * 201 is listed, with the status it was answered with or a later one.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { startServeProcess, stopServeProcess, type ServeProcess } from '../../src/test-kit/serve-process.js';
import { describePostgres, PG_URL } from '../../src/test-kit/test-databases.js';
import { until } from '../../src/test-kit/wait.js';

const ADMIN = 'pg-kills-admin-key-0123456789abcdef';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function call(base: string, method: string, path: string, key: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed };
}

describePostgres('the server process on PostgreSQL while its connections are terminated under load', () => {

  const database = `papertrade_kills_${randomBytes(5).toString('hex')}`;
  const application = `papertrade_kills_${randomBytes(4).toString('hex')}`;
  const servers: ServeProcess[] = [];
  afterAll(async () => {
    for (const s of servers) await stopServeProcess(s);
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`drop database if exists "${database}" with (force)`);
    await admin.end();
  });

  it('stays up, answers 503 at worst, and keeps every acknowledged order across a restart', async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create database "${database}"`);
    await admin.end();
    const url = new URL(PG_URL);
    url.pathname = `/${database}`;
    url.searchParams.set('application_name', application);
    const env = { DATABASE_URL: url.toString(), ADMIN_API_KEY: ADMIN, REPLAY_SPEED: '1', LOG_LEVEL: 'error', RATE_LIMIT_MAX: '0', AUTH_FAILURE_LIMIT: '0' };
    const first = await startServeProcess(0, env);
    const port = first.port;
    servers.push(first);

    const accounts: { id: string; apiKey: string }[] = [];
    for (let i = 0; i < 4; i += 1) {
      const created = await call(first.url, 'POST', '/api/accounts', ADMIN, { name: `load-${i}`, balances: { USDT: '1000000', BTC: '10' } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      accounts.push(created.body as { id: string; apiKey: string });
    }

    const acknowledged = new Map<string, { account: string; status: string }>();
    const problems: string[] = [];
    let refused = 0;
    let running = true;
    const client = async (account: { id: string; apiKey: string }, n: number) => {
      for (let i = 0; running; i += 1) {
        const clientOrderId = `k${n}-${i}`;
        // Resting limits up to 50 a client (100 an account), under the 200 open orders a symbol allows.
        const limit = i % 3 === 0 && i < 150;
        const order = { symbol: 'BTCUSDT', side: i % 2 === 0 ? 'BUY' : 'SELL', type: limit ? 'LIMIT' : 'MARKET', quantity: '0.001', clientOrderId, ...(limit ? { price: i % 2 === 0 ? '50000.00' : '70000.00' } : {}) };
        let answer: Answer;
        try {
          answer = await call(first.url, 'POST', '/api/orders', account.apiKey, order);
        } catch (error) {
          problems.push(`${clientOrderId}: no answer (${String(error)})`);
          await sleep(50);
          continue;
        }
        if (answer.status === 201) acknowledged.set(clientOrderId, { account: account.id, status: String(answer.body.status) });
        else if (answer.status === 503) {
          refused += 1;
          if (answer.body.code !== 'UNAVAILABLE' || typeof answer.body.message !== 'string') problems.push(`${clientOrderId}: 503 off shape ${JSON.stringify(answer.body)}`);
          await sleep(20);
        } else problems.push(`${clientOrderId}: ${answer.status} ${JSON.stringify(answer.body)}`);
      }
    };

    const killer = new pg.Client({ connectionString: PG_URL });
    killer.on('error', () => undefined);
    await killer.connect();
    let killed = 0;
    const clients = accounts.flatMap((a, i) => [client(a, 2 * i), client(a, 2 * i + 1)]);
    try {
      // Kills paced by progress, not by the clock: each after 10 more orders acknowledged; then 10
      // more after the last, so the server is seen to take orders again.
      const acknowledgedAnother = async (what: string) => {
        const before = acknowledged.size;
        await until(() => acknowledged.size >= before + 10, what);
      };
      for (let round = 0; round < 6; round += 1) {
        await acknowledgedAnother(`10 more orders acknowledged before kill ${round + 1}`);
        const result = await killer.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()', [application]);
        killed += result.rowCount ?? 0;
      }
      await acknowledgedAnother('10 more orders acknowledged after the last kill');
    } finally {
      running = false;
      await Promise.all(clients);
      await killer.end();
    }

    expect(first.child.exitCode, first.output().slice(-2000)).toBeNull();
    let ready = 0;
    for (let i = 0; i < 200 && ready !== 200; i += 1) {
      ready = (await fetch(`${first.url}/ready`)).status;
      if (ready !== 200) await sleep(100);
    }
    expect(ready).toBe(200);
    console.log(`pg kills: ${killed} connections terminated in 6 rounds; orders acknowledged ${acknowledged.size}, refused 503 ${refused}; other answers ${problems.length}`);
    expect(killed).toBeGreaterThan(0);
    expect(problems.slice(0, 10)).toEqual([]);
    expect(acknowledged.size).toBeGreaterThan(50);
    const after = await call(first.url, 'POST', '/api/orders', accounts[0]!.apiKey, { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' });
    expect(after.body).toMatchObject({ status: 'FILLED' });
    await stopServeProcess(first);
    expect(first.output()).not.toMatch(/unhandled|uncaught/i);

    // A restart on the same database: every acknowledged order is listed.
    const second = await startServeProcess(port, env);
    servers.push(second);
    const listed = new Map<string, string>();
    for (const account of accounts) {
      for (let offset = 0; ; offset += 500) {
        const page = await call(second.url, 'GET', `/api/orders?limit=500&offset=${offset}`, account.apiKey);
        expect(page.status).toBe(200);
        const items = page.body.items as Array<{ clientOrderId: string; status: string }>;
        for (const o of items) listed.set(o.clientOrderId, o.status);
        if (items.length < 500) break;
      }
    }
    const missing = [...acknowledged.keys()].filter((id) => !listed.has(id));
    expect(missing).toEqual([]);
    // A filled order stays filled; one acknowledged open may since have filled or still be open.
    const changed = [...acknowledged].filter(([id, a]) => a.status === 'FILLED' && listed.get(id) !== 'FILLED');
    expect(changed).toEqual([]);
    expect((await fetch(`${second.url}/ready`)).status).toBe(200);
  }, 180_000);
});
