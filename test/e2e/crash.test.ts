/**
 * Crash test: a child process trades on a SQLite file (crash-child.ts) and is killed with SIGKILL
 * at seeded random moments (mostly while trading, sometimes while it starts and restores), then
 * restarted, again and again. After every kill the test restarts the engine itself and checks:
 * every acknowledged order and fill is in the kernel and in the read tables, none twice; the read
 * tables agree with the kernel; balances reconcile (`checkInvariants`); the journal is contiguous
 * from 1; and the restored state is byte-identical to an uninterrupted kernel fed the same inputs.
 *
 * CRASH_KILLS (default 20; `npm run crash-test`: 200) and CRASH_SEED choose the run.
 */
import { isOpenStatus, type OrderStatus } from '../../src/core/orders/order-status.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { Kernel } from '../../src/core/kernel/kernel.js';
import { DurableEngine } from '../../src/engine/durable-engine.js';
import { readModelMismatches } from '../../src/engine/read-model-check.js';
import { PROJECT_ROOT } from '../../src/test-kit/data-paths.js';
import { sourceScript } from '../../src/test-kit/source-script.js';
import { mulberry32 } from '../../src/test-kit/mulberry32.js';
import { CRASH_CONFIG, crashInputs } from './crash-inputs.js';

const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const SEED = Number(process.env.CRASH_SEED ?? 20_240_808);
/** The child as a child process runs it (test-kit/source-script.ts). */
const CHILD = await sourceScript(fileURLToPath(new URL('./crash-child.ts', import.meta.url)));

interface Life {
  readonly lines: string[];
  readonly signal: NodeJS.Signals | null;
  readonly code: number | null;
  readonly stderr: string;
}

/** Runs one child life; kills it `killAfterReadyMs` after it reports ready, or `killAtMs` after spawn. */
function live(env: Record<string, string>, kill: { afterReadyMs?: number; atMs?: number }): Promise<Life> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let pending = '';
    let stderr = '';
    const timers: NodeJS.Timeout[] = [];
    const killNow = () => child.kill('SIGKILL');
    if (kill.atMs !== undefined) timers.push(setTimeout(killNow, kill.atMs));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (pending + chunk).split('\n');
      pending = parts.pop()!;
      for (const line of parts) {
        if (line.startsWith('R ') && kill.afterReadyMs !== undefined) timers.push(setTimeout(killNow, kill.afterReadyMs));
        lines.push(line);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    // A line cut short by the kill has no newline: it was never fully printed, so it is not an acknowledgement.
    child.on('close', (code, signal) => {
      for (const t of timers) clearTimeout(t);
      resolve({ lines, signal, code, stderr });
    });
  });
}

it(`acknowledged orders and fills survive ${KILLS} SIGKILLs: present, none twice, balances reconciled`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-crash-'));
  const dbPath = join(dir, 'crash.db');
  const rng = mulberry32(SEED ^ 0x5eed);
  const stream = crashInputs(SEED);
  const reference = new Kernel(CRASH_CONFIG);
  const ackedOrders = new Map<string, number>();
  const ackedFills = new Map<string, string>();
  let maxAcked = 0;
  let acks = 0;
  let restoredFromSnapshot = 0;

  /** Restarts the engine here, on the file the child left, and checks everything. */
  async function verify(): Promise<number> {
    const engine = await DurableEngine.open({ databaseUrl: `sqlite:${dbPath}`, kernelConfig: CRASH_CONFIG, snapshotIntervalMs: 0 });
    try {
      const j = await engine.db.selectFrom('journal').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('seq').as('lo'), eb.fn.max('seq').as('hi')]).executeTakeFirstOrThrow();
      const head = Number(j.hi ?? 0);
      expect(Number(j.n), 'the journal has no gap').toBe(head);
      if (head > 0) expect(Number(j.lo)).toBe(1);
      expect(head, 'every acknowledged input is journaled').toBeGreaterThanOrEqual(maxAcked);
      expect(engine.seq).toBe(head);
      expect(engine.readModelSeq).toBe(head);
      if (engine.restored.snapshotSeq > 0) restoredFromSnapshot += 1;
      engine.kernel.checkInvariants();
      while (reference.inputCount < head) reference.handle(stream.next().value!);
      expect(engine.kernel.snapshot() === reference.snapshot(), `state at seq ${head} equals an uninterrupted run`).toBe(true);

      const orderRows = new Map((await engine.db.selectFrom('orders').select(['id', 'status']).execute()).map((r) => [r.id, r.status]));
      const tradeRows = new Map((await engine.db.selectFrom('trades').select(['id', 'orderId']).execute()).map((r) => [r.id, r.orderId]));
      for (const [orderId, seq] of ackedOrders) {
        expect(orderRows.has(orderId), `order row ${orderId}`).toBe(true);
        // The kernel holds it while open; once closed, its row does.
        const open = isOpenStatus(orderRows.get(orderId) as OrderStatus);
        expect(engine.kernel.order(orderId) !== undefined || !open, `order ${orderId} acknowledged at seq ${seq}`).toBe(true);
      }
      for (const [tradeId, orderId] of ackedFills) expect(tradeRows.get(tradeId), `fill ${tradeId} of order ${orderId}`).toBe(orderId);
      expect(await readModelMismatches(engine.db, engine.kernel)).toEqual([]);
      return head;
    } finally {
      await engine.close({ snapshot: false });
    }
  }

  function record(life: Life): void {
    for (const line of life.lines) {
      if (!line.startsWith('{')) continue;
      const ack = JSON.parse(line) as { s: number; o: string[]; f: [string, string][] };
      acks += 1;
      maxAcked = Math.max(maxAcked, ack.s);
      for (const id of ack.o) {
        expect(ackedOrders.has(id), `order ${id} acknowledged twice`).toBe(false);
        ackedOrders.set(id, ack.s);
      }
      for (const [tradeId, orderId] of ack.f) {
        expect(ackedFills.has(tradeId), `fill ${tradeId} acknowledged twice`).toBe(false);
        ackedFills.set(tradeId, orderId);
      }
    }
  }

  const env = (extra: Record<string, string> = {}) => ({ CRASH_DB: dbPath, CRASH_SEED: String(SEED), CRASH_WINDOW: String(1 + Math.floor(rng() * 64)), ...extra });
  try {
    let head = 0;
    for (let kill = 0; kill < KILLS; kill += 1) {
      const early = rng() < 0.15;
      const life = await live(env(), early ? { atMs: Math.floor(rng() * 1_500) } : { afterReadyMs: 20 + Math.floor(rng() * 400) });
      if (life.signal !== 'SIGKILL') throw new Error(`child life ${kill} ended with code ${life.code}, signal ${life.signal}: ${life.stderr}`);
      record(life);
      head = await verify();
    }
    const last = await live(env({ CRASH_STOP_AT: String(head + 2_000) }), {});
    expect(last.code, last.stderr).toBe(0);
    expect(last.lines.at(-1)).toBe(`D ${head + 2_000}`);
    record(last);
    expect(await verify()).toBe(head + 2_000);
    console.log(
      `crash test: ${KILLS} kills, ${acks} acknowledged inputs (${ackedOrders.size} orders, ${ackedFills.size} fills), ` +
        `journal at ${head + 2_000}, ${restoredFromSnapshot} restores started from a snapshot`,
    );
    expect(ackedOrders.size).toBeGreaterThan(0);
    expect(ackedFills.size).toBeGreaterThan(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000 + KILLS * 5_000);
