import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DueQueue } from './due-queue.js';

describe('the due queue', () => {
  it('gives ids back by due time, and in arrival order among equal times', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (dues) => {
        const queue = new DueQueue();
        dues.forEach((due, i) => queue.push(`d${i}`, due));
        const expected = dues.map((due, i) => ({ id: `d${i}`, due, i })).sort((a, b) => a.due - b.due || a.i - b.i).map(({ id, due }) => ({ id, due }));
        const out = [];
        for (let entry = queue.pop(); entry !== undefined; entry = queue.pop()) out.push({ id: entry.id, due: entry.due });
        expect(out).toEqual(expected);
        expect(queue.size).toBe(0);
      }),
    );
  });

  it('shows the earliest without removing it', () => {
    const queue = new DueQueue();
    queue.push('late', 30);
    queue.push('early', 10);
    expect(queue.peek()).toMatchObject({ id: 'early', due: 10 });
    expect(queue.size).toBe(2);
  });
});
