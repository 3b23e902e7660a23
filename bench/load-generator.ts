/**
 * The API bench's load generator: keep-alive HTTP POSTs, closed loop (`run`: n requests, a fixed
 * number in flight) or open loop (`paced`: request i sent at i / rate s, answered or not, its latency
 * counted from that scheduled time, so a stall delays every request behind it).
 *
 * It runs in the bench's process, or in a child process of its own (`startGeneratorProcess`): started
 * once, before the service under test exists, and told one run at a time over IPC, it answers with
 * each run's figures. On a 2-core machine
 * the child's sends and answer parsing run on the other core, so the figure is the service's
 * latency rather than the service's and its client's on one thread; both targets go through the
 * same generator, so the ratio between them still holds.
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { serveParent, startChild } from './child-process-kit.js';

/** One target, in plain data (it crosses to a child process). */
export interface TargetSpec {
  readonly name: string;
  readonly port: number;
  readonly path: string;
  /** The status every answer must have. */
  readonly expect: number;
  /** Request i presents `Bearer apiKeys[floor(i / perAccount)]`; none when absent. */
  readonly apiKeys?: readonly string[];
  readonly perAccount?: number;
}

export interface RunResult {
  readonly rps: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly errors: number;
  readonly firstError?: string;
}

export type PacedResult = RunResult & { readonly sent: number };

/** Every request's body: a resting LIMIT BUY with a unique clientOrderId (the bare route gets the same). */
export const orderBody = (i: number): string =>
  JSON.stringify({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000.00', clientOrderId: `bench-${i}` });

function headersOf(t: TargetSpec, i: number, body: string): Record<string, string | number> {
  const key = t.apiKeys?.[Math.floor(i / (t.perAccount ?? 1))];
  return { ...(key !== undefined ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
}

/** One HTTP request; resolves with its status and its body. */
export function send(agent: Agent, t: TargetSpec, i: number): Promise<{ status: number; text: string }> {
  const body = orderBody(i);
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: '127.0.0.1', port: t.port, path: t.path, method: 'POST', headers: headersOf(t, i, body) }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const rank = (sorted: Float64Array, p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;

function summarize(latencies: Float64Array, seconds: number, n: number, errors: number, firstError: string | undefined): RunResult {
  const sorted = latencies.filter((x) => !Number.isNaN(x)).sort();
  return { rps: n / seconds, p50: rank(sorted, 0.5), p90: rank(sorted, 0.9), p99: rank(sorted, 0.99), max: sorted[sorted.length - 1] ?? Number.NaN, errors, ...(firstError === undefined ? {} : { firstError }) };
}

/** Closed loop: `n` requests with `concurrency` workers over one keep-alive agent; ids start at `from`. */
export async function run(t: TargetSpec, from: number, n: number, concurrency: number): Promise<RunResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = new Float64Array(n);
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const started = performance.now();
      try {
        const r = await send(agent, t, from + i);
        latencies[i] = performance.now() - started;
        if (r.status !== t.expect) {
          errors += 1;
          firstError ??= `${r.status} ${r.text.slice(0, 200)}`;
        }
      } catch (e) {
        errors += 1;
        latencies[i] = Number.NaN;
        firstError ??= String(e);
      }
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return summarize(latencies, seconds, n, errors, firstError);
}

/**
 * Open loop: request i is sent at `i / rate` s after the start, answered or not; its latency runs
 * from that scheduled time. Runs `n` requests, or until `stop()` answers true (checked per send).
 */
export async function paced(t: TargetSpec, from: number, rate: number, n: number, stop: () => boolean = () => false): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const latencies = new Float64Array(n).fill(Number.NaN);
  let errors = 0;
  let firstError: string | undefined;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  let i = 0;
  while (i < n && !stop()) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0.5) await new Promise((r) => setTimeout(r, Math.max(0, wait - 0.5)));
    while (i < n && start + (i * 1000) / rate <= performance.now() + 0.5) {
      const scheduled = start + (i * 1000) / rate;
      const k = i;
      i += 1;
      inFlight.push(
        send(agent, t, from + k).then(
          (r) => {
            latencies[k] = performance.now() - scheduled;
            if (r.status !== t.expect) {
              errors += 1;
              firstError ??= `${r.status} ${r.text.slice(0, 200)}`;
            }
          },
          (e: unknown) => {
            errors += 1;
            firstError ??= String(e);
          },
        ),
      );
    }
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return { ...summarize(latencies.subarray(0, i), seconds, i, errors, firstError), sent: i };
}

interface PacedJob {
  readonly target: TargetSpec;
  readonly from: number;
  readonly warmup: number;
  /** Requests sent at `rate` after the warm-up and before the counted ones (not counted): the path at the steady state of this load. */
  readonly settle: number;
  readonly rate: number;
  readonly n: number;
}

/** A load generator in a child process of its own, started once (see the header), given one paced run per call. */
export interface GeneratorProcess {
  /**
   * `paced` in the child: first `warmup` requests (ids from `from`, 4 in flight), so that its own
   * first-call costs (its first sockets to this target) are not counted; then `settle` requests at
   * `rate`, not counted either, so that the counted ones meet the path as this load leaves it (its
   * code optimized for it, its buffers grown: docs/adr/0054's steady state); the counted ones follow
   * (ids from `from + warmup + settle`). Resolves with the child's figures for the counted ones.
   */
  paced(target: TargetSpec, from: number, warmup: number, settle: number, rate: number, n: number): Promise<PacedResult>;
  close(): Promise<void>;
}

/** Starts the generator's process: before the service under test exists (child-process-kit.ts). */
export async function startGeneratorProcess(): Promise<GeneratorProcess> {
  const child = await startChild<PacedJob, PacedResult>(fileURLToPath(import.meta.url), '--child');
  return { paced: (target, from, warmup, settle, rate, n) => child.ask({ target, from, warmup, settle, rate, n }), close: () => child.close() };
}

if (process.argv.includes('--child') && process.send !== undefined) {
  serveParent<PacedJob, PacedResult>(async (job) => {
    if (job.warmup > 0) await run(job.target, job.from, job.warmup, 4);
    if (job.settle > 0) await paced(job.target, job.from + job.warmup, job.rate, job.settle);
    return paced(job.target, job.from + job.warmup + job.settle, job.rate, job.n);
  });
}
