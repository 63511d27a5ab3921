/**
 * The e2e suite: the real runtime and demo in the system Chromium
 * (playwright-core's own browsers cannot be downloaded here). PEELREC_CHROMIUM
 * selects another executable (the root `npm test` sets it).
 */
import { register } from 'node:module';
import { defineConfig } from '@playwright/test';
import { CHROMIUM_FLAGS, findChromium } from '../scripts/chromium.mjs';
import { DEMO_PORT, HARNESS_PORT } from './scripts/fixtures.js';

// The specs import the workspace packages: their sources, not a dist/ that a fresh clone has not built
// (scripts/source-condition.mjs). The runner and each worker load this config, so all of them resolve so.
register('../scripts/source-hooks.mjs', import.meta.url);

export const chromiumPath = findChromium();
export const chromiumArgs = [...CHROMIUM_FLAGS];

export default defineConfig({
  testDir: './tests',
  outputDir: './artifacts/test-results',
  fullyParallel: false,
  workers: 1, // 2 cores shared with the scoring itself
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  // The JSON report keeps every test's annotations (the figures each one measured).
  reporter: [['list'], ['json', { outputFile: 'artifacts/results.json' }]],
  use: {
    launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
    trace: 'off',
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'runtime', testIgnore: ['**/backends.spec.ts', '**/demo.spec.ts', '**/demo-methods.spec.ts'], use: { baseURL: `http://localhost:${HARNESS_PORT}` } },
    {
      // SwiftShader WebGPU: a real, software adapter (isFallbackAdapter).
      name: 'webgpu',
      testMatch: ['**/backends.spec.ts'],
      use: { baseURL: `http://localhost:${HARNESS_PORT}`, launchOptions: { executablePath: chromiumPath, args: [...chromiumArgs, '--enable-unsafe-webgpu'] } },
    },
    { name: 'demo', testMatch: ['**/demo.spec.ts', '**/demo-methods.spec.ts'], use: { baseURL: `http://localhost:${DEMO_PORT}` } },
  ],
  webServer: {
    command: 'node --conditions=@peelrec/source --import tsx scripts/serve.ts', // tsx from this package, whatever the PATH
    url: `http://localhost:${HARNESS_PORT}/`,
    timeout: 15 * 60_000, // first run trains the fixtures
    reuseExistingServer: !process.env.CI,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
