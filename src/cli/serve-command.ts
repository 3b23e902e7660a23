/** `papertrade serve`: the server, the dashboard and the market feed (what `npm start` runs). */
import type { Command } from 'commander';
import { portProblem } from '../config/index.js';
import { StartupError } from '../service/startup-error.js';

export interface ServeOptions {
  readonly port?: string;
  readonly host?: string;
  readonly live?: boolean;
  readonly exchange?: string;
  readonly symbols?: string;
}

/** The command line as configuration variables (they override the environment and .env). */
export function serveEnv(opts: ServeOptions): Record<string, string> {
  const env: Record<string, string> = {};
  if (opts.port !== undefined) env.PORT = opts.port;
  if (opts.host !== undefined) env.HOST = opts.host;
  if (opts.live === true) env.MARKET_DATA = 'live';
  if (opts.exchange !== undefined) env.EXCHANGE = opts.exchange;
  if (opts.symbols !== undefined) env.SYMBOLS = opts.symbols;
  return env;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'Start the server on HOST:PORT (default 127.0.0.1:3000), trading on a looping replay of the bundled recording, or on live exchange data (--live). Configuration: environment or .env (see README).',
    )
    .option('--port <n>', 'port to listen on (overrides PORT)')
    .option('--host <host>', 'address to bind (overrides HOST)')
    .option('--live', 'trade on live market data through ccxt (MARKET_DATA=live)')
    .option('--exchange <id>', 'ccxt exchange id for symbols not qualified with one (overrides EXCHANGE)')
    .option('--symbols <list>', 'live symbols: BTCUSDT, BTC/USDT or exchange-qualified binance:BTC/USDT, comma-separated (overrides SYMBOLS)')
    .action(async (opts: ServeOptions) => {
      // Said of the flag the user typed, not of the PORT variable it stands for.
      const badPort = opts.port === undefined ? undefined : portProblem(opts.port);
      if (badPort !== undefined) throw new Error(`--port ${badPort}, got ${JSON.stringify(opts.port)}`);
      const env = { ...process.env, ...serveEnv(opts) };
      let service;
      try {
        // The service's modules load once the flags are checked, not for `--help` (docs/adr/0059).
        const { startService } = await import('../service/start-service.js');
        service = await startService(env);
      } catch (error) {
        if (error instanceof StartupError) {
          process.stderr.write(`papertrade: ${error.message}\n`);
          process.exit(2);
        }
        throw error;
      }
      const shutdown = (signal: string) => {
        process.stdout.write(`\n${signal}: stopping (snapshot, then exit)…\n`);
        void service.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
    });
}
