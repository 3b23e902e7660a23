/**
 * Journal rows into a kernel, the way every replay does it (a restore, a catch-up, the snapshot
 * worker's rebuild).
 *
 * Guarantees: each row is parsed just before the kernel takes it, and the kernel's rollback tail
 * keeps the row's text rather than the parsed input (`Kernel.handle`'s `journaled`), so a replay
 * of a million inputs leaves no parsed input alive past its own `handle`: the collector's young
 * space takes them, not its old space (measured: the collector's share of a 200,000-input replay
 * from 4.2 s CPU to 0.7 s). A row that is not JSON reaches the kernel as its text, which it refuses
 * as INVALID_INPUT (set aside, never a stop); a seq missing from the journal takes its place as an
 * input the kernel refuses the same way. A page read by the journal reader's worker carries its market
 * rows decoded (journal-row-decoder.ts): those reach the kernel without a parse here.
 */
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import type { Kernel } from '../core/kernel/kernel.js';
import type { DecodedRowReader } from './journal-row-decoder.js';

/** What a seq missing from the journal replays as: an input the kernel sets aside. */
const MISSING = { kind: 'journal.missing', time: 0 } as unknown as KernelInput;

/** The kernel's events for one journaled row (its JSON text). */
export function handleJournaled(kernel: Kernel, text: string): KernelEvent[] {
  let input: KernelInput;
  try {
    input = JSON.parse(text) as KernelInput;
  } catch {
    // Damaged storage: the kernel refuses the text itself as INVALID_INPUT.
    return kernel.handle(text as unknown as KernelInput);
  }
  return kernel.handle(input, text);
}

/** The kernel's events for row `row` of a page read with its market rows decoded (`decoded`); a row not decoded is parsed from its text. */
export function handlePageRow(kernel: Kernel, text: string, decoded: DecodedRowReader, row: number): KernelEvent[] {
  const input = decoded.input(row);
  return input === undefined ? handleJournaled(kernel, text) : kernel.handle(input, text, decoded);
}

/** The kernel's events for a seq the journal does not hold (set aside, it keeps its place). */
export function handleMissing(kernel: Kernel): KernelEvent[] {
  return kernel.handle(MISSING);
}
