/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): small, fast and seeded, so that every run of a
 * test tries the same cases. Not for anything that needs unpredictability.
 */

/** A generator of numbers in [0, 1), the same sequence for the same 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** mulberry32 with helpers for picking; seed 0 stands for 0x9e3779b9 (a zero state starts a weak run). */
export class Rng {
  private readonly random: () => number;
  constructor(seed: number) {
    this.random = mulberry32(seed >>> 0 || 0x9e3779b9);
  }
  /** A number in [0, 1). */
  next(): number {
    return this.random();
  }
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}
