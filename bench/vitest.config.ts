import { defineConfig } from 'vitest/config';
import { sourceResolve } from '../scripts/source-condition.mjs';
import { watPlugin } from './src/wat-plugin.js';

export default defineConfig({
  ...sourceResolve,
  root: import.meta.dirname,
  plugins: [watPlugin()],
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
