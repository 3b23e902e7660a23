/**
 * Reads an archive file line by line, whatever its packing: plain text, gzip (`.gz` or the gzip
 * magic bytes) or a single-entry zip (Binance's public data files), streamed so that a day of
 * trades never has to fit in memory.
 *
 * Guarantees: lines come with their 1-based number in the uncompressed text, `\r\n` or `\n` ended;
 * `onBytes` reports how many bytes of the file itself were read (for a progress bar).
 * Not handled: zip64, multi-entry zips (an `ImportError` says so), encrypted zips.
 */
import { closeSync, openSync, readSync, statSync, createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip, createInflateRaw } from 'node:zlib';
import { Readable } from 'node:stream';
import { ImportError } from './import-fields.js';

export interface ArchiveLine {
  readonly text: string;
  /** 1-based line number in the uncompressed text. */
  readonly number: number;
}

function head(path: string, length: number, position: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, position);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** The byte range and method of a zip's only entry, from its central directory. */
function zipEntry(path: string): { start: number; end: number; method: number } {
  const size = statSync(path).size;
  const tailLength = Math.min(size, 65_557);
  const tail = head(path, tailLength, size - tailLength);
  const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new ImportError(path, 0, 'not a readable zip (no end of central directory)');
  const entries = tail.readUInt16LE(eocd + 10);
  if (entries !== 1) throw new ImportError(path, 0, `zip holds ${entries} files; unpack it and import the CSV`);
  const centralOffset = tail.readUInt32LE(eocd + 16);
  const central = head(path, 46, centralOffset);
  if (central.readUInt32LE(0) !== 0x02014b50) throw new ImportError(path, 0, 'not a readable zip (bad central directory)');
  const method = central.readUInt16LE(10);
  const compressed = central.readUInt32LE(20);
  const localOffset = central.readUInt32LE(42);
  if (compressed === 0xffffffff || localOffset === 0xffffffff) throw new ImportError(path, 0, 'zip64 archives are not supported; unpack it and import the CSV');
  if (method !== 0 && method !== 8) throw new ImportError(path, 0, `zip compression method ${method} is not supported`);
  const local = head(path, 30, localOffset);
  if (local.readUInt32LE(0) !== 0x04034b50) throw new ImportError(path, 0, 'not a readable zip (bad local header)');
  const start = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  return { start, end: start + compressed - 1, method };
}

/** The file's text as a stream: unpacked by magic bytes, not trusted to its extension alone. */
function openText(path: string, onBytes: (n: number) => void): Readable {
  const magic = head(path, 4, 0);
  const count = (raw: Readable): Readable => raw.on('data', (chunk: Buffer) => onBytes(chunk.length));
  if (magic[0] === 0x1f && magic[1] === 0x8b) return count(createReadStream(path)).pipe(createGunzip());
  if (magic.length === 4 && magic.readUInt32LE(0) === 0x04034b50) {
    const entry = zipEntry(path);
    if (entry.end < entry.start) return Readable.from([]); // an empty file in the zip
    const raw = count(createReadStream(path, { start: entry.start, end: entry.end }));
    return entry.method === 8 ? raw.pipe(createInflateRaw()) : raw;
  }
  if (path.endsWith('.gz')) throw new ImportError(path, 0, 'named .gz but not gzip data');
  return count(createReadStream(path));
}

export async function* archiveLines(path: string, onBytes: (n: number) => void = () => {}): AsyncGenerator<ArchiveLine> {
  let stream: Readable;
  try {
    stream = openText(path, onBytes);
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError(path, 0, error instanceof Error ? error.message : String(error));
  }
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  try {
    for await (const text of lines) {
      number += 1;
      yield { text, number };
    }
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError(path, number + 1, `unreadable (${error instanceof Error ? error.message : String(error)})`);
  } finally {
    lines.close();
    stream.destroy();
  }
}
