import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventListener } from '../api/engine-hub.js';
import type { KernelEvent, LiquidationEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { openAndMigrate, type PersistenceDatabase } from '../persistence/database.js';
import { WebhookStore } from '../persistence/webhook-store.js';
import { WebhookReceiver } from '../test-kit/webhook-receiver.js';
import { sleep, until } from '../test-kit/wait.js';
import { retryDelayMs, WebhookDispatcher, type WebhookDispatcherOptions } from './webhook-dispatcher.js';
import { verifyWebhookSignature, webhookSignature } from './webhook-signature.js';
import { scratchDir } from '../test-kit/scratch-dir.js';

/** An engine hub stand-in: what it publishes reaches the subscribers as the real hub's would. */
class FakeHub {
  private readonly listeners = new Set<EventListener>();
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  publish(...events: KernelEvent[]): void {
    for (const listener of this.listeners) listener(events, { kind: 'timer', time: 0 } as unknown as KernelInput);
  }
}

const liquidation = (account: string, positionId: string): LiquidationEvent => ({
  type: 'LIQUIDATION', at: 1723161400000, account, symbol: 'BTCUSDT', positionId, direction: 'LONG', size: '0.1', entryPrice: '61828',
  markPrice: '61580.5', liquidationPrice: '61580.6', bankruptcyPrice: '61333.9', liquidationFee: '3.08', realizedPnl: '-24.75', marginLost: '49.46',
});

describe('the webhook dispatcher', () => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) await thing.close();
  });

  async function setUp(): Promise<{ database: PersistenceDatabase; store: WebhookStore; hub: FakeHub; receiver: WebhookReceiver; url: string }> {
    const url = `sqlite:${join(scratchDir('papertrade-webhooks-'), 'test.db')}`;
    const database = await openAndMigrate(url);
    const receiver = await WebhookReceiver.start();
    open.push(database, receiver);
    return { database, store: new WebhookStore(database.db), hub: new FakeHub(), receiver, url };
  }

  function dispatcher(options: Omit<WebhookDispatcherOptions, 'retry'> & { retry?: WebhookDispatcherOptions['retry'] }): WebhookDispatcher {
    const d = new WebhookDispatcher({ retry: { baseDelayMs: 30, maxDelayMs: 120, maxAttempts: 10_000 }, ...options });
    open.push({ close: () => d.stop() });
    return d;
  }

  it('waits a jittered, doubling, capped time between attempts', () => {
    const policy = { maxAttempts: 10, baseDelayMs: 1_000, maxDelayMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(policy, n, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(policy, n, () => 0))).toEqual([500, 1_000, 2_000, 4_000, 5_000, 5_000]);
    expect(retryDelayMs(policy, 2, () => 0.5)).toBe(1_500);
  });

  it('signs as Stripe does, and the check refuses another secret, another body and an old signature', () => {
    const body = '{"id":"whd_1","type":"FILL"}';
    const header = webhookSignature('whsec_abc', body, 1_700_000_000);
    expect(header).toBe(`t=1700000000,v1=${createHmac('sha256', 'whsec_abc').update(`1700000000.${body}`).digest('hex')}`);
    expect(verifyWebhookSignature('whsec_abc', body, header, { nowSeconds: 1_700_000_100 })).toBe(true);
    expect(verifyWebhookSignature('whsec_abd', body, header, { nowSeconds: 1_700_000_100 })).toBe(false);
    expect(verifyWebhookSignature('whsec_abc', `${body} `, header, { nowSeconds: 1_700_000_100 })).toBe(false);
    expect(verifyWebhookSignature('whsec_abc', body, header, { nowSeconds: 1_700_000_301 })).toBe(false);
  });

  it('resumes pending deliveries after a restart and delivers each once, numbering attempts on', async () => {
    const { store, hub, receiver } = await setUp();
    receiver.answer = 503;
    const first = dispatcher({ store, hub });
    await first.start();
    const hook = await first.add({ accountId: 'acc_1', url: receiver.url('/liq'), events: ['LIQUIDATION'] });
    hub.publish(liquidation('acc_1', 'p1'), liquidation('acc_2', 'p2'));
    await until(async () => ((await store.deliveries(hook.id, { limit: 10, offset: 0 }))[0]?.attempts ?? 0) >= 2, 'two refused attempts');
    await first.stop();
    // Stopping waits for the request in flight and writes every attempt made.
    const attemptsBefore = receiver.requests.length;
    const [pending] = await store.pending();
    expect(pending).toMatchObject({ webhookId: hook.id, event: 'LIQUIDATION', attempts: attemptsBefore });
    hub.publish(liquidation('acc_1', 'p3')); // while stopped: not heard

    receiver.answer = 200;
    const second = dispatcher({ store, hub });
    await second.start();
    await until(() => receiver.accepted().length === 1, 'the delivery after the restart');
    await second.stop();
    expect(receiver.requests.length).toBe(attemptsBefore + 1);
    const body = JSON.parse(receiver.accepted()[0]!.body);
    expect(body).toMatchObject({ id: pending!.id, type: 'LIQUIDATION', account: 'acc_1', data: { positionId: 'p1', marginLost: '49.46' } });
    const [delivery] = await store.deliveries(hook.id, { limit: 10, offset: 0 });
    expect(delivery).toMatchObject({ status: 'delivered', attempts: attemptsBefore + 1, lastStatusCode: 200 });
    expect(delivery!.attemptLog.map((a) => a.statusCode)).toEqual([...Array<number>(attemptsBefore).fill(503), 200]);
  });

  it('gives up after the last attempt and marks the delivery failed', async () => {
    const { store, hub, receiver } = await setUp();
    receiver.answer = 500;
    const d = dispatcher({ store, hub, retry: { baseDelayMs: 10, maxDelayMs: 20, maxAttempts: 3 } });
    await d.start();
    const hook = await d.add({ accountId: 'acc_1', url: receiver.url(), events: ['LIQUIDATION'] });
    hub.publish(liquidation('acc_1', 'p1'));
    await until(async () => (await store.deliveries(hook.id, { limit: 1, offset: 0 }))[0]?.status === 'failed', 'the delivery to fail');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.requests).toHaveLength(3);
    expect((await store.deliveries(hook.id, { limit: 1, offset: 0 }))[0]).toMatchObject({ attempts: 3, lastStatusCode: 500, lastError: 'HTTP 500', nextAttemptAt: null });
    expect(await store.pending()).toEqual([]);
  });

  it("sends the operator's endpoint every account's events, and a deleted endpoint nothing more", async () => {
    const { store, hub, receiver } = await setUp();
    receiver.answer = 503;
    const d = dispatcher({ store, hub, operator: { url: receiver.url('/operator'), secret: 'operator-secret-0123456789', events: ['LIQUIDATION'] } });
    await d.start();
    const mine = await d.add({ accountId: 'acc_1', url: receiver.url('/mine'), events: ['LIQUIDATION'] });
    hub.publish(liquidation('acc_1', 'p1'), liquidation('acc_2', 'p2'));
    await until(() => receiver.requests.filter((r) => r.path === '/mine').length >= 1, 'a first attempt');
    await d.remove(mine.id);
    await new Promise((resolve) => setTimeout(resolve, 100));
    receiver.answer = 200;
    await until(() => receiver.accepted('/operator').length === 2, "the operator's deliveries");
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(receiver.accepted('/mine')).toEqual([]);
    expect((await store.deliveries(mine.id, { limit: 5, offset: 0 }))[0]).toMatchObject({ status: 'canceled' });
    expect(receiver.accepted('/operator').map((r) => JSON.parse(r.body).account).sort()).toEqual(['acc_1', 'acc_2']);
    for (const r of receiver.accepted('/operator')) expect(verifyWebhookSignature('operator-secret-0123456789', r.body, String(r.headers['x-papertrade-signature']))).toBe(true);
  });

  it('reports a feed turning stale once, and its recovery, to the endpoints that chose them', async () => {
    const { store, hub, receiver } = await setUp();
    let status: 'synced' | 'stale' | 'resync-needed' = 'synced';
    let polls = 0;
    const feeds = () => {
      polls += 1;
      return [{ symbol: 'BTCUSDT', source: 'live', status, lastEventAt: 1, reason: status === 'stale' ? 'no book update for 5000 ms' : undefined } as never];
    };
    // Each status is held until the dispatcher has read it (a poll after the change), however slow the machine.
    const polled = async () => {
      const before = polls;
      await until(() => polls > before, 'the dispatcher to read the feeds');
    };
    const d = dispatcher({ store, hub, feedPollMs: 10, feeds });
    await d.start();
    await d.add({ accountId: 'acc_1', url: receiver.url('/feeds'), events: ['FEED_STALE', 'FEED_RECOVERED'] });
    await d.add({ accountId: 'acc_2', url: receiver.url('/fills'), events: ['FILL'] });
    await polled();
    status = 'stale';
    await polled();
    status = 'resync-needed';
    await polled();
    status = 'synced';
    await until(() => receiver.accepted().length >= 2, 'feed events');
    await new Promise((resolve) => setTimeout(resolve, 100));
    // stale, then through a resync back to synced: stale once, recovered once (sent concurrently: any order).
    expect(receiver.accepted().map((r) => [r.path, JSON.parse(r.body).type, JSON.parse(r.body).data.reason ?? null]).sort()).toEqual([
      ['/feeds', 'FEED_RECOVERED', null],
      ['/feeds', 'FEED_STALE', 'no book update for 5000 ms'],
    ]);
    status = 'stale';
    await polled();
    status = 'synced';
    await until(() => receiver.accepted().length === 4, 'stale and recovered again');
    expect(receiver.accepted().map((r) => JSON.parse(r.body).type).sort()).toEqual(['FEED_RECOVERED', 'FEED_RECOVERED', 'FEED_STALE', 'FEED_STALE']);
  });
});
