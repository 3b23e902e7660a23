/** `papertrade serve`: the server, the dashboard and the market feed (what `npm start` runs). */
import type { Command } from 'commander';
import { startService, StartupError } from '../service/start-service.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Start the server on HOST:PORT (default 127.0.0.1:3000), trading on a looping replay of the bundled recording. Configuration: environment or .env (see README).')
    .option('--port <n>', 'port to listen on (overrides PORT)')
    .option('--host <host>', 'address to bind (overrides HOST)')
    .action(async (opts: { port?: string; host?: string }) => {
      const env = { ...process.env, ...(opts.port !== undefined ? { PORT: opts.port } : {}), ...(opts.host !== undefined ? { HOST: opts.host } : {}) };
      let service;
      try {
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
