import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // module tests live beside their module (modules/<family>/<module>/), lib tests beside lib/
    include: ['test/**/*.test.ts', 'modules/**/*.test.ts', 'lib/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // lab-based suites each bring up their own named lab; two cores: keep parallelism modest
    maxWorkers: 3,
    // runs connect directly unless a test asks for the connection holder (--persist, test/e2e/persist.test.ts):
    // no test attaches to a holder another test left
    env: { TSPLAY_PERSIST: '0' },
  },
});
