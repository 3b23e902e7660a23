/**
 * The `papertrade` command line.
 */
import { Command, CommanderError } from 'commander';
import { registerAccountsCommand } from './accounts-command.js';
import { registerBacktestCommand } from './backtest-command.js';
import { registerDownloadCommand } from './download-command.js';
import { registerImportCommand } from './import-command.js';
import { registerRecordCommand } from './record-command.js';
import { registerReplayCommands } from './replay-command.js';
import { registerServeCommand } from './serve-command.js';

// A reader that stops early (`papertrade demo | head -1`) closes the pipe: the command ends there,
// quietly, with the status a shell gives a tool stopped by SIGPIPE (128 + 13), not an EPIPE stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(141);
  throw error;
});

const program = new Command()
  .name('papertrade')
  .description('Paper trading engine for crypto exchanges: real market data, virtual accounts, the same API as live trading.')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

registerServeCommand(program);
registerReplayCommands(program);
registerBacktestCommand(program);
registerRecordCommand(program);
registerAccountsCommand(program);
registerDownloadCommand(program);
registerImportCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // A usage error (unknown command or option, missing argument, option or value) exits 2 on every
  // command, as getopt-style tools do; commander's own code for them is 1. Help and version exit 0.
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  process.stderr.write(`papertrade: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
