/**
 * `papertrade record` killed while it writes (SIGKILL: no close, no flush on exit): the recording
 * must stay readable up to the last whole record that reached the disk, and lose no more than the
 * writer's flush period. The child (test-kit/recording-writer-child.ts) writes record i as ask
 * 60,010 at size i with id 1000 + i, and trade i; the model below is that rule, not the writer.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { readRecording } from '../recording-reader.js';
import { RecordingWriter } from './recording-writer.js';
import { PROJECT_ROOT } from '../../test-kit/data-paths.js';
import { sourceScript } from '../../test-kit/source-script.js';

/** The writer's child as a child process runs it (test-kit/source-script.ts). */
const CHILD = await sourceScript('src/test-kit/recording-writer-child.ts');

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the child until `killAfterMs` past its `R`, SIGKILLs it; each `W i` line with the parent's time it arrived. */
function recordUntilKilled(dir: string, flushMs: number, killAfterMs: number): Promise<{ written: { i: number; at: number }[]; killedAt: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], { cwd: PROJECT_ROOT, env: { ...process.env, REC_DIR: dir, REC_FLUSH_MS: String(flushMs) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const written: { i: number; at: number }[] = [];
    let killedAt = 0;
    let pending = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (pending + chunk).split('\n');
      pending = parts.pop()!;
      for (const line of parts) {
        if (line === 'R') setTimeout(() => ((killedAt = Date.now()), child.kill('SIGKILL')), killAfterMs);
        else if (line.startsWith('W ')) written.push({ i: Number(line.slice(2)), at: Date.now() });
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (_code, signal) => (signal === 'SIGKILL' ? resolve({ written, killedAt }) : reject(new Error(`the child ended without the kill: ${stderr}`))));
  });
}

describe('a recording whose process is killed while it writes', () => {
  it('reads back as a whole prefix of what was written, holding every record older than the flush period', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pt-rec-kill-'));
    dirs.push(dir);
    const { written, killedAt } = await recordUntilKilled(dir, 100, 1_500);
    expect(written.length).toBeGreaterThan(20);
    const recording = readRecording(dir);
    const deltas = recording.inputs.filter((x) => x.kind === 'book.delta');
    const trades = recording.inputs.filter((x) => x.kind === 'trade');
    // A prefix of the model: delta i chains on id 1000 + i − 1 and sets ask 60,010 to i; trade i.
    deltas.forEach((d, k) => {
      const i = k + 1;
      expect(d).toMatchObject({ firstUpdateId: 1000 + i, finalUpdateId: 1000 + i, asks: [['60010', String(i)]], bids: [] });
    });
    trades.forEach((t, k) => expect(t).toMatchObject({ tradeId: k + 1, price: '60010', quantity: '0.5' }));
    // Everything handed to the writer a second before the kill (ten flush periods) reached the disk.
    const old = written.filter((w) => w.at < killedAt - 1_000).map((w) => w.i);
    const settled = Math.max(0, ...old);
    expect(settled).toBeGreaterThan(0);
    expect(deltas.length).toBeGreaterThanOrEqual(settled);
    expect(trades.length).toBeGreaterThanOrEqual(settled);
    expect(recording.inputs[0]).toMatchObject({ kind: 'book.snapshot', lastUpdateId: 1000, asks: [['60010', '0.5']] });
    // What it recorded from survives the kill: recording.json as written at the start, never closed.
    const meta = JSON.parse(readFileSync(join(dir, 'recording.json'), 'utf8')) as Record<string, unknown>;
    expect(meta).toMatchObject({ exchange: 'binance', symbol: 'BTCUSDT', ccxtSymbol: 'BTC/USDT', interruptions: [] });
    expect(meta.endedAt).toBeUndefined();
  }, 30_000);
});

describe('a recording whose disk fills while it writes', () => {
  it('keeps every record through failed flushes: a partial write is cut back, the lines are written at the next flush, and the timer never throws', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pt-rec-full-'));
    dirs.push(dir);
    const T = 1_723_161_300_000;
    // A disk that is full for the next three appends: each writes half its bytes, then fails (ENOSPC).
    let full = 0;
    const errors: string[] = [];
    const append = (path: string, data: Uint8Array) => {
      if (full > 0) {
        full -= 1;
        appendFileSync(path, data.subarray(0, data.length >> 1));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      appendFileSync(path, data);
    };
    const writer = new RecordingWriter(dir, 'BTCUSDT', { exchange: 'binance', ccxtSymbol: 'BTC/USDT' }, undefined, { flushEveryMs: 5, append, onWriteError: (e) => void errors.push((e as Error).message) });
    writer.onBook({ time: T, nonce: 1000, bids: new Map([['60000', '1']]), asks: new Map([['60010', '0.5']]) });
    for (let i = 1; i <= 30; i += 1) {
      if (i === 11) full = 3;
      writer.onBook({ time: T + i, nonce: 1000 + i, bids: new Map([['60000', '1']]), asks: new Map([['60010', String(i)]]) });
      writer.onTrade({ id: String(i), time: T + i, price: 60010, amount: 0.5, buyerMaker: false });
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await writer.close();
    // Three appends failed on the timer: both files at one tick (one report), the depth file at the
    // next (the two files always hold lines together here, both being written on each record).
    expect(errors).toHaveLength(2);
    expect(errors.every((m) => m.startsWith('ENOSPC'))).toBe(true);
    const recording = readRecording(dir);
    const deltas = recording.inputs.filter((x) => x.kind === 'book.delta');
    const trades = recording.inputs.filter((x) => x.kind === 'trade');
    expect(deltas.map((d) => (d.kind === 'book.delta' ? d.asks : []))).toEqual(Array.from({ length: 30 }, (_, k) => [['60010', String(k + 1)]]));
    expect(trades.map((t) => (t.kind === 'trade' ? t.tradeId : 0))).toEqual(Array.from({ length: 30 }, (_, k) => k + 1));
  });
});

describe('recording.json while the recorder runs', () => {
  it('lists each interruption as it happens, before any close', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pt-rec-meta-'));
    dirs.push(dir);
    const writer = new RecordingWriter(dir, 'BTCUSDT', { exchange: 'binance', ccxtSymbol: 'BTC/USDT' }, undefined, { flushEveryMs: 60_000 });
    const read = () => JSON.parse(readFileSync(join(dir, 'recording.json'), 'utf8')) as { interruptions: { cause: string; reason: string }[]; endedAt?: string };
    expect(read().interruptions).toEqual([]);
    writer.onInvalid('gap', 'update 7 after 5');
    writer.onInvalid('disconnect', 'socket closed');
    expect(read().interruptions.map((i) => [i.cause, i.reason])).toEqual([['gap', 'update 7 after 5'], ['disconnect', 'socket closed']]);
    expect(read().endedAt).toBeUndefined();
    void writer.close();
  });
});
