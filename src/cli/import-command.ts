/**
 * `papertrade import --format F --out DIR FILES…`: public archives (Binance's public data, Tardis
 * CSV datasets; plain, gzip or zip) into a recording directory `papertrade replay` reads, or, for
 * klines, into the candle CSV `papertrade backtest` reads. Progress bar on a terminal (stderr);
 * a summary on stdout. Bad input stops with the file and line (exit code 2). An earlier import's
 * files of the same kind in --out are kept unless `--replace` is given: all the files of one kind go
 * to one import, in date order.
 */
import { Presets, SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import { IMPORT_FORMATS, importArchive } from '../market-data/importers/archive-import.js';

interface ImportFlags {
  readonly format: string;
  readonly out: string;
  readonly symbol?: string;
  readonly market?: 'spot' | 'perpetual';
  readonly replace?: boolean;
}

export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description('Turn public archives (Binance public data, Tardis CSV) into a replay recording directory')
    .addOption(new Option('--format <format>', 'archive format').choices(Object.keys(IMPORT_FORMATS)).makeOptionMandatory())
    .requiredOption('--out <dir>', 'recording directory to write (created if missing)')
    .option('--symbol <symbol>', 'symbol to record under (default: from the file names or the symbol column)')
    .addOption(new Option('--market <market>', 'spot or perpetual (default: from the format and exchange)').choices(['spot', 'perpetual']))
    .option('--replace', 'write over the files an earlier import of the same kind left in --out (else refused)')
    .argument('<files...>', 'archive files in date order (.csv, .csv.gz, .zip)')
    .action(async (files: string[], flags: ImportFlags) => {
      const bar = process.stderr.isTTY ? new SingleBar({ format: 'import [{bar}] {percentage}% | {value}/{total} bytes', hideCursor: true, stream: process.stderr }, Presets.shades_classic) : undefined;
      let started = false;
      try {
        const summary = await importArchive({
          format: flags.format,
          files,
          out: flags.out,
          ...(flags.symbol !== undefined ? { symbol: flags.symbol } : {}),
          ...(flags.market !== undefined ? { market: flags.market } : {}),
          ...(flags.replace === true ? { replace: true } : {}),
          onProgress: (done, total) => {
            if (bar === undefined) return;
            if (!started) {
              bar.start(total, 0);
              started = true;
            }
            bar.update(done);
          },
        });
        bar?.stop();
        const counts = Object.entries(summary.counts).map(([k, v]) => `${v} ${k}`).join(', ');
        process.stdout.write(`${flags.out}: ${summary.symbol} (${summary.market}) ${counts}\n`);
        for (const gap of summary.gaps) process.stdout.write(`gap (${gap.kind}) after ${new Date(gap.at).toISOString()}: ${gap.reason}\n`);
      } catch (error) {
        bar?.stop();
        throw error;
      }
    });
}
