import { defineConfig } from 'vitest/config';
import { sourceResolve } from '../../../scripts/source-condition.mjs';

export default defineConfig({
  ...sourceResolve,
  test: {
    include: ['browser-test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
