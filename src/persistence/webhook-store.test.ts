import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect, type Harness } from '../test-kit/test-databases.js';
import { WebhookStore } from './webhook-store.js';

describeEachDialect((name) => `the webhook store on ${name}`, (dialect) => {
  let harness: Harness;
  let store: WebhookStore;
  beforeEach(async () => {
    harness = await dialect.open();
    store = new WebhookStore(harness.opened.db);
  });
  afterEach(async () => harness.cleanup());

  const delivery = (id: string, webhookId: string, createdAt: number) => ({ id, webhookId, event: 'FILL', payload: `{"id":"${id}","amount":"0.10"}`, createdAt });

  it('keeps endpoints per account, with their events and secret, and a deleted one readable but inactive', async () => {
    const a = await store.create({ accountId: 'acc_1', url: 'https://example.com/a', events: ['FILL', 'LIQUIDATION'], at: 1_000 });
    const b = await store.create({ accountId: 'acc_2', url: 'http://10.0.0.5/b', events: ['FEED_STALE'], description: 'lan', at: 2_000 });
    expect(a).toMatchObject({ id: expect.stringMatching(/^wh_/), secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{32}$/), deletedAt: null });
    expect(await store.list('acc_1')).toEqual([a]);
    expect(await store.get(b.id)).toEqual(b);
    await store.delete(a.id, 3_000);
    expect(await store.list('acc_1')).toEqual([]);
    expect(await store.list('acc_1', { includeDeleted: true })).toEqual([{ ...a, deletedAt: 3_000 }]);
    expect((await store.active()).map((h) => h.id)).toEqual([b.id]);
  });

  it('writes deliveries pending with their body as given, logs attempts and moves them to delivered or failed', async () => {
    const hook = await store.create({ accountId: 'acc_1', url: 'https://example.com/', events: ['FILL'], at: 1_000 });
    await store.enqueue([delivery('d1', hook.id, 10), delivery('d2', hook.id, 20), delivery('d3', hook.id, 30)]);
    expect((await store.pending()).map((d) => [d.id, d.attempts, d.nextAttemptAt, d.payload])).toEqual([
      ['d1', 0, 10, '{"id":"d1","amount":"0.10"}'],
      ['d2', 0, 20, '{"id":"d2","amount":"0.10"}'],
      ['d3', 0, 30, '{"id":"d3","amount":"0.10"}'],
    ]);
    await store.recordAttempt('d1', { attempt: 1, statusCode: 503, error: 'HTTP 503', at: 100, durationMs: 4 }, { status: 'pending', nextAttemptAt: 2_100 });
    await store.recordAttempt('d1', { attempt: 2, statusCode: 200, error: null, at: 2_200, durationMs: 3 }, { status: 'delivered', nextAttemptAt: null });
    await store.recordAttempt('d2', { attempt: 1, statusCode: null, error: 'ECONNREFUSED', at: 150, durationMs: 1 }, { status: 'failed', nextAttemptAt: null });
    // A delivery that is no longer pending takes no new state and logs no attempt (one that raced a delete).
    await store.recordAttempt('d2', { attempt: 2, statusCode: 200, error: null, at: 160, durationMs: 1 }, { status: 'delivered', nextAttemptAt: null });
    expect((await store.pending()).map((d) => d.id)).toEqual(['d3']);
    const views = await store.deliveries(hook.id, { limit: 10, offset: 0 });
    expect(views.map((v) => [v.id, v.status, v.attempts, v.lastStatusCode, v.lastError, v.completedAt])).toEqual([
      ['d3', 'pending', 0, null, null, null],
      ['d2', 'failed', 1, null, 'ECONNREFUSED', 150],
      ['d1', 'delivered', 2, 200, null, 2_200],
    ]);
    expect(views[2]!.attemptLog).toEqual([
      { attempt: 1, statusCode: 503, error: 'HTTP 503', at: 100, durationMs: 4 },
      { attempt: 2, statusCode: 200, error: null, at: 2_200, durationMs: 3 },
    ]);
    expect(views[1]!.attemptLog.map((a) => a.attempt)).toEqual([1]);
    expect((await store.deliveries(hook.id, { limit: 1, offset: 1 })).map((v) => v.id)).toEqual(['d2']);
  });

  it('cancels what a deleted endpoint still had to receive', async () => {
    const hook = await store.create({ accountId: 'acc_1', url: 'https://example.com/', events: ['FILL'], at: 1_000 });
    await store.enqueue([delivery('d1', hook.id, 10)]);
    await store.delete(hook.id, 500);
    expect(await store.pending()).toEqual([]);
    expect((await store.deliveries(hook.id, { limit: 10, offset: 0 }))[0]).toMatchObject({ status: 'canceled', completedAt: 500, nextAttemptAt: null });
  });
});
