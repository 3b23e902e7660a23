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
    // Two files at a time. On a 2-core machine the default is one (cores − 1), yet most of the
    // slowest files wait on a child process, a database or a replay clock rather than the CPU.
    // Each test has its own database, schema, stream names and ports, so files never meet.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
