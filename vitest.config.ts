import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Fake-cluster tests open real sockets; forks keep them isolated per file.
    pool: 'forks',
    globalSetup: ['__tests__/global-tmp.ts'],
  },
});
