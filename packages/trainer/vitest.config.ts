import { defineConfig } from 'vitest/config';
import { sourceResolve } from '../../scripts/source-condition.mjs';

// Own config so vitest does not pick up the demo's vite.config.ts at the repo root.
export default defineConfig({
  ...sourceResolve,
  test: { root: import.meta.dirname, include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
