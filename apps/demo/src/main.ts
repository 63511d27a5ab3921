/**
 * The demo page: one recommender, created with the automatic budget, and
 * views that follow its `info`. Query parameters (for trying things out):
 * `?model=<manifest URL on this origin>`, `?backend=auto|webgpu|wasm|cpu`.
 */
import { type AnyManifest, isPeelManifest } from '@peelrec/format';
import { createRecommender, type BackendPreference, type Recommender, type RecommenderEvents, type UserInput } from '@peelrec/runtime';
import { budgetPanel } from './budget-panel.js';
import { loadCatalog, loadManifest, type Catalog } from './catalog.js';
import { findMethods, type FoundMethods } from './methods.js';
import { registerServiceWorker } from './offline.js';
import { formatBytes, formatBytesAlike } from './units.js';
import { renderBlocksGrid } from './views/blocks-grid.js';
import { renderEngine, type EngineExtras } from './views/engine.js';
import { methodsCard, PAGE_MODEL, type SwitchTarget } from './views/methods-card.js';
import { newUserPanel, type NewUserPanel } from './views/new-user.js';
import { renderRecallChart } from './views/recall-chart.js';
import { renderRecommendations, revealFirst } from './views/recommendations.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const statusEl = $('status');
const K = 20;
/** How often the Compare methods card looks again while the server prepares the comparison. */
const METHODS_POLL_MS = 5000;

function setStatus(text: string, state: 'loading' | 'ready' | 'error' = 'loading'): void {
  statusEl.textContent = text;
  statusEl.classList.toggle('error', state === 'error');
  document.body.dataset.state = state;
}

function manifestUrlFromQuery(params: URLSearchParams): URL {
  const url = new URL(params.get('model') ?? __PEELREC_DEFAULT_MANIFEST__, location.href);
  if (url.origin !== location.origin) throw new Error(`?model must be on this origin (${location.origin}), got ${url.origin}`);
  return url;
}

function backendFromQuery(params: URLSearchParams): BackendPreference {
  const b = params.get('backend') ?? 'auto';
  if (b === 'auto' || b === 'webgpu' || b === 'wasm' || b === 'cpu') return b;
  throw new Error(`?backend must be auto, webgpu, wasm or cpu, got ${b}`);
}

/** Runs `task` for the latest request only: calls made while one runs collapse into one rerun. */
function latestOnly<T>(task: (arg: T) => Promise<void>): (arg: T) => void {
  let running = false;
  let next: { arg: T } | undefined;
  const pump = async () => {
    running = true;
    while (next) {
      const { arg } = next;
      next = undefined;
      await task(arg);
    }
    running = false;
  };
  return (arg) => {
    next = { arg };
    if (!running) void pump();
  };
}

