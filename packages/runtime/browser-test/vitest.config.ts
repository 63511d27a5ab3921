import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['browser-test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
