/**
 * The e2e suite: the real runtime and demo in the system Chromium
 * (playwright-core's own browsers cannot be downloaded here). PEELREC_CHROMIUM
 * selects another executable (the root `npm test` sets it).
 */
import { defineConfig } from '@playwright/test';
import { CHROMIUM_FLAGS, findChromium } from '../scripts/chromium.mjs';
import { DEMO_PORT, HARNESS_PORT } from './scripts/fixtures.js';

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
    { name: 'runtime', testIgnore: ['**/backends.spec.ts', '**/demo.spec.ts'], use: { baseURL: `http://localhost:${HARNESS_PORT}` } },
    {
      // SwiftShader WebGPU: a real, software adapter (isFallbackAdapter).
      name: 'webgpu',
      testMatch: ['**/backends.spec.ts'],
      use: { baseURL: `http://localhost:${HARNESS_PORT}`, launchOptions: { executablePath: chromiumPath, args: [...chromiumArgs, '--enable-unsafe-webgpu'] } },
    },
    { name: 'demo', testMatch: ['**/demo.spec.ts'], use: { baseURL: `http://localhost:${DEMO_PORT}` } },
  ],
  webServer: {
    command: 'node --import tsx scripts/serve.ts', // tsx from this package, whatever the PATH
    url: `http://localhost:${HARNESS_PORT}/`,
    timeout: 15 * 60_000, // first run trains the fixtures
    reuseExistingServer: !process.env.CI,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
