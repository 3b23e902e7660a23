import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits up to 1 s by default: too short for a loaded machine. Its bound ends a broken
    // run; it does not measure speed.
    expect: { poll: { timeout: 30_000 } },
    pool: 'forks',
    reporters: ['default'],
  },
});
