/**
 * A Chromium with WebGPU on (`--enable-unsafe-webgpu`: SwiftShader here, correctness only) for the specs that
 * serve tables on WebGPU, and a context on it whose harness page has checked that an adapter is offered.
 */
import { chromium, expect, test, type Browser, type BrowserContext } from '@playwright/test';
import { CHROMIUM_FLAGS, findChromium } from '../../scripts/chromium.mjs';
import { openHarness } from './support.js';

/** Launches the WebGPU browser before the describe block's tests and closes it after; returns its getter. */
export function webGpuBrowser(): () => Browser {
  let gpu: Browser | undefined;
  test.beforeAll(async () => {
    gpu = await chromium.launch({ executablePath: findChromium(), args: [...CHROMIUM_FLAGS, '--enable-unsafe-webgpu'] });
  });
  test.afterAll(async () => {
    await gpu?.close();
  });
  return () => gpu!;
}

/** A new context on `gpu` at `baseURL`, after a harness page found a WebGPU adapter there (the caller closes it). */
export async function webGpuContext(gpu: Browser, baseURL: string | undefined): Promise<BrowserContext> {
  const context = await gpu.newContext({ baseURL });
  const page = await context.newPage();
  await openHarness(page);
  expect(await page.evaluate(async () => !!(await (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()))).toBe(true);
  await page.close();
  return context;
}
