import { defineConfig } from 'vitest/config';

// One project per tier: `vitest run --project unit` (npm run test:unit) runs one of them.
// Unit and e2e spawn the CLI, which runs from dist/: their global setup compiles lib/ once.
const tier = (name, groupOrder, extra = {}) => ({
  extends: true,
  test: { name, include: [`test/${name}/**/*.test.ts`], sequence: { groupOrder }, ...extra },
});

// Tests share two cores with native code that itself uses all cores: run files one at a time,
// and the tiers one after another (groupOrder), never side by side.
export default defineConfig({
  test: {
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: process.env.CI ? ['verbose'] : ['default'],
    projects: [
      tier('unit', 0, { globalSetup: ['test/setup/build-dist.ts'] }),
      tier('parity', 1),
      tier('e2e', 2, { globalSetup: ['test/setup/build-dist.ts'] }),
      tier('harness', 3),
    ],
  },
});
