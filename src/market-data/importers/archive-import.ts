/**
 * `papertrade import`: one archive format, one or more files (in date order), one output directory
 * in the replay format. The book and the trades of one market can be imported into the same
 * directory by two imports (e.g. Tardis `incremental_book_L2`, then `trades`).
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { importBinanceBookTicker, importBinanceKlines, importBinanceTrades, type ImportContext } from './binance-importers.js';
import { ImportError, kernelSymbol } from './import-fields.js';
import { DEPTH_FILES, refuseEarlierImport, takeBackImport, TRADE_FILES, writeImportMeta, type ImportSummary } from './recording-output.js';
import { importTardisBookSnapshots, importTardisIncrementalL2, importTardisTrades } from './tardis-importers.js';

export const IMPORT_FORMATS = {
  'binance-trades': (ctx: ImportContext) => importBinanceTrades(ctx, false),
  'binance-aggtrades': (ctx: ImportContext) => importBinanceTrades(ctx, true),
  'binance-klines': (ctx: ImportContext) => importBinanceKlines(ctx),
  'binance-bookticker': (ctx: ImportContext) => importBinanceBookTicker(ctx),
  'tardis-incremental-book-l2': (ctx: ImportContext) => importTardisIncrementalL2(ctx),
  'tardis-book-snapshot-25': (ctx: ImportContext) => importTardisBookSnapshots(ctx, 'tardis-book-snapshot-25'),
  'tardis-book-snapshot-5': (ctx: ImportContext) => importTardisBookSnapshots(ctx, 'tardis-book-snapshot-5'),
  'tardis-trades': (ctx: ImportContext) => importTardisTrades(ctx),
} as const satisfies Record<string, (ctx: ImportContext) => Promise<ImportSummary>>;

export type ImportFormat = keyof typeof IMPORT_FORMATS;

export function isImportFormat(name: string): name is ImportFormat {
  return Object.hasOwn(IMPORT_FORMATS, name);
}

export interface ImportOptions {
  readonly format: string;
  readonly files: readonly string[];
  readonly out: string;
  readonly symbol?: string;
  readonly market?: 'spot' | 'perpetual';
  /** Called as input bytes are read: (read so far, total bytes of the files). */
  readonly onProgress?: (done: number, total: number) => void;
  /** Replace what an earlier import of the same kind wrote into `out` (else that is refused). */
  readonly replace?: boolean;
}

/** The recording files an import of each format writes (klines: its candle file, known once the interval is read). */
const WRITES: Record<ImportFormat, readonly string[]> = {
  'binance-trades': TRADE_FILES,
  'binance-aggtrades': TRADE_FILES,
  'tardis-trades': TRADE_FILES,
  'binance-klines': [],
  'binance-bookticker': DEPTH_FILES,
  'tardis-incremental-book-l2': DEPTH_FILES,
  'tardis-book-snapshot-25': DEPTH_FILES,
  'tardis-book-snapshot-5': DEPTH_FILES,
};

export async function importArchive(options: ImportOptions): Promise<ImportSummary> {
  if (!isImportFormat(options.format)) throw new Error(`unknown format ${options.format}; one of ${Object.keys(IMPORT_FORMATS).join(', ')}`);
  if (options.files.length === 0) throw new Error('no input files');
  // The symbol names the recording the kernel, `serve` and `replay` read: letters and digits once `/ _ : -` are dropped, as SYMBOLS takes them.
  if (options.symbol !== undefined && !/^[A-Z0-9]{1,40}$/.test(kernelSymbol(options.symbol))) {
    throw new Error(`--symbol ${JSON.stringify(options.symbol)} must be letters and digits, such as BTCUSDT or BTC/USDT`);
  }
  let total = 0;
  for (const file of options.files) {
    try {
      total += statSync(file).size;
    } catch {
      throw new ImportError(file, 0, 'file not found');
    }
  }
  try {
    mkdirSync(options.out, { recursive: true });
  } catch (error) {
    throw new Error(`--out ${options.out}: ${error instanceof Error ? error.message : String(error)}`);
  }
  for (const file of WRITES[options.format]) refuseEarlierImport(options.out, file, options.replace);
  const market = options.market ?? marketOfDirectory(options.out);
  let done = 0;
  const summary = await IMPORT_FORMATS[options.format]({
    files: options.files,
    dir: options.out,
    ...(options.replace === true ? { replace: true } : {}),
    ...(options.symbol !== undefined ? { symbol: options.symbol } : {}),
    ...(market !== undefined ? { market } : {}),
    onBytes: (n) => {
      done += n;
      options.onProgress?.(done, total);
    },
  });
  try {
    writeImportMeta(options.out, summary);
  } catch (error) {
    // Refused once the files said their symbol (another than the directory's): what this import
    // wrote goes, and the directory is as it was, but for what --replace let it write over.
    const output = (summary as { readonly output?: unknown }).output;
    takeBackImport(options.out, typeof output === 'string' ? [basename(output)] : WRITES[options.format]);
    throw error;
  }
  return summary;
}

/** The market a directory's `recording.json` already names (the other half of an import decided it). */
function marketOfDirectory(dir: string): 'spot' | 'perpetual' | undefined {
  const path = join(dir, 'recording.json');
  if (!existsSync(path)) return undefined;
  try {
    const market = (JSON.parse(readFileSync(path, 'utf8')) as { market?: unknown }).market;
    return market === 'spot' || market === 'perpetual' ? market : undefined;
  } catch {
    return undefined;
  }
}
