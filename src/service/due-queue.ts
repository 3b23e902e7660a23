/**
 * Ids by due time (a binary min-heap): `push` and `pop` in O(log n), `peek` in O(1). Ties leave in
 * the order they came. An id may be pushed again with a new time; the caller skips the stale entry
 * when it pops it (lazy deletion).
 */
export interface DueEntry {
  readonly id: string;
  readonly due: number;
}

export class DueQueue {
  private readonly heap: Array<DueEntry & { readonly order: number }> = [];
  private counter = 0;

  get size(): number {
    return this.heap.length;
  }

  push(id: string, due: number): void {
    this.heap.push({ id, due, order: this.counter++ });
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  peek(): DueEntry | undefined {
    return this.heap[0];
  }

  pop(): DueEntry | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (top === undefined || last === undefined || this.heap.length === 0) return top;
    this.heap[0] = last;
    for (let i = 0; ; ) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.heap.length && this.before(left, smallest)) smallest = left;
      if (right < this.heap.length && this.before(right, smallest)) smallest = right;
      if (smallest === i) break;
      this.swap(i, smallest);
      i = smallest;
    }
    return top;
  }

  private before(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    return x.due < y.due || (x.due === y.due && x.order < y.order);
  }

  private swap(a: number, b: number): void {
    const x = this.heap[a]!;
    this.heap[a] = this.heap[b]!;
    this.heap[b] = x;
  }
}
