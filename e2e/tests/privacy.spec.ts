/**
 * Privacy: a session that recommends for `{ history }` users sends nothing
 * about the history. Every request is logged; each must be a plain GET of a
 * static file the app shell or the manifest names, with no body, no query,
 * and no history id anywhere in its URL or headers. Nor does the request
 * pattern depend on the history (issue 27): block URLs name the user group,
 * so a history session fetches the group-blind plan, the same files for every
 * history at a budget, and a group switch fetches nothing.
 */
import { expect, test, type Browser, type Page, type Request } from '@playwright/test';
import { NetworkLog, fixture, manifestUrlOf, openHarness, privacyViolations } from './support.js';

const MODEL = 'synthetic';
/** Below the i8 table of one group (512,768 B; f16: 1,022,976 B): a real selection, fetched by byte ranges. */
const BUDGET = 300_000;
/** Grown to after a group switch, still below the i8 table: what it fetches must not depend on the group either. */
const GROWN = 450_000;

test('recommending for {history} users sends no history or chosen item id in any request', async ({ page, context }) => {
  const fx = fixture(MODEL);
  // Items from the long tail: a request mentioning them could not be a coincidence of popularity order.
  const n = fx.itemIds.length;
  const history = [n >> 1, (n >> 1) + 7, (n >> 2) * 3, n - 3, n - 11].map((p) => fx.itemIds[p]!);
  const exclude = [fx.itemIds[5]!];
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  const net = new NetworkLog(context);
  await openHarness(page);
  const r = await page.evaluate(
    async ({ url, history, exclude }) => {
      const rec = await window.peel.createRecommender({ manifestUrl: url, budget: 'auto', backend: 'wasm', storage: 'indexeddb', wasmPaths: window.peel.wasmPaths });
      const lists: string[][] = [];
      for (let i = 1; i <= history.length; i++) {
        const recs = await rec.recommend({ user: { history: history.slice(0, i) }, k: 20, exclude });
        lists.push(recs.map((x) => x.itemId));
      }
      await rec.persisted();
      await rec.dispose();
      return lists;
    },
    { url: manifestUrlOf(MODEL), history, exclude },
  );
  // The session really used the history: non-empty lists that change as it grows, never containing history or excluded items.
  expect(r.every((l) => l.length === 20)).toBe(true);
  expect(new Set(r.map((l) => l.join())).size).toBeGreaterThan(1);
  for (let i = 0; i < r.length; i++) {
    for (const h of history.slice(0, i + 1)) expect(r[i]).not.toContain(h);
    expect(r[i]).not.toContain(exclude[0]);
  }
  const entries = await net.settled();
  const modelFiles = new Set(['manifest.json', ...fx.nonBlockFiles, ...fx.blockFiles]);
  const violations = privacyViolations(entries, { model: MODEL, modelFiles, secrets: [...history, ...exclude], shell: /^\/(index\.html)?$|^\/assets\/[^/]+$/ });
  test.info().annotations.push({ type: 'requests', description: entries.map((e) => `${e.method} ${e.path} ${e.status} ${e.bytes}B`).join('\n') });
  expect(violations).toEqual([]);
  expect(sockets).toEqual([]);
  // Block URLs name a user group: only the blind group's pack is fetched, whatever the history's groups were.
  const packs = [...new Set(entries.map((e) => /\/blocks\/(u\d+)\.f(16|32)\.bin/.exec(e.path)?.[1]).filter((g) => g !== undefined))];
  expect(packs).toEqual([blindPack(fx)]);
  test.info().annotations.push({ type: 'block packs fetched', description: packs.join(', ') });
});

/**
 * The pack of the blind group: the one the most user groups share (the trainer writes one pack for groups whose
 * tables are identical), the lowest group's among equals. Read from the fixture, since which groups share depends
 * on its training.
 */
function blindPack(fx: ReturnType<typeof fixture>): string {
  const groupsOf = new Map<string, Set<number>>();
  for (const b of fx.manifest.blocks) {
    for (const f of b.files) {
      const pack = /^blocks\/(u\d+)\./.exec(f.url)?.[1];
      if (pack) groupsOf.set(pack, (groupsOf.get(pack) ?? new Set()).add(b.userGroup));
    }
  }
  const ranked = [...groupsOf].sort(([, a], [, b]) => b.size - a.size || Math.min(...a) - Math.min(...b));
  return ranked[0]![0];
}

/** Every request for the model's files, in the order the page issued it: method, path and Range header. */
function modelRequests(page: Page): () => Promise<string[]> {
  const seen: Request[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith(`/models/${MODEL}/`)) seen.push(r);
  });
  let read = 0;
  // The requests since the last call: a step's requests were all issued before its evaluate returned.
  return async () => {
    const step = seen.slice(read);
    read = seen.length;
    return Promise.all(step.map(async (r) => `${r.method()} ${new URL(r.url()).pathname} ${(await r.allHeaders()).range ?? '(whole file)'}`));
  };
}

