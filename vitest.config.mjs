import { defineConfig } from 'vitest/config';

// Tests share two cores with native code that itself uses all cores: run files one at a time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: process.env.CI ? ['verbose'] : ['default'],
  },
});
