/**
 * The item catalog (ids, optional names and categories) and the known users,
 * for the pickers. Read from the artifact files the manifest pins, verified
 * against their hashes like everything else, and kept in Cache Storage so the
 * pickers work offline after the first load (the runtime keeps its own copy
 * of what scoring needs in IndexedDB, but does not expose it).
 */
import { type AnyManifestFile, parseManifest, verifyBytes, type FileRef, type ManifestFile } from '@peelrec/format';
import type { ItemMeta } from '@peelrec/runtime';

export interface Catalog {
  /** External item ids in artifact order (position 0 = most popular). */
  readonly ids: readonly string[];
  readonly meta?: readonly ItemMeta[];
  /** External user ids in artifact order. */
  readonly users: readonly string[];
}

const CACHE = 'peelrec-catalog';

/** Network first, the cached copy when offline; `check` (hash, schema) runs on either. */
async function fetchChecked(url: URL, check: (bytes: Uint8Array) => Promise<void> | void): Promise<Uint8Array> {
  const cache = 'caches' in globalThis ? await caches.open(CACHE).catch(() => undefined) : undefined;
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    await check(bytes);
    await cache?.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'Content-Type': 'application/json' } }));
    return bytes;
  } catch (e) {
    const hit = await cache?.match(url);
    if (!hit) throw e;
    const bytes = new Uint8Array(await hit.arrayBuffer());
    await check(bytes);
    return bytes;
  }
}

async function fetchJson<T>(base: URL, ref: FileRef): Promise<T> {
  const bytes = await fetchChecked(new URL(ref.url, base), (b) => verifyBytes(ref, b));
  return JSON.parse(new TextDecoder().decode(bytes)) as T;
}

/**
 * The manifest, read by the page before the runtime starts so the first
 * known user can be prepared at creation (the runtime then loads only that
 * user's group). The runtime fetches and validates it again itself.
 */
export async function loadManifest(url: URL): Promise<ManifestFile> {
  let manifest: ManifestFile | undefined;
  await fetchChecked(url, (b) => {
    manifest = parseManifest(new TextDecoder().decode(b));
  });
  return manifest!;
}

/** Any kind's manifest: PEEL's blocks and the v3 table kinds share the items and users sections. */
export async function loadCatalog(manifestUrl: URL, m: Pick<AnyManifestFile, 'items' | 'users'>): Promise<Catalog> {
  const [ids, meta, users] = await Promise.all([
    fetchJson<string[]>(manifestUrl, m.items.ids),
    m.items.metadata ? fetchJson<ItemMeta[]>(manifestUrl, m.items.metadata) : Promise.resolve(undefined),
    m.users.ids ? fetchJson<string[]>(manifestUrl, m.users.ids) : Promise.resolve(Array.from({ length: m.users.count }, (_, i) => String(i))),
  ]);
  return { ids, meta, users };
}

/** "Name · Category", or the id for datasets without metadata (Gowalla). */
export function itemLabel(c: Catalog, position: number): { title: string; detail?: string } {
  const meta = c.meta?.[position];
  if (meta?.name) return { title: meta.name, detail: meta.category };
  return { title: `Item ${c.ids[position]}`, detail: meta?.category };
}
