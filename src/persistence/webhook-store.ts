/**
 * Outbound webhooks on disk: endpoints (`webhooks`), deliveries (`webhook_deliveries`, one per event
 * and endpoint) and attempts (`webhook_attempts`).
 *
 * Guarantees: a delivery's payload is written once and sent byte for byte on every attempt; an
 * attempt and the delivery's new state are written in one transaction, so the log never shows an
 * attempt the delivery does not count; deleting an endpoint cancels its pending deliveries; a
 * deleted endpoint stays readable (with its deliveries) but never receives again.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { extend } from '../core/objects.js';
import type { Database, WebhookDeliveryTable, WebhookTable } from './schema.js';

export interface Webhook {
  readonly id: string;
  /** null: the operator's endpoint, which hears every account. */
  readonly accountId: string | null;
  readonly url: string;
  readonly events: readonly string[];
  readonly secret: string;
  readonly description: string | null;
  readonly createdAt: number;
  readonly deletedAt: number | null;
}

export interface NewDelivery {
  readonly id: string;
  readonly webhookId: string;
  readonly event: string;
  readonly payload: string;
  readonly createdAt: number;
}

export interface PendingDelivery extends NewDelivery {
  readonly attempts: number;
  readonly nextAttemptAt: number;
}

export interface AttemptRecord {
  readonly attempt: number;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly at: number;
  readonly durationMs: number;
}

/** An attempt and where it leaves its delivery. */
export interface AttemptOutcome {
  readonly deliveryId: string;
  readonly attempt: AttemptRecord;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly nextAttemptAt: number | null;
}

export interface DeliveryView {
  readonly id: string;
  readonly webhookId: string;
  readonly event: string;
  readonly status: WebhookDeliveryTable['status'];
  readonly attempts: number;
  readonly nextAttemptAt: number | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly createdAt: number;
  readonly completedAt: number | null;
  readonly attemptLog: readonly AttemptRecord[];
}

export const newWebhookSecret = (): string => `whsec_${randomBytes(24).toString('base64url')}`;
export const newWebhookId = (): string => `wh_${randomBytes(9).toString('base64url')}`;
export const newDeliveryId = (): string => `whd_${randomBytes(12).toString('base64url')}`;

function webhookOf(row: WebhookTable): Webhook {
  return {
    id: row.id,
    accountId: row.accountId,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    secret: row.secret,
    description: row.description,
    createdAt: Number(row.createdAt),
    deletedAt: row.deletedAt === null ? null : Number(row.deletedAt),
  };
}

