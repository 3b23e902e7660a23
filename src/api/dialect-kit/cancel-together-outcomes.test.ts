/**
 * `cancelTogether` when the cancels of one step do not all go the same way: each cancel made (or
 * refused by the venue) gets its audit entry, in the order given, before the error of one that threw
 * (the engine unavailable, a cancel refused before the journal) is raised; the route then answers
 * that error, and no cancel that was made goes unrecorded. The facade here is a stand-in that
 * answers with fixed outcomes (and an engine status): what is checked is cancelTogether's own bookkeeping.
 */
import { describe, expect, it } from 'vitest';
import { EngineUnavailableError, type EngineState } from '../../engine/engine-status.js';
import type { Answered, OrderView } from '../../execution/order-execution-service.js';
import type { ServiceDeps } from '../service-deps.js';
import { cancelTogether, type AuditCall } from './facade-calls.js';

const view = (orderId: string): OrderView =>
  ({ orderId, clientOrderId: `c${orderId}`, symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', status: 'CANCELED', price: '30000', quantity: '0.001', executedQty: '0', cumulativeQuoteQty: '0', createdAt: 1, updatedAt: 2, mode: 'paper' }) as OrderView;

function depsAnswering(outcomes: PromiseSettledResult<Answered<OrderView>>[], state: EngineState = 'ready'): ServiceDeps & { readonly asked: number } {
  const deps = {
    asked: 0,
    hub: { engineStatus: { state } },
    execution: {
      mode: 'paper',
      cancelOrders: async () => {
        deps.asked += 1;
        return outcomes;
      },
    },
  };
  return deps as unknown as ServiceDeps & { readonly asked: number };
}

function recordingAudit(): { audit: AuditCall; entries: { action: string; details: Record<string, unknown> }[] } {
  const entries: { action: string; details: Record<string, unknown> }[] = [];
  return {
    entries,
    audit: async (action, _accountId, details, durable) => {
      entries.push({ action, details });
      await durable;
    },
  };
}

describe('cancelTogether with mixed outcomes', () => {
  it('writes the entries of the cancels made and refused, in order, then raises the error one threw', async () => {
    const unavailable = new Error('the read tables are behind');
    const deps = depsAnswering([
      { status: 'fulfilled', value: { ok: true, value: view('1'), durable: Promise.resolve() } },
      { status: 'rejected', reason: unavailable },
      { status: 'fulfilled', value: { ok: false, error: { code: 'ORDER_NOT_OPEN', message: 'not open' }, durable: Promise.resolve() } },
    ]);
    const { audit, entries } = recordingAudit();
    await expect(cancelTogether(deps, audit, 'a1', [{ orderId: '1' }, { orderId: '2' }, { orderId: '3' }])).rejects.toBe(unavailable);
    expect(entries).toEqual([
      { action: 'order.cancel', details: { orderId: '1', result: { status: 'CANCELED' } } },
      { action: 'order.cancel', details: { orderId: '3', result: { code: 'ORDER_NOT_OPEN', message: 'not open' } } },
    ]);
  });

  it('raises a durability failure of the step after every entry was written, never a success', async () => {
    const lost = new Error('fdatasync failed');
    const failed = Promise.reject(lost);
    failed.catch(() => undefined);
    const deps = depsAnswering([
      { status: 'fulfilled', value: { ok: true, value: view('1'), durable: failed } },
      { status: 'fulfilled', value: { ok: true, value: view('2'), durable: failed } },
    ]);
    const { audit, entries } = recordingAudit();
    await expect(cancelTogether(deps, audit, 'a1', [{ orderId: '1' }, { orderId: '2' }])).rejects.toBe(lost);
    expect(entries.map((e) => e.details['orderId'])).toEqual(['1', '2']);
  });

  it('refuses at once, cancelling and auditing nothing, when the engine is not ready, even with nothing to cancel', async () => {
    for (const state of ['failed', 'closed', 'unavailable', 'restoring'] as const) {
      const deps = depsAnswering([], state);
      const { audit, entries } = recordingAudit();
      const refused = await cancelTogether(deps, audit, 'a1', []).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused, state).toBeInstanceOf(EngineUnavailableError);
      expect(refused).toMatchObject({ state, outcome: 'not-applied' });
      expect(deps.asked).toBe(0);
      expect(entries).toEqual([]);
    }
  });

  it('answers every result in order when all went through', async () => {
    const deps = depsAnswering([
      { status: 'fulfilled', value: { ok: true, value: view('7'), durable: Promise.resolve() } },
      { status: 'fulfilled', value: { ok: true, value: view('5') } },
    ]);
    const { audit, entries } = recordingAudit();
    const results = await cancelTogether(deps, audit, 'a1', [{ orderId: '7' }, { orderId: '5' }]);
    expect(results.map((r) => (r.ok ? r.value.orderId : r.error.code))).toEqual(['7', '5']);
    expect(entries.map((e) => e.details['orderId'])).toEqual(['7', '5']);
  });
});
