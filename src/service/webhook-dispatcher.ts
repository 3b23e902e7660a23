/**
 * Sends chosen events to webhook endpoints: signed (webhook-signature.ts), retried with exponential
 * back-off and jitter, every attempt logged (webhook-store.ts).
 *
 * Guarantees:
 * - the engine never waits for it: the EngineHub listener only filters the batch and appends
 *   references to a list; building bodies, writing deliveries and sending them happen later;
 * - at least once: a delivery is written as pending before its first attempt and stays pending
 *   until a 2xx answer (or its attempts run out), so a restart resumes it; a receiver dedupes by
 *   the payload's `id` (also `X-Papertrade-Delivery`), which every attempt of a delivery repeats;
 * - one body per delivery, byte for byte the same on every attempt; a fresh signature each time;
 * - attempts at most `maxAttempts`; the n-th retry waits a random time in [d/2, d] with
 *   d = min(maxDelayMs, baseDelayMs·2^(n-1)); at most `concurrency` requests in flight; a request
 *   gives up after `timeoutMs`; redirects are not followed (a 3xx is a failed attempt); the
 *   deliveries raised in one turn of the event loop, and the attempts finished within 50 ms, are
 *   written in one transaction each (one commit, not one per request);
 * - feed events are transitions seen by polling the feeds: a symbol that turns `stale` gives
 *   FEED_STALE once, and FEED_RECOVERED when it is `synced` again.
 * Not guaranteed: events raised in the moment between the engine's commit and the write of their
 * deliveries are lost if the process dies in that moment (the journal is not re-read for them);
 * order across deliveries is not kept once one is retried.
 */
import type { EngineHub } from '../api/engine-hub.js';
import type { FeedStatus } from '../api/service-deps.js';
import type { KernelEvent } from '../core/kernel/events.js';
import { extend } from '../core/objects.js';
import { newDeliveryId, type AttemptOutcome, type NewDelivery, type PendingDelivery, type Webhook, type WebhookStore } from '../persistence/webhook-store.js';
import { DueQueue } from './due-queue.js';
import { FeedTransitions } from './feed-transitions.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, webhookSignature } from './webhook-signature.js';
import { KERNEL_EVENT_TYPES, type WebhookEventName } from './webhook-subscriptions.js';

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Attempts finished within this long share one write (one commit, one fsync). */
const WRITE_COALESCE_MS = 50;

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({ maxAttempts: 12, baseDelayMs: 2_000, maxDelayMs: 30 * 60_000 });

/** The wait before retry number `retry` (1 = the wait after the first failed attempt), jittered in [d/2, d]. */
export function retryDelayMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const full = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(full / 2 + (random() * full) / 2);
}

/** The operator's endpoint, from the environment: it hears every account. */
export interface OperatorWebhook {
  readonly url: string;
  readonly secret: string;
  readonly events: readonly WebhookEventName[];
}

export interface WebhookDispatcherOptions {
  readonly store: WebhookStore;
  readonly hub: Pick<EngineHub, 'subscribe'>;
  /** The market feeds' statuses, polled for FEED_STALE / FEED_RECOVERED. */
  readonly feeds?: () => readonly FeedStatus[];
  readonly operator?: OperatorWebhook;
  readonly retry?: Partial<RetryPolicy>;
  readonly timeoutMs?: number;
  readonly concurrency?: number;
  readonly feedPollMs?: number;
  /** Wall clock (Unix ms). */
  readonly clock?: () => number;
  readonly random?: () => number;
  readonly log?: (level: 'info' | 'warn' | 'error', message: string, details?: Record<string, unknown>) => void;
}

export class WebhookDispatcher {
  readonly store: WebhookStore;
  private readonly retry: RetryPolicy;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private hooks: Webhook[] = [];
  /** Events heard and not yet written: references only, bodies are built when written. */
  private incoming: Array<{ readonly hook: Webhook; readonly name: WebhookEventName | 'PING'; readonly account: string | null; readonly data: object; readonly at: number; readonly id?: string }> = [];
  /** Written deliveries not yet delivered, by id, and their ids by when they are due. */
  private readonly queue = new Map<string, PendingDelivery>();
  private readonly due = new DueQueue();
  /** Attempts made and not yet written. */
  private outcomes: AttemptOutcome[] = [];
  private writing: Promise<void> = Promise.resolve();
  private writeScheduled = false;
  /** Deliveries in flight, by id: their endpoint and how to abort them. */
  private readonly busy = new Map<string, { readonly webhookId: string; readonly abort: AbortController }>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly feedTransitions = new FeedTransitions();
  private flushing: Promise<void> = Promise.resolve();
  private flushScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private feedTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private running = false;

