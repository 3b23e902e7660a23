import { describe, expect, it } from 'vitest';
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import { exitParts } from './exit-parts.js';

const P = (s: string) => parseFixed(s);
const parts = (quantity: string, largest: string, step: string, min: string) => exitParts(P(quantity), P(largest), P(step), P(min)).map((q) => formatFixed(q));

describe('an exit cut into orders within the largest market order', () => {
  it('is one order when it fits, and nothing for nothing', () => {
    expect(parts('0.8', '1', '0.1', '0.3')).toEqual(['0.8']);
    expect(parts('1', '1', '0.1', '0.3')).toEqual(['1']);
    expect(parts('0', '1', '0.1', '0.3')).toEqual([]);
  });

  it('is orders of the largest, the last taking the remainder', () => {
    // 3.5 = 1 + 1 + 1 + 0.5; 3 = 1 + 1 + 1.
    expect(parts('3.5', '1', '0.1', '0.3')).toEqual(['1', '1', '1', '0.5']);
    expect(parts('3', '1', '0.001', '0.001')).toEqual(['1', '1', '1']);
  });

  it('gives a last part below the minimum what it lacks from the one before (max 1, min 0.3, step 0.1)', () => {
    // 2.1 = 1 + 1 + 0.1 leaves 0.1 under 0.3: the second part gives 0.2 → 1, 0.8, 0.3.
    expect(parts('2.1', '1', '0.1', '0.3')).toEqual(['1', '0.8', '0.3']);
  });

  it('takes from the parts before in turn, latest first, none going under the minimum', () => {
    // max 1, min 0.9, step 0.1, 3.1 = 1 + 1 + 1 + 0.1: the last lacks 0.8; each part before has 0.1 above 0.9:
    // 1 → 0.9 three times gives 0.3 only … 4 × 0.9 = 3.6 > 3.1, so no cut of 4 parts keeps the minimum: left as it is.
    expect(parts('3.1', '1', '0.1', '0.9')).toEqual(['1', '1', '1', '0.1']);
    // max 1, min 0.6, step 0.1, 2.9 = 1 + 1 + 0.9 fits; 3.2 = 1 + 1 + 1 + 0.2 lacks 0.4: the third gives 0.4 → 0.6.
    expect(parts('3.2', '1', '0.1', '0.6')).toEqual(['1', '1', '0.6', '0.6']);
    // max 1, min 0.7, step 0.1, 3.1 = 1 + 1 + 1 + 0.1 lacks 0.6: the third gives 0.3 (down to 0.7), the second 0.3:
    // 1, 0.7, 0.7, 0.7 (4 × 0.7 = 2.8 ≤ 3.1).
    expect(parts('3.1', '1', '0.1', '0.7')).toEqual(['1', '0.7', '0.7', '0.7']);
  });

  it('rounds a minimum off the step up to the step', () => {
    // min 0.25 on a step of 0.1: 0.3 is the least order. 2.1 → 1, 0.8, 0.3.
    expect(parts('2.1', '1', '0.1', '0.25')).toEqual(['1', '0.8', '0.3']);
  });
});
