/**
 * The demo page as the specs read it: loading it, and the geometry and figures that the budget, the grid
 * and the chart show. Everything is read from the DOM a person sees, not from the app's state.
 */
import { expect, type Page } from '@playwright/test';

export async function openDemo(page: Page, path = '/'): Promise<void> {
  await page.goto(path);
  await waitReady(page);
}

export async function waitReady(page: Page): Promise<void> {
  await expect(page.locator('body')).toHaveAttribute('data-state', /ready|error/, { timeout: 60_000 });
  const status = await page.locator('#status').textContent();
  expect(await page.locator('body').getAttribute('data-state'), status ?? '').toBe('ready');
  await expect(page.locator('#recs li')).toHaveCount(20);
}

/** Elements whose right edge passes the viewport: what makes a phone scroll sideways. */
export async function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; width: number; offenders: string[] }> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const offenders = [...document.querySelectorAll<HTMLElement>('body *')]
      .filter((el) => el.getBoundingClientRect().right > width + 0.5)
      .slice(0, 10)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className} right=${el.getBoundingClientRect().right.toFixed(0)}`);
    return { scrollWidth: document.documentElement.scrollWidth, width, offenders };
  });
}

/** The grid's cells: how many, and which are selected (in grid order). */
export async function gridCells(page: Page): Promise<{ total: number; selected: number; pattern: string }> {
  const flags = await page.locator('#grid .cell').evaluateAll((cells) => cells.map((c) => (c as HTMLElement).dataset.selected === 'true'));
  return { total: flags.length, selected: flags.filter(Boolean).length, pattern: flags.map((f) => (f ? '1' : '0')).join('') };
}

/** The budget in force, as the budget card states it (bytes). */
export const shownBudget = (page: Page) => page.locator('#bytes-used').evaluate((e) => Number((e as HTMLElement).dataset.budget));

/** "1.46 MiB" → bytes; NaN when the text is not a byte count. */
export function parseBytes(text: string): number {
  const m = /^([\d.]+) (B|KiB|MiB|GiB)$/.exec(text.trim());
  return m ? Number(m[1]) * 1024 ** ['B', 'KiB', 'MiB', 'GiB'].indexOf(m[2]!) : NaN;
}

/** The chart's x range as labelled (byte-count labels under the axis, left to right, at the x of the budget each names) and the marker's x. */
export async function chartRange(page: Page): Promise<{ ticks: { x: number; text: string }[]; markerX: number }> {
  return page.evaluate(() => {
    const svg = document.querySelector<SVGSVGElement>('#chart svg')!;
    const axisY = Number(svg.querySelector('line.axis')!.getAttribute('y1'));
    const ticks = [...svg.querySelectorAll<SVGTextElement>('text')]
      .filter((t) => Number(t.getAttribute('y')) > axisY && /^[\d.]+ (B|KiB|MiB|GiB)$/.test(t.textContent!.trim()))
      .map((t) => ({ x: Number(t.getAttribute('x')), text: t.textContent!.trim() }))
      .sort((a, b) => a.x - b.x);
    return { ticks, markerX: Number(svg.querySelector('line.now')!.getAttribute('x1')) };
  });
}

/** The marker's label: the other texts of the chart its box overlaps, and whether it crosses the curve (sampled every pixel). */
export async function markerLabel(page: Page): Promise<{ text: string; overlaps: string[]; crossesCurve: boolean }> {
  return page.evaluate(() => {
    const svg = document.querySelector<SVGSVGElement>('#chart svg')!;
    const texts = [...svg.querySelectorAll<SVGTextElement>('text')];
    const label = svg.querySelector<SVGTextElement>('text.now-label')!;
    const box = label.getBBox();
    const meets = (b: DOMRect) => box.x < b.x + b.width && b.x < box.x + box.width && box.y < b.y + b.height && b.y < box.y + box.height;
    const inBox = (x: number, y: number) => x >= box.x && x <= box.x + box.width && y >= box.y && y <= box.y + box.height;
    const curve = [...svg.querySelectorAll('polyline')].flatMap((p) => [...p.points].map((q) => [q.x, q.y] as const));
    let crossesCurve = false;
    for (let i = 1; i < curve.length; i++) {
      const [ax, ay] = curve[i - 1]!;
      const [bx, by] = curve[i]!;
      const n = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay)));
      for (let s = 0; s <= n; s++) if (inBox(ax + ((bx - ax) * s) / n, ay + ((by - ay) * s) / n)) crossesCurve = true;
    }
    return { text: label.textContent!, overlaps: texts.filter((t) => t !== label && meets(t.getBBox())).map((t) => t.textContent!.trim()), crossesCurve };
  });
}

/** The texts of the page that state byte counts: each fact, status and caption on its own. */
export async function byteSentences(page: Page): Promise<string[]> {
  return page
    .locator('#status, #budget-out, #bytes-used, #device-facts dd, #engine-facts dd, #grid-summary, #chart p, #budget-min, #budget-max')
    .evaluateAll((els) => els.map((e) => e.textContent ?? ''));
}
