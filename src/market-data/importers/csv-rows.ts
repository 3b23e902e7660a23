/**
 * Rows of an archive CSV (no quoting: neither Binance's nor Tardis's files quote), with an
 * optional header row told apart from data by its first cell not being a number.
 *
 * Guarantees: `cell(name)` finds a column by its header name, or by its documented position when
 * the file has no header (Binance spot files); a row with too few cells is an error naming the line.
 */
import { archiveLines } from './archive-lines.js';
import { ImportError, type At } from './import-fields.js';

export interface CsvRow extends At {
  readonly cells: readonly string[];
  /** The header row's names, when the file has one. */
  readonly header: readonly string[] | undefined;
  /** The cell of the documented column `name`. */
  cell(name: string): string;
}

/**
 * `columns`: the documented column names in order; `aliases`: other header names for a column.
 * `required`: how many leading columns a data row must have.
 */
export async function* csvRows(
  file: string,
  columns: readonly string[],
  options: { readonly required?: number; readonly aliases?: Readonly<Record<string, readonly string[]>>; readonly headerRequired?: boolean; readonly onBytes?: (n: number) => void } = {},
): AsyncGenerator<CsvRow> {
  let index: Map<string, number> | undefined;
  let header: string[] | undefined;
  const required = options.required ?? columns.length;
  let first = true;
  for await (const { text, number } of archiveLines(file, options.onBytes)) {
    if (text.trim() === '') continue;
    const cells = text.split(',');
    if (first) {
      first = false;
      if (!/^\s*-?\d/.test(cells[0] ?? '')) {
        const names = cells.map((c) => c.trim());
        header = names;
        index = new Map();
        for (const [i, name] of columns.entries()) {
          const found = [name, ...(options.aliases?.[name] ?? [])].map((n) => names.indexOf(n)).find((j) => j >= 0);
          if (found !== undefined) index.set(name, found);
          else if (i < required) throw new ImportError(file, number, `header has no column ${name} (expected ${columns.slice(0, required).join(',')})`);
        }
        continue;
      }
      if (options.headerRequired === true) throw new ImportError(file, number, `expected a header row: ${columns.slice(0, required).join(',')}`);
    }
    if (cells.length < required) throw new ImportError(file, number, `expected ${required} columns (${columns.slice(0, required).join(',')}), got ${cells.length}`);
    const positions = index;
    yield {
      file,
      line: number,
      cells,
      header,
      cell: (name: string) => {
        const i = positions !== undefined ? positions.get(name) : columns.indexOf(name);
        return i === undefined || i < 0 ? '' : (cells[i] ?? '').trim();
      },
    };
  }
}
