/**
 * The methods whose artifacts the demo serves (issue 20): PEEL's is the page's own model; the others are the
 * method comparison `npm run demo` writes to models/methods/<name>/ (scripts/demo-methods.ts). Each method's
 * quality at its device bytes comes from its own manifest's `metrics`, as the trainer measured it, so the
 * card shows exactly what switching to it would serve. A method artifact of another catalog (a custom
 * PEELREC_MODEL_DIR, say) is left out: switching to it would change the items, not the method.
 */
import { type AnyManifestFile, fullTableBytes, isPeelManifest, parseAnyManifest } from '@peelrec/format';

/** The names `peelrec-train methods --out` writes artifacts for, in scripts/demo-methods.ts's order. */
const SERVED_METHODS = ['magprune', 'frequency-sized'] as const;

export interface MethodPoint {
  readonly bytes: number;
  readonly recall20: number;
  readonly ndcg20: number;
  /** "20 %", or "whole table". */
  readonly label: string;
}

export interface MethodEntry {
  /** "peel", "magprune", "frequency-sized". */
  readonly name: string;
  readonly kind: AnyManifestFile['kind'];
  readonly manifestUrl: URL;
  /** The embedding width it was trained at: PEEL's model and the comparison's backbone may differ. */
  readonly fullDim: number;
  /** Ascending by bytes. */
  readonly points: readonly MethodPoint[];
}

export interface FoundMethods {
  readonly methods: readonly MethodEntry[];
  /** Why a method was left out, one line each. */
  readonly skipped: readonly string[];
}

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

async function fetchManifest(url: URL): Promise<AnyManifestFile | undefined> {
  const res = await fetch(url);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
  return parseAnyManifest(await res.text());
}

/** The page's model (`peel`) and every served method artifact of the same catalog. Never throws: a failure is a skipped line. */
export async function findMethods(peelUrl: URL, peel: AnyManifestFile): Promise<FoundMethods> {
  const methods: MethodEntry[] = [{ name: isPeelManifest(peel) ? 'peel' : peel.kind, kind: peel.kind, manifestUrl: peelUrl, fullDim: peel.dims.fullDim, points: pointsOf(peel) }];
  const skipped: string[] = [];
  await Promise.all(
    SERVED_METHODS.map(async (name, i) => {
      const url = new URL(`models/methods/${name}/manifest.json`, location.href);
      try {
        const m = await fetchManifest(url);
        if (!m) return void skipped.push(`${name}: not served (npm run demo prepares it)`);
        if (m.items.count !== peel.items.count) return void skipped.push(`${name}: another catalog (${m.items.count} items, not ${peel.items.count})`);
        methods[i + 1] = { name, kind: m.kind, manifestUrl: url, fullDim: m.dims.fullDim, points: pointsOf(m) };
      } catch (e) {
        skipped.push(`${name}: ${(e as Error).message}`);
      }
    }),
  );
  return { methods: methods.filter(Boolean), skipped };
}