export class WebhookStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(input: { accountId: string | null; url: string; events: readonly string[]; description?: string; at: number; id?: string; secret?: string }): Promise<Webhook> {
    const row: WebhookTable = {
      id: input.id ?? newWebhookId(),
      accountId: input.accountId,
      url: input.url,
      events: JSON.stringify(input.events),
      secret: input.secret ?? newWebhookSecret(),
      description: input.description ?? null,
      createdAt: input.at,
      deletedAt: null,
    };
    await this.db.insertInto('webhooks').values(row).execute();
    return webhookOf(row);
  }

  /** Endpoints not deleted, oldest first. */
  async active(): Promise<Webhook[]> {
    const rows = await this.db.selectFrom('webhooks').selectAll().where('deletedAt', 'is', null).orderBy('createdAt').orderBy('id').execute();
    return rows.map(webhookOf);
  }

  /** An account's endpoints, deleted ones included when asked. */
  async list(accountId: string, options: { includeDeleted?: boolean } = {}): Promise<Webhook[]> {
    let query = this.db.selectFrom('webhooks').selectAll().where('accountId', '=', accountId);
    if (options.includeDeleted !== true) query = query.where('deletedAt', 'is', null);
    return (await query.orderBy('createdAt').orderBy('id').execute()).map(webhookOf);
  }

  async get(id: string): Promise<Webhook | undefined> {
    const row = await this.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : webhookOf(row);
  }

  /** Marks the endpoint deleted and cancels what it still had to receive. */
  async delete(id: string, at: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('webhooks').set({ deletedAt: at }).where('id', '=', id).where('deletedAt', 'is', null).execute();
      await tx.updateTable('webhook_deliveries').set({ status: 'canceled', nextAttemptAt: null, completedAt: at }).where('webhookId', '=', id).where('status', '=', 'pending').execute();
    });
  }

  /**
   * Makes the operator's endpoint (no account) the one given, or none: a changed or removed one is
   * deleted (its pending deliveries canceled); one configured again as it was is active again.
   */
  async useOperator(wanted: { url: string; secret: string; events: readonly string[] } | undefined, at: number): Promise<void> {
    const id = wanted === undefined ? undefined : `wh_operator_${createHash('sha256').update(JSON.stringify([wanted.url, wanted.events, wanted.secret])).digest('hex').slice(0, 12)}`;
    for (const hook of await this.active()) if (hook.accountId === null && hook.id !== id) await this.delete(hook.id, at);
    if (wanted === undefined || id === undefined) return;
    const existing = await this.get(id);
    if (existing === undefined) await this.create({ id, accountId: null, url: wanted.url, events: wanted.events, secret: wanted.secret, description: 'operator (environment)', at });
    else if (existing.deletedAt !== null) await this.db.updateTable('webhooks').set({ deletedAt: null }).where('id', '=', id).execute();
  }

  /** Writes new deliveries, pending and due at once. */
  async enqueue(deliveries: readonly NewDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      for (let i = 0; i < deliveries.length; i += 200) {
        await tx
          .insertInto('webhook_deliveries')
          .values(deliveries.slice(i, i + 200).map((d) => (extend(d, { status: 'pending' as const, attempts: 0, nextAttemptAt: d.createdAt, lastStatusCode: null, lastError: null, completedAt: null }))))
          .execute();
      }
    });
  }

  /** Every delivery still to make, oldest first (a restart resumes them). */
  async pending(): Promise<PendingDelivery[]> {
    const rows = await this.db.selectFrom('webhook_deliveries').selectAll().where('status', '=', 'pending').orderBy('createdAt').orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, webhookId: r.webhookId, event: r.event, payload: r.payload, createdAt: Number(r.createdAt), attempts: Number(r.attempts), nextAttemptAt: Number(r.nextAttemptAt ?? r.createdAt) }));
  }

  /**
   * Logs attempts and moves their deliveries (delivered, failed, or pending until `nextAttemptAt`),
   * all in one transaction. A delivery no longer pending (canceled meanwhile) is left as it is, and
   * its attempt unlogged.
   */
  async recordAttempts(outcomes: readonly AttemptOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      for (const { deliveryId, attempt, status, nextAttemptAt } of outcomes) {
        const updated = await tx
          .updateTable('webhook_deliveries')
          .set({ status, attempts: attempt.attempt, nextAttemptAt, lastStatusCode: attempt.statusCode, lastError: attempt.error, completedAt: status === 'pending' ? null : attempt.at })
          .where('id', '=', deliveryId)
          .where('status', '=', 'pending')
          .executeTakeFirst();
        if (updated.numUpdatedRows === 0n) continue;
        await tx.insertInto('webhook_attempts').values({ deliveryId, ...attempt }).onConflict((oc) => oc.columns(['deliveryId', 'attempt']).doNothing()).execute();
      }
    });
  }

  /** One attempt: `recordAttempts` of one. */
  recordAttempt(deliveryId: string, attempt: AttemptRecord, outcome: { status: AttemptOutcome['status']; nextAttemptAt: number | null }): Promise<void> {
    return this.recordAttempts([{ deliveryId, attempt, ...outcome }]);
  }

  /** An endpoint's deliveries, newest first, each with its attempts. */
  async deliveries(webhookId: string, page: { limit: number; offset: number; event?: string }): Promise<DeliveryView[]> {
    let query = this.db.selectFrom('webhook_deliveries').selectAll().where('webhookId', '=', webhookId);
    if (page.event !== undefined) query = query.where('event', '=', page.event);
    const rows = await query.orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute();
    if (rows.length === 0) return [];
    const attempts = await this.db.selectFrom('webhook_attempts').selectAll().where('deliveryId', 'in', rows.map((r) => r.id)).orderBy('attempt').execute();
    return rows.map((r) => ({
      id: r.id,
      webhookId: r.webhookId,
      event: r.event,
      status: r.status,
      attempts: Number(r.attempts),
      nextAttemptAt: r.nextAttemptAt === null ? null : Number(r.nextAttemptAt),
      lastStatusCode: r.lastStatusCode === null ? null : Number(r.lastStatusCode),
      lastError: r.lastError,
      createdAt: Number(r.createdAt),
      completedAt: r.completedAt === null ? null : Number(r.completedAt),
      attemptLog: attempts
        .filter((a) => a.deliveryId === r.id)
        .map((a) => ({ attempt: Number(a.attempt), statusCode: a.statusCode === null ? null : Number(a.statusCode), error: a.error, at: Number(a.at), durationMs: Number(a.durationMs) })),
    }));
  }
}
