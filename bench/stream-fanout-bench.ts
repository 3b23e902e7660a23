/**
 * Binance stream fan-out benchmark, run by `npm run bench:streams` (on the compiled package, as
 * every part of `npm run bench`: bench/compiled.mjs).
 *
 * N WebSocket clients (0, 1, 10, 50) on `/binance/ws`, each subscribed to `btcusdt@depth@100ms`,
 * `btcusdt@trade` and `btcusdt@bookTicker`, while the bundled recording (Binance spot BTCUSDT) is
 * replayed through the service as fast as it goes: `startTestService` (the real DurableEngine on a
 * temporary SQLite file, the hub, `buildServer` listening on loopback), fed from the recording's
 * first snapshot for STREAM_BENCH_SECONDS (240) of recorded time in the service kit's waves of 256
 * inputs. The clients run in this process, as a bot farm on one host would; each only counts its
 * frames (one byte look-up per frame), so the figure is the service's cost plus a small one per
 * frame received.
 *
 * Measured per N, from the first input fed until every client has received the recording's last
 * trade and the depth diff carrying the book's final update id: wall time and the process's CPU
 * time (user + system), each per recorded second. N = 0 is the replay alone: the difference is
 * what the streams cost. Every client must end with every trade (checked); a client the server
 * dropped (send buffer over its bound) fails the run. Rounds (STREAM_BENCH_ROUNDS, 2) run the Ns
 * in turn; each figure is the lowest of its N's rounds (noise on a shared machine only adds time).
 * On a busy machine read the CPU time: the wall clock also counts the time other processes held
 * the cores.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { cpuMs, n, table } from './bench-kit.js';
import { startTestService } from '../src/test-kit/service-kit.js';

const SECONDS = Number(process.env.STREAM_BENCH_SECONDS ?? 240);
const ROUNDS = Number(process.env.STREAM_BENCH_ROUNDS ?? 2);
const CLIENTS = (process.env.STREAM_BENCH_CLIENTS ?? '0,1,10,50').split(',').map(Number);
const STREAMS = ['btcusdt@depth@100ms', 'btcusdt@trade', 'btcusdt@bookTicker'];

interface Client {
  readonly ws: WebSocket;
  trades: number;
  frames: number;
  lastDepth: Buffer | undefined;
  closed: boolean;
}

const D = 'd'.charCodeAt(0);
const T = 't'.charCodeAt(0);

async function client(url: string): Promise<Client> {
  const ws = new WebSocket(url);
  const c: Client = { ws, trades: 0, frames: 0, lastDepth: undefined, closed: false };
  let answered: () => void = () => undefined;
  const answer = new Promise<void>((resolve) => (answered = resolve));
  ws.on('message', (data: Buffer) => {
    c.frames += 1;
    // {"e":"depthUpdate"…, {"e":"trade"…, {"u":…  (spot's bookTicker), {"result":null…
    const kind = data[6];
    if (kind === D) c.lastDepth = data;
    else if (kind === T) c.trades += 1;
    else if (data[2] === 'r'.charCodeAt(0)) answered();
  });
  ws.on('close', () => (c.closed = true));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: STREAMS, id: 1 }));
  await answer;
  c.frames = 0;
  return c;
}

interface Run {
  readonly clients: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly recordedSeconds: number;
  readonly inputs: number;
  readonly framesPerClient: number;
}

async function runOnce(clients: number): Promise<Run> {
  const service = await startTestService({ until: 0, checkReadModel: false });
  const first = service.recording.inputs.find((i) => i.kind === 'book.snapshot')!.time;
  await service.feedUntil(first);
  const end = first + SECONDS * 1_000;
  const inputs = service.recording.inputs.filter((i) => i.time > first && i.time <= end);
  const trades = inputs.filter((i) => i.kind === 'trade').length;
  const base = (await service.app.listen({ port: 0, host: '127.0.0.1' })).replace(/^http/, 'ws');
  const conns: Client[] = [];
  for (let i = 0; i < clients; i += 1) conns.push(await client(`${base}/binance/ws`));

  const wall0 = performance.now();
  const cpu0 = cpuMs();
  await service.feedUntil(end);
  const finalId = service.engine.kernel.bookStatus('BTCUSDT')!.updateId;
  const lastDiff = Buffer.from(`"u":${finalId},`);
  const done = () => conns.every((c) => c.closed || (c.trades === trades && c.lastDepth !== undefined && c.lastDepth.includes(lastDiff)));
  while (!done()) await new Promise((r) => setImmediate(r));
  const wallMs = performance.now() - wall0;
  const cpu = cpuMs() - cpu0;

  const dropped = conns.filter((c) => c.closed).length;
  if (dropped > 0) throw new Error(`${dropped} of ${clients} clients were dropped by the server`);
  for (const c of conns) c.ws.close();
  await service.close();
  const recordedSeconds = (inputs.at(-1)!.time - first) / 1_000;
  return { clients, wallMs, cpuMs: cpu, recordedSeconds, inputs: inputs.length, framesPerClient: clients === 0 ? 0 : Math.round(conns.reduce((s, c) => s + c.frames, 0) / clients) };
}

console.log(`papertrade stream fan-out bench · ${STREAMS.join(' + ')} on /binance/ws · node ${process.version} · ${cpus().length} × ${cpus()[0]?.model ?? 'unknown cpu'}\n`);
const best = new Map<number, Run>();
for (let round = 0; round < ROUNDS; round += 1) {
  for (const clients of CLIENTS) {
    const run = await runOnce(clients);
    const kept = best.get(clients);
    best.set(clients, kept === undefined ? run : { ...run, wallMs: Math.min(run.wallMs, kept.wallMs), cpuMs: Math.min(run.cpuMs, kept.cpuMs) });
  }
}
const runs = CLIENTS.map((c) => best.get(c)!);
const alone = runs.find((r) => r.clients === 0);
const perSecond = (ms: number, r: Run) => ms / r.recordedSeconds;
console.log(`${n(runs[0]!.inputs)} inputs over ${runs[0]!.recordedSeconds.toFixed(0)} recorded seconds, replayed as fast as the service goes; lowest of ${ROUNDS} rounds\n`);
console.log(
  table(
    ['clients', 'frames each', 'wall ms', 'wall ms / recorded s', 'CPU ms / recorded s', 'streams CPU ms / recorded s', '× real time'],
    runs.map((r) => [
      n(r.clients),
      n(r.framesPerClient),
      n(Math.round(r.wallMs)),
      perSecond(r.wallMs, r).toFixed(1),
      perSecond(r.cpuMs, r).toFixed(1),
      alone === undefined || r.clients === 0 ? '' : perSecond(r.cpuMs - alone.cpuMs, r).toFixed(1),
      `${n(Math.round((r.recordedSeconds * 1_000) / r.wallMs))}×`,
    ]),
  ),
);
