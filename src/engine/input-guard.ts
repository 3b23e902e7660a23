/**
 * The durable engine refuses, before journaling, every input the kernel could not apply at all
 * (see core/kernel/input-validation.ts): nothing changes and nothing is recorded.
 */
export { inputProblem } from '../core/kernel/input-validation.js';

export class InputRefusedError extends Error {
  override readonly name = 'InputRefusedError';
}
