/**
 * The method comparison the demo serves at models/methods/ (issue 20; scripts/demo-methods.ts): one
 * `peelrec-train methods` run, so every method's table stands on the same backbone and its quality at its
 * device bytes (its manifest's `metrics`, as that run measured them) compares like with like. The page's own
 * model is not one of them: it is another model (the demo's 512 dims), so the card never plots it beside them.
 * `status.json` says whether `npm run demo` is still preparing the comparison.
 */
import { type AnyManifestFile, fullTableBytes, isPeelManifest, parseAnyManifest } from '@peelrec/format';
import type { DEMO_METHODS, MethodsStatus } from '../scripts/demo-methods.js';

/** `methods --out` writes one folder each, in the run's order (scripts/demo-methods.ts). */
const SERVED_METHODS: typeof DEMO_METHODS.exported = ['peel', 'magprune', 'frequency-sized', 'bet', 'ciess', 'sparserec'];
const BASE = 'models/methods/';

export interface MethodPoint {
  readonly bytes: number;
  readonly recall20: number;
  readonly ndcg20: number;
  /** "20 %", or "whole table". */
  readonly label: string;
}

export interface MethodEntry {
  /** "peel", "magprune", "frequency-sized", "bet", "ciess", "sparserec". */
  readonly name: string;
  readonly kind: AnyManifestFile['kind'];
  readonly manifestUrl: URL;
  readonly fullDim: number;
  /** Ascending by bytes. */
  readonly points: readonly MethodPoint[];
}

export type FoundMethods =
  /** Nothing served at models/methods/ (a build deployed on its own, say). */
  | { readonly state: 'absent' }
  | { readonly state: 'preparing'; readonly since: string }
  | { readonly state: 'failed'; readonly reason: string }
  /** `skipped`: why a method was left out, one line each. */
  | { readonly state: 'ready'; readonly methods: readonly MethodEntry[]; readonly skipped: readonly string[] };

function pointsOf(m: AnyManifestFile): MethodPoint[] {
  const pts: MethodPoint[] = (m.metrics?.budgets ?? []).map((b) => ({
    bytes: b.bytes,
    recall20: b.recall20,
    ndcg20: b.ndcg20,
    label: `${Math.round(b.fraction * 100)} %`,
  }));
  const full = m.metrics?.full;
  // fullTableBytes reads the block layout: only a PEEL manifest has its whole-table size at hand.
  if (full && isPeelManifest(m)) pts.push({ bytes: fullTableBytes(m, 'f32'), recall20: full.recall20, ndcg20: full.ndcg20, label: 'whole table' });
  return pts.sort((a, b) => a.bytes - b.bytes);
}

/** The JSON at `url`; undefined on a 404; a failure's reason as a string. */
async function fetchText(url: URL): Promise<string | undefined | { readonly error: string }> {
  try {
    const res = await fetch(url, { cache: 'no-store' });
    if (res.status === 404) return undefined;
    if (!res.ok) return { error: `${url.pathname}: HTTP ${res.status}` };
    return await res.text();
  } catch (e) {
    return { error: `${url.pathname}: ${(e as Error).message}` };
  }
}

/** The comparison's state, and when ready every method of it that is served and of the same run. Never throws. */
export async function findMethods(): Promise<FoundMethods> {
  const status = await fetchText(new URL(`${BASE}status.json`, location.href));
  if (status === undefined) return { state: 'absent' };
  if (typeof status !== 'string') return { state: 'failed', reason: status.error };
  let s: MethodsStatus;
  try {
    s = JSON.parse(status) as MethodsStatus;
  } catch (e) {
    return { state: 'failed', reason: `status.json: ${(e as Error).message}` };
  }
  if (s.state !== 'ready') return s;
  const skipped: string[] = [];
  const found = await Promise.all(
    SERVED_METHODS.map(async (name): Promise<MethodEntry | undefined> => {
      const url = new URL(`${BASE}${name}/manifest.json`, location.href);
      const text = await fetchText(url);
      if (text === undefined) return void skipped.push(`${name}: not in this comparison`);
      if (typeof text !== 'string') return void skipped.push(`${name}: ${text.error}`);
      try {
        const m = parseAnyManifest(text);
        return { name, kind: m.kind, manifestUrl: url, fullDim: m.dims.fullDim, points: pointsOf(m) };
      } catch (e) {
        return void skipped.push(`${name}: ${(e as Error).message}`);
      }
    }),
  );
  const methods = found.filter((m): m is MethodEntry => m !== undefined);
  // One run writes one width: a method of another would not share the backbone (a folder left from an older run).
  const dim = methods[0]?.fullDim;
  for (const m of methods) if (m.fullDim !== dim) skipped.push(`${m.name}: ${m.fullDim} dims, not the comparison's ${dim}`);
  return { state: 'ready', methods: methods.filter((m) => m.fullDim === dim), skipped };
}
