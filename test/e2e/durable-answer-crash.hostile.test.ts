/**
 * ADR 0084 against SIGKILL: `papertrade serve` (the real CLI, latency on, the real EventWaiter) is
 * killed the moment it has answered some orders and cancels while many more are in flight. Every
 * answered order and cancel must be in the journal the database keeps, with its audit entry, and
 * the audit entry's outcome must be what a restarted service shows.
 */
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startServeProcess, stopServeProcess, type ServeProcess } from '../../src/test-kit/serve-process.js';
import { scratchDir } from '../../src/test-kit/scratch-dir.js';

const ADMIN = 'durable-answer-crash-admin-key-0123456789';
type Account = { id: string; apiKey: string; apiSecret: string };

async function call(base: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await r.text();
  return { status: r.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

function binanceOrder(base: string, a: Account, clientOrderId: string) {
  const query = new URLSearchParams({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '50000.00', newClientOrderId: clientOrderId, timestamp: String(Date.now()) }).toString();
  const signature = createHmac('sha256', a.apiSecret).update(query).digest('hex');
  return call(base, 'POST', `/binance/api/v3/order?${query}&signature=${signature}`, { 'x-mbx-apikey': a.apiKey });
}

describe('SIGKILL right after answers', () => {
  const servers: ServeProcess[] = [];
  afterAll(async () => {
    for (const s of servers) {
      if (s.child.exitCode === null && s.child.signalCode === null) await stopServeProcess(s);
    }
  });

  it('every order and cancel answered before the kill is journaled, audited with the outcome answered, and what a restart shows', async () => {
    const dir = scratchDir('papertrade-durable-answer-crash-');
    const database = join(dir, 'crash.db');
    const env = { DATABASE_URL: `sqlite:${database}`, REPLAY_SPEED: '1', LATENCY_MS: '50', LOG_LEVEL: 'error', ADMIN_API_KEY: ADMIN };
    const server = await startServeProcess(0, env);
    servers.push(server);
    const created = await call(server.url, 'POST', '/api/accounts', { authorization: `Bearer ${ADMIN}` }, { name: 'crash', balances: { USDT: '1000000' } });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const a = created.json as Account;
    const bearer = { authorization: `Bearer ${a.apiKey}` };
    // A few resting orders to cancel while the storm goes on.
    const resting: string[] = [];
    for (let i = 0; i < 8; i += 1) {
      const r = await call(server.url, 'POST', '/api/orders', bearer, { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000.00', clientOrderId: `rest${i}` });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      resting.push((r.json as { orderId: string }).orderId);
    }
    const placed = new Map<string, { orderId: string; status: string }>();
    const canceled = new Set<string>();
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      server.child.kill('SIGKILL');
    };
    const requests: Promise<void>[] = [];
    for (let i = 0; i < 60; i += 1) {
      const tag = `storm${i}`;
      const request = i % 2 === 0 ? call(server.url, 'POST', '/api/orders', bearer, { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000.00', clientOrderId: tag }) : binanceOrder(server.url, a, tag);
      requests.push(
        request.then(
          (r) => {
            if (killed) return;
            if (r.status === 200 || r.status === 201) {
              const body = r.json as { orderId: string | number; status: string };
              placed.set(tag, { orderId: String(body.orderId), status: body.status });
              // The kill lands right after the answer is read, with the rest still in flight.
              if (placed.size >= 20) kill();
            }
          },
          () => undefined,
        ),
      );
      if (i < resting.length) {
        const id = resting[i]!;
        requests.push(
          call(server.url, 'DELETE', `/api/orders/${id}`, bearer).then(
            (r) => {
              if (!killed && r.status === 200) canceled.add(id);
            },
            () => undefined,
          ),
        );
      }
    }
    await Promise.all(requests);
    kill();
    await new Promise((resolve) => (server.child.exitCode !== null || server.child.signalCode !== null ? resolve(undefined) : server.child.once('exit', resolve)));
    expect(server.child.signalCode).toBe('SIGKILL');
    expect(placed.size).toBeGreaterThanOrEqual(5);

    // What the killed process left on disk (the WAL included), read as it is.
    const db = new Database(database, { readonly: true });
    let journaled: Set<string>;
    let audits: { action: string; details: string }[];
    try {
      journaled = new Set(
        (db.prepare('select input from journal').all() as { input: string }[]).flatMap((r) => {
          const input = JSON.parse(r.input) as { kind: string; clientOrderId?: string; orderId?: string };
          return input.kind === 'order.place' ? [`place:${input.clientOrderId}`] : input.kind === 'order.cancel' ? [`cancel:${input.orderId}`] : [];
        }),
      );
      audits = db.prepare("select action, details from audit_log where action in ('order.place', 'order.cancel')").all() as { action: string; details: string }[];
    } finally {
      db.close();
    }
    const auditedPlaces = new Map<string, { orderId?: string; status?: string }>();
    const auditedCancels = new Map<string, { status?: string }>();
    for (const e of audits) {
      const details = JSON.parse(e.details) as { request?: { clientOrderId?: string }; orderId?: string; result?: { orderId?: string; status?: string } };
      if (e.action === 'order.place') auditedPlaces.set(String(details.request?.clientOrderId), details.result ?? {});
      else auditedCancels.set(String(details.orderId), details.result ?? {});
    }
    for (const [tag, answer] of placed) {
      expect(journaled.has(`place:${tag}`), `answered order ${tag} is not in the journal`).toBe(true);
      expect(auditedPlaces.get(tag), `answered order ${tag} has no audit entry`).toMatchObject({ orderId: answer.orderId });
    }
    for (const id of canceled) {
      expect(journaled.has(`cancel:${id}`), `answered cancel of ${id} is not in the journal`).toBe(true);
      expect(auditedCancels.get(id), `answered cancel of ${id} has no audit entry`).toMatchObject({ status: 'CANCELED' });
    }

    // A restart shows every audited outcome.
    const again = await startServeProcess(0, env);
    servers.push(again);
    for (const [tag, result] of auditedPlaces) {
      if (result.orderId === undefined) continue;
      const r = await call(again.url, 'GET', `/api/orders/${result.orderId}`, bearer);
      expect(r.status, `${tag}: ${JSON.stringify(r.json)}`).toBe(200);
      const shown = (r.json as { status: string }).status;
      if (canceled.has(result.orderId) || auditedCancels.get(result.orderId)?.status === 'CANCELED') expect(shown).toBe('CANCELED');
    }
    for (const [id, result] of auditedCancels) {
      if (result.status !== 'CANCELED') continue;
      const r = await call(again.url, 'GET', `/api/orders/${id}`, bearer);
      expect((r.json as { status: string }).status, id).toBe('CANCELED');
    }
    await stopServeProcess(again);
  });
});