  constructor(private readonly options: WebhookDispatcherOptions) {
    this.store = options.store;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.concurrency = options.concurrency ?? 4;
  }

  /** Loads the endpoints and the pending deliveries, then listens to the engine and the feeds. */
  async start(): Promise<void> {
    await this.store.useOperator(this.options.operator, this.clock());
    this.hooks = await this.store.active();
    for (const delivery of await this.store.pending()) this.enqueue(delivery);
    this.running = true;
    this.unsubscribe = this.options.hub.subscribe((events) => this.observe(events));
    const feeds = this.options.feeds;
    if (feeds !== undefined) {
      this.feedTimer = setInterval(() => this.pollFeeds(feeds), this.options.feedPollMs ?? 1_000);
      this.feedTimer.unref();
    }
    this.pump();
  }

  /** Stops listening and sending; waits for the deliveries being written and the requests in flight. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.feedTimer !== undefined) clearInterval(this.feedTimer);
    await this.flush();
    await Promise.allSettled([...this.inFlight]);
    await this.writeOutcomes();
  }

  /** Adds an account's endpoint; it hears events from now on. */
  async add(input: { accountId: string; url: string; events: readonly WebhookEventName[]; description?: string }): Promise<Webhook> {
    const hook = await this.store.create(extend(input, { at: this.clock() }));
    this.hooks = [...this.hooks, hook];
    return hook;
  }

  /** Deletes an endpoint; what it had still to receive is canceled, requests in flight aborted. */
  async remove(id: string): Promise<void> {
    this.hooks = this.hooks.filter((h) => h.id !== id);
    for (const flight of this.busy.values()) if (flight.webhookId === id) flight.abort.abort();
    await this.store.delete(id, this.clock());
    for (const [deliveryId, delivery] of this.queue) if (delivery.webhookId === id) this.queue.delete(deliveryId);
    this.incoming = this.incoming.filter((e) => e.hook.id !== id);
  }

  /** Sends the endpoint a PING now (whatever events it chose), to check a receiver; answers the delivery's id. */
  ping(hook: Webhook): string {
    const id = newDeliveryId();
    this.incoming.push({ hook, name: 'PING', account: hook.accountId, data: { message: 'a test delivery from papertrade' }, at: this.clock(), id });
    void this.flush();
    return id;
  }

  private removeAccount(accountId: string): void {
    for (const hook of this.hooks) {
      if (hook.accountId !== accountId) continue;
      this.remove(hook.id).catch((error: unknown) => this.log('error', `webhook ${hook.id} of closed account ${accountId} not deleted`, { error: describe(error) }));
    }
  }

  /** Deliveries waiting (written or not) and requests in flight. */
  get backlog(): number {
    return this.incoming.length + this.queue.size;
  }

  /** The EngineHub listener: picks the events endpoints chose. Synchronous and allocation-light. */
  private observe(events: readonly KernelEvent[]): void {
    if (this.hooks.length === 0) return;
    for (const event of events) {
      // A deleted account's endpoints go with it (they would still hear feed events).
      if (event.type === 'ACCOUNT_CLOSED') this.removeAccount(event.account);
      if (!KERNEL_EVENT_TYPES.has(event.type)) continue;
      this.emit(event.type as WebhookEventName, (event as { account: string }).account, event);
    }
  }

  private emit(name: WebhookEventName, account: string | null, data: object): void {
    if (!this.running) return;
    const at = this.clock();
    for (const hook of this.hooks) {
      if (!hook.events.includes(name)) continue;
      if (hook.accountId !== null && account !== null && hook.accountId !== account) continue;
      this.incoming.push({ hook, name, account, data, at });
    }
    if (!this.flushScheduled && this.incoming.length > 0) {
      this.flushScheduled = true;
      setImmediate(() => void this.flush());
    }
  }

  private pollFeeds(feeds: () => readonly FeedStatus[]): void {
    let statuses: readonly FeedStatus[];
    try {
      statuses = feeds();
    } catch {
      return;
    }
    for (const { name, data } of this.feedTransitions.observe(statuses)) this.emit(name, null, data);
  }

