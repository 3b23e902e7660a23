/**
 * `papertrade accounts create|list|show|export|import|reset|delete` on the configured database
 * (DATABASE_URL), through the running server's admin API when there is one (see
 * accounts-command-backends.ts). Human tables by default, `--json` for machines; `export` writes the
 * account's JSON document (the format `import` and `GET /api/account/export` use).
 *
 * Exit codes: 0 done; 1 refused (unknown account, a rejected document, a server error); 2 bad input.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { CommanderError, type Command } from 'commander';
import { formatConfigErrors, loadConfig } from '../config/index.js';
import type { NewAccount } from '../api/account-service.js';
import { boundedText } from '../core/bounded-text.js';
import { feeTextProblem } from '../core/instruments/fee-bounds.js';
import { parseBalances } from '../market-data/orders-file.js';
import { StartupError } from '../service/startup-error.js';
import type { AccountRow, AccountsBackend, Balances, NewCredentials } from './accounts-command-backends.js';
import { AccountsCommandError } from './accounts-command-error.js';

/** The outside world of the command (the process, or a test's capture). */
export interface AccountsIo {
  readonly env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
  readStdin(): string;
  setExitCode(code: number): void;
}

export const processIo: AccountsIo = {
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readStdin: () => readFileSync(0, 'utf8'),
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

interface CommonOptions {
  readonly json?: boolean;
  readonly url?: string;
  readonly adminKey?: string;
}

interface CreateOptions extends CommonOptions {
  readonly name: string;
  readonly type?: string;
  readonly balances?: string;
  readonly makerFee?: string;
  readonly takerFee?: string;
  readonly leverage?: string;
  readonly marginMode?: string;
  readonly maxDrawdown?: string;
  readonly closeOnMaxDrawdown?: boolean;
}

const DECIMAL = /^\d+(\.\d+)?$/;
/** A maker rate may be negative: a rebate (core/instruments/fee-bounds.ts). */
const SIGNED_DECIMAL = /^-?\d+(\.\d+)?$/;

export function registerAccountsCommand(program: Command, io: AccountsIo = processIo): void {
  const accounts = program
    .command('accounts')
    .description('Create, list, show, export, import, reset and delete paper accounts on the configured database (DATABASE_URL); through the running server when there is one.');

  // Usage errors (a missing or unknown option) exit 2 like every other bad input; help exits 0.
  const usageExit = (error: CommanderError): never => {
    throw error.exitCode === 0 ? error : new CommanderError(2, error.code, error.message);
  };
  accounts.exitOverride(usageExit);
  const common = (command: Command): Command =>
    command
      .exitOverride(usageExit)
      .option('--json', 'machine-readable output (JSON)')
      .option('--url <url>', 'manage the accounts of the server at this URL (or PAPERTRADE_URL) instead of the configured database')
      .option('--admin-key <key>', "the server's admin key, when going through a server (or ADMIN_API_KEY)");

  common(accounts.command('create'))
    .description('Create an account; prints its API key and secret (the secret only this once).')
    .requiredOption('--name <name>', 'display name (1-80 characters)')
    .option('--type <type>', 'spot or futures', 'spot')
    .option('--balances <list>', 'starting balances ASSET=amount[,ASSET=amount…] (default: PAPER_TRADING_INITIAL_BALANCE_*)')
    .option('--maker-fee <rate>', 'maker fee as a decimal fraction, e.g. 0.001; negative for a rebate, e.g. -0.0001')
    .option('--taker-fee <rate>', 'taker fee as a decimal fraction, e.g. 0.001')
    .option('--leverage <n>', 'futures: default leverage, a whole number 1-125')
    .option('--margin-mode <mode>', 'futures: isolated or cross')
    .option('--max-drawdown <fraction>', 'halt new orders at this drawdown from peak equity, e.g. 0.2')
    .option('--close-on-max-drawdown', 'also close positions when the drawdown halt trips')
    .action((opts: CreateOptions) =>
      run(io, opts, async (backend, spec) => {
        const created = await backend.create(spec);
        print(io, opts, created, () => credentialsText(created));
      }, () => newAccountSpec(opts, io)),
    );

  common(accounts.command('list'))
    .description('List the accounts with their balances.')
    .action((opts: CommonOptions) =>
      run(io, opts, async (backend) => {
        const rows = await backend.list();
        print(io, opts, rows, () => listText(rows));
      }),
    );

  common(accounts.command('show'))
    .description('Show one account: profile, API key, halted or not, balances.')
    .argument('<id>', 'account id')
    .action((id: string, opts: CommonOptions) =>
      run(io, opts, async (backend) => {
        const row = (await backend.list()).find((r) => r.id === id);
        if (row === undefined) throw new AccountsCommandError(`no account ${id}`);
        print(io, opts, row, () => showText(row));
      }),
    );

  common(accounts.command('export'))
    .description('Write the account as one JSON document (balances, orders, positions, health) to stdout or --out.')
    .argument('<id>', 'account id')
    .option('--out <file>', 'write the document to this file instead of stdout')
    .action((id: string, opts: CommonOptions & { out?: string }) =>
      run(io, opts, async (backend) => {
        const document = await backend.exportDocument(id);
        if (opts.out === undefined) return io.out(`${document}\n`);
        try {
          writeFileSync(opts.out, `${document}\n`);
        } catch (error) {
          throw new AccountsCommandError(`cannot write ${opts.out}: ${error instanceof Error ? error.message : String(error)}`, 2);
        }
        io.err(`exported ${id} to ${opts.out}\n`);
      }),
    );

  common(accounts.command('import'))
    .description('Bring in an exported account document under a new id, with new API credentials.')
    .argument('<file>', 'the JSON document, or - for stdin')
    .option('--name <name>', 'display name of the imported account')
    .action((file: string, opts: CommonOptions & { name?: string }) =>
      run(io, opts, async (backend, document) => {
        const created = await backend.importDocument(document, opts.name);
        print(io, opts, created, () => credentialsText(created));
      }, () => readDocument(file, io)),
    );

  common(accounts.command('reset'))
    .description('Cancel the account\'s orders and give it fresh balances (the ones it was opened with, or --balances).')
    .argument('<id>', 'account id')
    .option('--balances <list>', 'new balances ASSET=amount[,ASSET=amount…]')
    .action((id: string, opts: CommonOptions & { balances?: string }) =>
      run(io, opts, async (backend, balances) => {
        const row = await backend.reset(id, balances);
        print(io, opts, row, () => showText(row));
      }, () => (opts.balances !== undefined ? balancesOption(opts.balances) : undefined)),
    );

  common(accounts.command('delete'))
    .description('Close the account (its orders are cancelled) and revoke its API key.')
    .argument('<id>', 'account id')
    .action((id: string, opts: CommonOptions) =>
      run(io, opts, async (backend) => {
        await backend.remove(id);
        print(io, opts, { id, deleted: true }, () => `deleted ${id}\n`);
      }),
    );
}

/** Checks the input (`check`) before anything opens, then runs `work` on the backend and closes it. */
async function run<T = undefined>(io: AccountsIo, opts: CommonOptions, work: (backend: AccountsBackend, checked: T) => Promise<void>, check?: () => T): Promise<void> {
  let backend: AccountsBackend | undefined;
  try {
    const checked = (check?.() ?? undefined) as T;
    const loaded = loadConfig(io.env);
    if (!loaded.ok) throw new AccountsCommandError(`configuration refused:\n${formatConfigErrors(loaded.error)}`, 2);
    const url = opts.url ?? nonEmpty(io.env.PAPERTRADE_URL);
    if (url !== undefined) checkServerUrl(url, opts.url !== undefined ? '--url' : 'PAPERTRADE_URL');
    const adminKey = opts.adminKey ?? loaded.value.adminApiKey;
    // The backends bring the engine, the database drivers and the server's client: loaded only here (docs/adr/0059).
    const { openAccountsBackend } = await import('./accounts-command-backends.js');
    backend = await openAccountsBackend({
      config: loaded.value,
      ...(url !== undefined ? { url } : {}),
      ...(adminKey !== undefined ? { adminKey } : {}),
      log: (line) => io.err(`${line}\n`),
    });
    await work(backend, checked);
  } catch (error) {
    const code = error instanceof AccountsCommandError ? error.exitCode : error instanceof StartupError ? 2 : 1;
    if (!(error instanceof AccountsCommandError || error instanceof StartupError)) io.err(`papertrade accounts: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    else io.err(`papertrade accounts: ${error.message}\n`);
    io.setExitCode(code);
  } finally {
    await backend?.close();
  }
}

function newAccountSpec(opts: CreateOptions, io: AccountsIo): NewAccount {
  // A flag's value the message echoes is cut when absurdly long (core/bounded-text.ts), as the engine's refusals cut a request's.
  const bad = (message: string) => new AccountsCommandError(boundedText(message), 2);
  const name = opts.name.trim();
  if (name.length === 0 || name.length > 80) throw bad('--name must be 1 to 80 characters');
  const type = opts.type ?? 'spot';
  if (type !== 'spot' && type !== 'futures') throw bad(`--type must be spot or futures (got "${type}")`);
  const decimal = (flag: string, value: string | undefined, pattern = DECIMAL): string | undefined => {
    if (value !== undefined && !pattern.test(value)) throw bad(`${flag} must be a decimal number such as 0.001 (got "${value}")`);
    return value;
  };
  const maker = decimal('--maker-fee', opts.makerFee, SIGNED_DECIMAL);
  const taker = decimal('--taker-fee', opts.takerFee);
  // The bounds every fee schedule keeps (core/instruments/fee-bounds.ts), checked here so that a rate out of them is bad input naming its flag.
  const fees = feeTextProblem({ maker, taker });
  if (fees !== undefined) throw bad(`--${fees.field}-fee: ${fees.message}`);
  const maxDrawdown = decimal('--max-drawdown', opts.maxDrawdown);
  // The account's guard halts at this share of peak equity lost: a fraction strictly between 0 and 1, as the admin API takes it.
  if (maxDrawdown !== undefined && !/^0*\.\d*[1-9]\d*$/.test(maxDrawdown)) throw bad(`--max-drawdown must be a fraction between 0 and 1, e.g. 0.2 (got "${maxDrawdown}")`);
  let leverage: number | undefined;
  if (opts.leverage !== undefined) {
    leverage = Number(opts.leverage);
    if (!/^\d+$/.test(opts.leverage) || leverage < 1 || leverage > 125) throw bad(`--leverage must be a whole number from 1 to 125 (got "${opts.leverage}")`);
  }
  const marginMode = opts.marginMode;
  if (marginMode !== undefined && marginMode !== 'isolated' && marginMode !== 'cross') throw bad(`--margin-mode must be isolated or cross (got "${marginMode}")`);
  if (type === 'spot' && (leverage !== undefined || marginMode !== undefined)) throw bad('--leverage and --margin-mode apply to futures accounts (--type futures)');
  const balances = opts.balances !== undefined ? balancesOption(opts.balances) : defaultBalances(io);
  return {
    name,
    type,
    balances,
    ...(maker !== undefined || taker !== undefined ? { fees: { ...(maker !== undefined ? { maker } : {}), ...(taker !== undefined ? { taker } : {}) } } : {}),
    ...(maxDrawdown !== undefined || opts.closeOnMaxDrawdown === true
      ? { risk: { ...(maxDrawdown !== undefined ? { maxDrawdown } : {}), ...(opts.closeOnMaxDrawdown === true ? { closeOnMaxDrawdown: true } : {}) } }
      : {}),
    ...(leverage !== undefined ? { leverage } : {}),
    ...(marginMode !== undefined ? { marginMode } : {}),
  };
}

function balancesOption(text: string): Record<string, string> {
  try {
    return parseBalances(text);
  } catch (error) {
    throw new AccountsCommandError(boundedText(`--balances: ${error instanceof Error ? error.message.replace(/^balances: /, '') : String(error)}`), 2);
  }
}

function defaultBalances(io: AccountsIo): Record<string, string> {
  const loaded = loadConfig(io.env);
  return loaded.ok ? { ...loaded.value.initialBalances } : { USDT: '10000' };
}

function readDocument(file: string, io: AccountsIo): string {
  let text: string;
  try {
    text = file === '-' ? io.readStdin() : readFileSync(file, 'utf8');
  } catch (error) {
    throw new AccountsCommandError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, 2);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AccountsCommandError(`${file === '-' ? 'stdin' : file} is not a JSON document (export one with papertrade accounts export <id>)`, 2);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new AccountsCommandError(`${file === '-' ? 'stdin' : file}: an account document is a JSON object`, 2);
  return text.trim();
}

function print(io: AccountsIo, opts: CommonOptions, value: unknown, human: () => string): void {
  io.out(opts.json === true ? `${JSON.stringify(value, null, 2)}\n` : human());
}

function balancesText(balances: Balances): string {
  const parts = Object.entries(balances).map(([asset, b]) => `${b.free} ${asset}${b.locked !== '0' && !/^0(\.0+)?$/.test(b.locked) ? ` (+${b.locked} locked)` : ''}`);
  return parts.length === 0 ? '-' : parts.join(', ');
}

function credentialsText(c: NewCredentials): string {
  return [
    `id:         ${c.id}`,
    `name:       ${c.name}`,
    `type:       ${c.type}`,
    `balances:   ${balancesText(c.balances)}`,
    `API key:    ${c.apiKey}`,
    `API secret: ${c.apiSecret}   (shown once; MEXC-style signing uses it)`,
    '',
  ].join('\n');
}

function showText(r: AccountRow): string {
  return [
    `id:       ${r.id}`,
    `name:     ${r.name}`,
    `type:     ${r.type}`,
    `created:  ${new Date(r.createdAt).toISOString()}`,
    `halted:   ${r.halted ? 'yes' : 'no'}`,
    `API key:  ${r.apiKey}`,
    `balances: ${balancesText(r.balances)}`,
    '',
  ].join('\n');
}

function listText(rows: readonly AccountRow[]): string {
  if (rows.length === 0) return 'no accounts\n';
  const table = [['ID', 'NAME', 'TYPE', 'CREATED', 'HALTED', 'BALANCES'], ...rows.map((r) => [r.id, r.name, r.type, new Date(r.createdAt).toISOString().slice(0, 19).replace('T', ' '), r.halted ? 'yes' : 'no', balancesText(r.balances)])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

/** A server's address is an http(s) URL: anything else is bad input (exit 2), not a server that cannot be reached (exit 1). */
function checkServerUrl(url: string, source: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw new AccountsCommandError(`${source} must be the server's http:// or https:// URL, such as http://127.0.0.1:3000 (got "${url}")`, 2);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