async function main(): Promise<void> {
  void registerServiceWorker();
  const params = new URLSearchParams(location.search);
  const pageUrl = manifestUrlFromQuery(params);
  /** The artifact serving now: the page's model, or the method the Compare methods card switched to. */
  let manifestUrl = pageUrl;
  const backend = backendFromQuery(params);
  const bar = $('progress-bar');

  setStatus('Loading the model…');
  const first = await loadManifest(manifestUrl);
  let catalog: Catalog = await loadCatalog(manifestUrl, first);
  const firstUserId = catalog.users[0]!;
  // A background update may end before the page has wired its views: keep its outcome until they are.
  const early: { updated?: RecommenderEvents['updated']; updatefailed?: RecommenderEvents['updatefailed'] } = {};
  let onUpdated = (u: RecommenderEvents['updated']) => void (early.updated = u);
  let onUpdateFailed = (f: RecommenderEvents['updatefailed']) => void (early.updatefailed = f);
  const open = (url: URL, user?: { readonly id: string }) =>
    createRecommender({
      on: { updated: (u) => onUpdated(u), updatefailed: (f) => onUpdateFailed(f) },
      manifestUrl: url,
      budget: 'auto',
      backend,
      storage: 'indexeddb',
      // No wasmPaths: the runtime points Vite at the tfjs-backend-wasm binaries itself (as an app gets it).
      ...(user ? { user } : {}),
      onProgress: (p) => {
        const { loaded, total, filesDone, files } = p.aggregate;
        bar.style.width = total > 0 ? `${((loaded / total) * 100).toFixed(1)}%` : '100%';
        const [got, all] = formatBytesAlike(loaded, total);
        setStatus(`Loading blocks: ${filesDone}/${files} files, ${got} of ${all}`);
      },
    });
  // Load the first known user's group right away (the picker starts on that user).
  let rec: Recommender = await open(manifestUrl, { id: firstUserId });
  let m: AnyManifest = rec.manifest;
  // The runtime may hold another version (its IndexedDB copy when offline): show that one's catalog.
  if (m.model.contentHash !== first.model.contentHash) catalog = await loadCatalog(manifestUrl, m);
  const handle = { rec }; // for the console and the e2e suite (the recommender serving now)
  (window as unknown as { peelrecDemo: unknown }).peelrecDemo = handle;

  const extras: { -readonly [K in keyof EngineExtras]: EngineExtras[K] } = {};
  let mode: 'known' | 'new' = 'known';
  let userId = catalog.users[0]!;
  let history: string[] = [];

  const budget = budgetPanel((bytes) => applyBudget(bytes));
  /** Set by a tap in new-user mode: the next list is scrolled into view if it is off screen. */
  let revealNext = false;

  // The Compare methods card: filled once the method comparison is found (never blocks the first list).
  let methods: FoundMethods | undefined;
  let active = PAGE_MODEL;
  let switching: { loading?: string; error?: string } = {};
  const card = methodsCard($('methods'), pageUrl, (target) => void switchMethod(target));

  const renderInfo = () => {
    const info = rec.info;
    // A v3 manifest when a method of another kind serves: only PEEL's blocks have a grid and a chart.
    const served = rec.manifest;
    if (isPeelManifest(served)) {
      // rec.manifest holds the block tables of every group loaded so far.
      budget.render(info, served);
      renderBlocksGrid($('grid'), $('grid-summary'), served, info.selection, info.residentBytes);
      renderRecallChart($('chart'), served, budget.marker(info));
      $('model-line').textContent =
        `Model ${served.model.id} (${served.model.contentHash.slice(0, 12)}), ${served.items.count.toLocaleString()} items, ` +
        `${served.userGroups.count} user groups, ${served.itemGroups.length} item groups × ${served.dims.blocksPerItem} blocks of ${served.dims.blockDim} dims.`;
    } else {
      const kind = info.table?.kind ?? served.kind;
      $('grid').replaceChildren();
      $('grid-summary').textContent = `${active} serves a ${kind} table, not blocks: see Compare methods.`;
      $('chart').textContent = `Quality vs budget follows PEEL's blocks; ${active}'s figures are in Compare methods.`;
      $('model-line').textContent = `Model ${served.model.id} (${served.model.contentHash.slice(0, 12)}), ${served.items.count.toLocaleString()} items, one ${kind} table.`;
    }
    renderEngine($('engine-facts'), info, extras);
    if (methods) card.render({ found: methods, ...switching, active, info, marker: budget.marker(info) });
  };

  const currentUser = (): UserInput | undefined => (mode === 'known' ? { id: userId } : history.length ? { history: [...history] } : undefined);

  let panel: NewUserPanel | undefined;
  let shownGroup = rec.info.userGroup;
  /** Recommenders replaced by a switch: disposed when no request can still be using them (refresh runs one at a time). */
  const retired: Recommender[] = [];
  const refresh = latestOnly<void>(async () => {
    for (const old of retired.splice(0)) await old.dispose().catch(() => undefined);
    const user = currentUser();
    const list = $('recs');
    if (!user) {
      list.replaceChildren();
      $('recs-meta').textContent = 'Tap a few items above to get recommendations.';
      return;
    }
    try {
      const t0 = performance.now();
      const recs = await rec.recommend({ user, k: K });
      extras.lastLatencyMs = performance.now() - t0;
      extras.lastLoadedGroup = rec.info.userGroup !== shownGroup ? rec.info.userGroup : undefined;
      if (rec.info.userGroup !== shownGroup) {
        shownGroup = rec.info.userGroup; // another group's blocks were loaded: track their writes too
        trackSaved();
      }
      renderRecommendations(list, recs, catalog, mode === 'new' ? toggleHistory : undefined);
      if (revealNext) revealFirst(list);
      revealNext = false;
      $('recs-meta').textContent =
        (mode === 'known' ? `For user ${userId}` : `For your ${history.length}-item history`) +
        ` (user group ${rec.info.userGroup}), scored on ${rec.info.backend.name} in ${extras.lastLatencyMs.toFixed(1)} ms` +
        (extras.lastLoadedGroup === undefined ? '.' : ", including loading that group's blocks.");
      const held = rec.info.table ? `${active}'s ${rec.info.table.kind} variant ${rec.info.table.name}` : `${rec.info.selection.blocks.length} blocks`;
      setStatus(`Ready: ${held} on this device, ${formatBytes(rec.info.residentBytes)}.`, 'ready');
    } catch (e) {
      setStatus(`Could not recommend: ${(e as Error).message}`, 'error');
    }
    renderInfo();
  });

  /** Tracks the IndexedDB writes of the current selection, so the page can say when it works offline. */
  const trackSaved = () => {
    extras.saved = 'saving';
    void rec.persisted().then(
      (s) => {
        extras.saved = s.mode === 'indexeddb' && s.pendingWrites === 0 ? 'saved' : 'not saved';
        renderEngine($('engine-facts'), rec.info, extras);
      },
      () => {
        extras.saved = 'not saved';
        renderEngine($('engine-facts'), rec.info, extras);
      },
    );
  };

  const applyBudget = latestOnly<number | 'auto'>(async (bytes) => {
    setStatus(bytes === 'auto' ? 'Back to the automatic budget…' : `Applying a budget of ${formatBytes(bytes)}…`);
    try {
      await rec.setBudget(bytes);
      budget.settled(bytes, true);
      trackSaved();
    } catch (e) {
      budget.settled(bytes, false);
      setStatus(`Budget not applied: ${(e as Error).message}`, 'error');
    }
    renderInfo();
    refresh();
  });

  function toggleHistory(itemId: string): void {
    history = history.includes(itemId) ? history.filter((h) => h !== itemId) : [...history, itemId];
    panel?.render(history);
    revealNext = true;
    refresh();
  }

  // Users: a picker of known users (the first 200, plus any random pick) and the new-user mode.
  const picker = $<HTMLSelectElement>('user-picker');
  const addUserOption = (id: string) => {
    if ([...picker.options].some((o) => o.value === id)) return;
    picker.add(new Option(`User ${id}`, id));
  };
  const fillPicker = () => {
    picker.replaceChildren();
    catalog.users.slice(0, 200).forEach(addUserOption);
    addUserOption(userId);
    picker.value = userId;
  };
  fillPicker();
  picker.addEventListener('change', () => {
    userId = picker.value;
    refresh();
  });
  $('random-user').addEventListener('click', () => {
    userId = catalog.users[Math.floor(Math.random() * catalog.users.length)]!;
    addUserOption(userId);
    picker.value = userId;
    refresh();
  });
  panel = newUserPanel($('catalog'), $('history'), $<HTMLButtonElement>('more-items'), () => catalog, toggleHistory);
  const setMode = (next: 'known' | 'new') => {
    mode = next;
    $('mode-known').setAttribute('aria-selected', String(next === 'known'));
    $('mode-new').setAttribute('aria-selected', String(next === 'new'));
    $('known-panel').hidden = next !== 'known';
    $('new-panel').hidden = next !== 'new';
    panel?.render(history);
    refresh();
  };
  $('mode-known').addEventListener('click', () => setMode('known'));
  $('mode-new').addEventListener('click', () => setMode('new'));
  $('clear-history').addEventListener('click', () => {
    history = [];
    panel?.render(history);
    refresh();
  });

  const wire = (r: Recommender) => {
    for (const event of ['fallback', 'integrity', 'quota', 'storage'] as const) {
      r.on(event, (detail) => {
        extras.lastEvent = `${event}: ${JSON.stringify(detail)}`;
        renderEngine($('engine-facts'), r.info, extras);
      });
    }
  };
  wire(rec);

  /**
   * Serves another method: `createRecommender` on its artifact (the same SDK, the same options), then the old
   * recommender is retired. The new catalog replaces the old; the chosen user and history items it lacks are dropped.
   * A failure is shown in the card and the old method keeps serving.
   */
  async function switchMethod(target: SwitchTarget): Promise<void> {
    switching = { loading: target.name };
    renderInfo();
    try {
      // No `user`: the picked one may not be in that catalog (its group, if any, loads on the first request).
      const next = await open(target.manifestUrl);
      const nextCatalog = await loadCatalog(target.manifestUrl, next.manifest).catch(async (e: unknown) => {
        await next.dispose();
        throw e;
      });
      retired.push(rec);
      rec = handle.rec = next;
      m = next.manifest;
      manifestUrl = target.manifestUrl;
      catalog = nextCatalog;
      active = target.name;
      shownGroup = rec.info.userGroup;
      wire(rec);
      if (!catalog.users.includes(userId)) userId = catalog.users[0]!;
      const ids = new Set(catalog.ids);
      history = history.filter((id) => ids.has(id));
      fillPicker();
      panel?.render(history);
      switching = {};
      trackSaved();
    } catch (e) {
      const error = `Could not switch to ${target.name}: ${(e as Error).message}. Still serving ${active === PAGE_MODEL ? "this page's model" : active}.`;
      switching = { error };
      setStatus(error, 'error');
    }
    renderInfo();
    refresh();
  }
  // `npm run demo` prepares the comparison after the server is up: look again until it is no longer preparing.
  const lookForMethods = async () => {
    methods = await findMethods();
    renderInfo();
    if (methods.state === 'preparing') setTimeout(() => void lookForMethods(), METHODS_POLL_MS);
  };
  void lookForMethods();
  // Cache-first: a new version was downloaded in the background and now serves every request. Its items
  // and users may differ, so the page takes its catalog too; a user or history item it lacks is dropped.
  onUpdated = (u) => {
    void (async () => {
      try {
        const next = await loadCatalog(manifestUrl, rec.manifest);
        m = rec.manifest;
        catalog = next;
      } catch (e) {
        setStatus(`Model updated to ${u.to.id}, but its catalog did not load: ${(e as Error).message}`, 'error');
        return;
      }
      if (!catalog.users.includes(userId)) userId = catalog.users[0]!;
      const ids = new Set(catalog.ids);
      history = history.filter((id) => ids.has(id));
      fillPicker();
      panel?.render(history);
      extras.lastEvent = `updated from ${u.from.contentHash.slice(0, 12)} to ${u.to.contentHash.slice(0, 12)}`;
      trackSaved();
      refresh();
    })();
  };
  onUpdateFailed = (f) => {
    extras.lastEvent = `update failed (${f.stage}): ${f.reason}; still serving ${rec.info.model.contentHash.slice(0, 12)}`;
    renderEngine($('engine-facts'), rec.info, extras);
  };
  if (early.updated) onUpdated(early.updated);
  if (early.updatefailed) onUpdateFailed(early.updatefailed);
  window.addEventListener('online', renderInfo);
  window.addEventListener('offline', renderInfo);

  renderInfo();
  refresh();
  trackSaved();
}

main().catch((e: unknown) => {
  const err = e as Error;
  console.error(err);
  setStatus(`${err.name ?? 'Error'}: ${err.message}`, 'error');
});
