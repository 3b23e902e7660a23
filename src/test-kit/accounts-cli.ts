/**
 * `papertrade accounts …` run in the test process (commander with exitOverride), its output and
 * exit code captured instead of written and exited with.
 */
import { Command, CommanderError } from 'commander';
import { registerAccountsCommand } from '../cli/accounts-command.js';

export interface CliOutcome {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `papertrade accounts <args>` with `env` as its environment; a usage error is its exit code, not a throw. */
export async function runAccountsCommand(args: readonly string[], env: Record<string, string>): Promise<CliOutcome> {
  let out = '';
  let err = '';
  let code = 0;
  const program = new Command().name('papertrade').exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerAccountsCommand(program, { env, out: (s) => (out += s), err: (s) => (err += s), readStdin: () => '', setExitCode: (c) => (code = c) });
  try {
    await program.parseAsync(['node', 'papertrade', 'accounts', ...args]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    code = error.exitCode;
  }
  return { code, out, err };
}
