/**
 * The crash test's trading process (spawned with `node --import tsx`): opens a durable engine on a
 * SQLite file (restoring whatever an earlier life left), resumes the seeded input stream at the
 * journal's seq, keeps up to CRASH_WINDOW submits in flight, and prints one line per acknowledged
 * input, after its acknowledgement and before anything else happens:
 *
 *   R <seq>                                  restored, trading resumes after <seq>
 *   {"s":seq,"o":[orderId…],"f":[[tradeId, orderId]…]}   input <seq> acknowledged
 *   D <seq>                                  reached CRASH_STOP_AT and closed cleanly
 *
 * Writes to a pipe are synchronous on Linux, so a printed line is in the pipe before SIGKILL can land.
 */
import { DurableEngine } from '../../src/engine/durable-engine.js';
import { CRASH_CONFIG, crashInputs } from './crash-inputs.js';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const dbPath = env('CRASH_DB');
const seed = Number(env('CRASH_SEED'));
const stopAt = Number(env('CRASH_STOP_AT', String(Number.MAX_SAFE_INTEGER)));
const window = Number(env('CRASH_WINDOW', '16'));
const snapshotIntervalMs = Number(env('CRASH_SNAPSHOT_MS', '250'));
const print = (line: string): void => void process.stdout.write(`${line}\n`);

const engine = await DurableEngine.open({ databaseUrl: `sqlite:${dbPath}`, kernelConfig: CRASH_CONFIG, snapshotIntervalMs, onError: (e) => (console.error(e), process.exit(4)) });
const start = engine.seq;
print(`R ${start}`);
const stream = crashInputs(seed);
for (let i = 0; i < start; i += 1) stream.next();

let next = start;
let inFlight = 0;
await new Promise<void>((done) => {
  const pump = (): void => {
    while (inFlight < window && next < stopAt) {
      const input = stream.next().value!;
      const expected = ++next;
      inFlight += 1;
      engine.submitSequenced(input).then(
        ({ seq, events }) => {
          if (seq !== expected) {
            console.error(`input ${expected} was journaled as ${seq}`);
            process.exit(3);
          }
          const orders: string[] = [];
          const fills: [string, string][] = [];
          for (const e of events) {
            if (e.type === 'ORDER_NEW') orders.push(e.orderId);
            else if (e.type === 'FILL') fills.push([e.tradeId, e.orderId]);
          }
          print(JSON.stringify({ s: seq, o: orders, f: fills }));
          inFlight -= 1;
          if (inFlight === 0 && next >= stopAt) done();
          else pump();
        },
        (error: unknown) => {
          console.error(error);
          process.exit(2);
        },
      );
    }
  };
  pump();
});
await engine.close();
print(`D ${engine.seq}`);