/**
 * One `{ history }` session in a fresh context (empty HTTP cache and IndexedDB): a recommender at BUDGET, then
 * each step (a history to recommend for, or a budget to set). Returns the model requests of the creation and of
 * each step, and the user group after each step.
 */
async function historySession(browser: Browser, steps: readonly (string[] | number)[]) {
  const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  try {
    const page = await context.newPage();
    await openHarness(page);
    const since = modelRequests(page);
    await page.evaluate(
      async ({ url, budget }) => {
        const rec = await window.peel.createRecommender({ manifestUrl: url, budget, backend: 'wasm', storage: 'indexeddb', wasmPaths: window.peel.wasmPaths });
        (window as unknown as { rec: typeof rec }).rec = rec;
      },
      { url: manifestUrlOf(MODEL), budget: BUDGET },
    );
    const perStep = [await since()];
    const groups: number[] = [];
    for (const step of steps) {
      const group = await page.evaluate(async (step) => {
        const rec = (window as unknown as { rec: Awaited<ReturnType<typeof window.peel.createRecommender>> }).rec;
        if (typeof step === 'number') await rec.setBudget(step);
        else if ((await rec.recommend({ user: { history: step }, k: 20 })).length !== 20) throw new Error('no recommendations');
        return rec.info.userGroup;
      }, step);
      groups.push(group);
      perStep.push(await since());
    }
    return { perStep, groups, all: perStep.flat() };
  } finally {
    await context.close();
  }
}

/** The user group each history folds into at BUDGET, each asked of a fresh recommender (not logged). */
async function groupsOf(browser: Browser, histories: readonly string[][]): Promise<number[]> {
  const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  try {
    const page = await context.newPage();
    await openHarness(page);
    return await page.evaluate(
      async ({ url, budget, histories }) => {
        const out: number[] = [];
        for (const history of histories) {
          const rec = await window.peel.createRecommender({ manifestUrl: url, budget, backend: 'wasm', storage: 'memory', wasmPaths: window.peel.wasmPaths });
          await rec.recommend({ user: { history }, k: 1 });
          out.push(rec.info.userGroup);
          await rec.dispose();
        }
        return out;
      },
      { url: manifestUrlOf(MODEL), budget: BUDGET, histories },
    );
  } finally {
    await context.close();
  }
}

/** Single-item histories from across the catalog, with their groups. */
async function singles(browser: Browser) {
  const ids = fixture(MODEL).itemIds;
  const histories = Array.from({ length: 24 }, (_, i) => [ids[Math.floor(((i + 0.5) * ids.length) / 24)]!]);
  return { histories, groups: await groupsOf(browser, histories) };
}

test('two {history} sessions whose histories fall into different user groups make the same requests, in the same order', async ({ browser }) => {
  const { histories, groups } = await singles(browser);
  const a = groups.findIndex((g) => g !== 0);
  const b = groups.findIndex((g) => g !== groups[a]);
  expect(a).toBeGreaterThanOrEqual(0);
  expect(b).toBeGreaterThanOrEqual(0);
  const first = await historySession(browser, [histories[a]!]);
  const second = await historySession(browser, [histories[b]!]);
  test.info().annotations.push({ type: 'requests', description: first.all.join('\n') });
  expect(second.all).toEqual(first.all);
  expect(first.groups[0]).not.toBe(second.groups[0]);
  // Byte ranges of one pack, all issued while the recommender was created: nothing once a history was known.
  expect(first.all.some((r) => / bytes=\d+-\d+$/.test(r))).toBe(true);
  expect(first.perStep[1]).toEqual([]);
});

test('a growing history that crosses into another user group makes, from the crossing on, the requests of one that never crossed', async ({ browser }) => {
  const { histories, groups } = await singles(browser);
  const start = histories[0]!;
  const seconds = histories.slice(1).map((h) => h[0]!);
  const pairs = await groupsOf(
    browser,
    seconds.map((i) => [...start, i]),
  );
  const cross = seconds[pairs.findIndex((g) => g !== groups[0])];
  const stay = seconds[pairs.indexOf(groups[0]!)];
  expect(cross).toBeDefined();
  expect(stay).toBeDefined();
  const crossed = await historySession(browser, [start, [...start, cross!], GROWN, [...start, cross!, stay!]]);
  const stayed = await historySession(browser, [start, [...start, stay!], GROWN, [...start, stay!, cross!]]);
  expect(crossed.perStep.slice(2)).toEqual(stayed.perStep.slice(2));
  expect(crossed.groups[1]).not.toBe(crossed.groups[0]);
  expect(stayed.groups[1]).toBe(stayed.groups[0]);
  // No burst at the switch, and the budget grown after it fetched the same blocks as in the session that stayed.
  expect(crossed.perStep[2]).toEqual([]);
  expect(crossed.perStep[3]!.length).toBeGreaterThan(0);
  expect(crossed.all).toEqual(stayed.all);
});
