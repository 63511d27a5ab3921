import { defineConfig } from 'vitest/config';
import { watPlugin } from './src/wat-plugin.js';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [watPlugin()],
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
