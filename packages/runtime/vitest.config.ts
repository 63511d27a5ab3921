import { defineConfig } from 'vitest/config';
import { sourceResolve } from '../../scripts/source-condition.mjs';

export default defineConfig({
  ...sourceResolve,
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
  },
});