  /** Writes the new deliveries (one transaction), then queues them; on a database failure, tries again in a second. */
  private flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      this.flushScheduled = false;
      const heard = this.incoming.splice(0);
      if (heard.length === 0) return;
      const batch: NewDelivery[] = heard.map((e) => {
        const id = e.id ?? newDeliveryId();
        const payload = JSON.stringify({ id, type: e.name, createdAt: e.at, ...(e.account !== null ? { account: e.account } : {}), data: e.data });
        return { id, webhookId: e.hook.id, event: e.name, payload, createdAt: e.at };
      });
      try {
        await this.store.enqueue(batch);
      } catch (error) {
        this.incoming.unshift(...heard);
        this.log('warn', 'webhook deliveries not written yet; retrying', { error: String(error), count: batch.length });
        if (this.running && !this.flushScheduled) {
          this.flushScheduled = true;
          setTimeout(() => void this.flush(), 1_000).unref();
        }
        return;
      }
      for (const d of batch) this.enqueue(extend(d, { attempts: 0, nextAttemptAt: d.createdAt }));
      this.pump();
    });
    return this.flushing;
  }

  private enqueue(delivery: PendingDelivery): void {
    this.queue.set(delivery.id, delivery);
    this.due.push(delivery.id, delivery.nextAttemptAt);
  }

  /** Starts every due delivery the concurrency allows and arms a timer for the next one. */
  private pump(): void {
    if (!this.running) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.clock();
    while (this.busy.size < this.concurrency) {
      const top = this.due.peek();
      if (top === undefined || top.due > now) break;
      this.due.pop();
      const delivery = this.queue.get(top.id);
      // Stale entries: delivered, canceled, rescheduled since, or in flight.
      if (delivery === undefined || delivery.nextAttemptAt !== top.due || this.busy.has(delivery.id)) continue;
      const abort = new AbortController();
      this.busy.set(delivery.id, { webhookId: delivery.webhookId, abort });
      const attempt = this.attempt(delivery, abort.signal).finally(() => {
        this.inFlight.delete(attempt);
        this.busy.delete(delivery.id);
        this.pump();
      });
      this.inFlight.add(attempt);
    }
    const next = this.due.peek();
    if (next !== undefined && this.busy.size < this.concurrency) {
      this.timer = setTimeout(() => this.pump(), Math.max(0, next.due - now));
      this.timer.unref();
    }
  }

  private async attempt(delivery: PendingDelivery, abort: AbortSignal): Promise<void> {
    const hook = this.hooks.find((h) => h.id === delivery.webhookId);
    if (hook === undefined) {
      this.queue.delete(delivery.id);
      return;
    }
    const number = delivery.attempts + 1;
    const startedAt = this.clock();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(hook.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.any([abort, AbortSignal.timeout(this.timeoutMs)]),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'papertrade-webhooks',
          [SIGNATURE_HEADER]: webhookSignature(hook.secret, delivery.payload, Math.floor(startedAt / 1000)),
          [DELIVERY_HEADER]: delivery.id,
          [EVENT_HEADER]: delivery.event,
        },
        body: delivery.payload,
      });
      statusCode = response.status;
      await response.body?.cancel().catch(() => undefined);
      if (statusCode < 200 || statusCode > 299) error = `HTTP ${statusCode}`;
    } catch (caught) {
      error = describe(caught);
    }
    const at = this.clock();
    const delivered = error === null;
    const exhausted = !delivered && number >= this.retry.maxAttempts;
    const nextAttemptAt = delivered || exhausted ? null : at + retryDelayMs(this.retry, number, this.random);
    if (delivered || exhausted) this.queue.delete(delivery.id);
    else if (this.queue.has(delivery.id)) this.enqueue({ ...delivery, attempts: number, nextAttemptAt: nextAttemptAt! });
    if (exhausted) this.log('warn', `webhook delivery ${delivery.id} to ${hook.url} failed ${number} times; given up`, { error });
    this.outcomes.push({ deliveryId: delivery.id, attempt: { attempt: number, statusCode, error, at, durationMs: at - startedAt }, status: delivered ? 'delivered' : exhausted ? 'failed' : 'pending', nextAttemptAt });
    if (!this.writeScheduled) {
      this.writeScheduled = true;
      setTimeout(() => void this.writeOutcomes(), WRITE_COALESCE_MS).unref();
    }
  }

  /** Writes the attempts made since the last write, in one transaction. */
  private writeOutcomes(): Promise<void> {
    this.writing = this.writing.then(async () => {
      this.writeScheduled = false;
      const batch = this.outcomes.splice(0);
      if (batch.length === 0) return;
      try {
        await this.store.recordAttempts(batch);
      } catch (caught) {
        // The deliveries go on from memory; after a restart, the unlogged ones are sent again.
        this.log('error', `${batch.length} webhook attempts not logged`, { error: describe(caught) });
      }
    });
    return this.writing;
  }

  private log(level: 'info' | 'warn' | 'error', message: string, details?: Record<string, unknown>): void {
    this.options.log?.(level, message, details);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (error.name === 'TimeoutError') return 'timed out';
    if (error.name === 'AbortError') return 'canceled';
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
