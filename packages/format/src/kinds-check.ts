/**
 * The consistency rules of a v3 manifest that its schema cannot say (README,
 * "Consistency rules"): byte lengths follow from counts and dtype, a mixed
 * variant's columns are prefixes of one row order, and `bytes` is what the
 * refs hold, so that selection can trust `bytes` without reading a file.
 */
import { rangeProblems, shardProblems } from './checks.js';
import { type KindManifest, type MixedVariant, type SparseVariant, mixedColumnByteLength, permutationByteLength, SPARSE_MAX_FULL_DIM, sparseByteLength, variantRefs } from './kinds.js';

/** Every problem found, each prefixed with its JSON path (at most 50). */
export function kindProblems(m: KindManifest): string[] {
  const out: string[] = [];
  const { fullDim } = m.dims;
  const items = m.items.count;
  if (m.kind === 'sparse' && fullDim > SPARSE_MAX_FULL_DIM) out.push(`dims.fullDim: ${fullDim}, but sparse row counts and indices are u8 (at most ${SPARSE_MAX_FULL_DIM})`);
  const names = new Set<string>();
  m.variants.forEach((v, i) => {
    const at = `variants.${i}`;
    if (names.has(v.name)) out.push(`${at}.name: ${JSON.stringify(v.name)} is not unique`);
    names.add(v.name);
    out.push(...('columns' in v ? mixedProblems(v, at, items, fullDim) : sparseProblems(v, at, items, fullDim)));
    const held = variantRefs(v).reduce((n, r) => n + r.byteLength, 0);
    if (v.bytes !== held) out.push(`${at}.bytes: ${v.bytes}, but its files hold ${held} bytes`);
  });
  out.push(...shardProblems(m.users, fullDim));
  const refs = [
    { path: 'items.ids', ref: m.items.ids },
    ...(m.items.metadata ? [{ path: 'items.metadata', ref: m.items.metadata }] : []),
    ...(m.users.ids ? [{ path: 'users.ids', ref: m.users.ids }] : []),
    ...m.users.shards.map((s, i) => ({ path: `users.shards.${i}.file`, ref: s.file })),
    ...m.variants.flatMap((v, i) => variantRefs(v).map((ref, k) => ({ path: `variants.${i}.refs.${k}`, ref }))),
  ];
  out.push(...rangeProblems(refs));
  return out.slice(0, 50);
}

function mixedProblems(v: MixedVariant, at: string, items: number, fullDim: number): string[] {
  const out: string[] = [];
  if (v.columns.length > fullDim) out.push(`${at}.columns: ${v.columns.length} columns, more than fullDim ${fullDim}`);
  if (v.columns[0] && v.columns[0].count !== items) out.push(`${at}.columns.0.count: ${v.columns[0].count}, expected items.count ${items} (every item keeps at least one dimension)`);
  v.columns.forEach((c, r) => {
    const prev = v.columns[r - 1];
    if (prev && c.count > prev.count) out.push(`${at}.columns.${r}.count: ${c.count}, more than column ${r - 1}'s ${prev.count} (counts must not increase)`);
    const want = mixedColumnByteLength(c.count, v.dtype);
    if (c.file.byteLength !== want) out.push(`${at}.columns.${r}.file: byteLength ${c.file.byteLength}, expected ${want} (${c.count} × ${v.dtype})`);
  });
  if (v.permutation && v.permutation.byteLength !== permutationByteLength(items)) {
    out.push(`${at}.permutation: byteLength ${v.permutation.byteLength}, expected ${permutationByteLength(items)} (${items} items)`);
  }
  return out;
}

function sparseProblems(v: SparseVariant, at: string, items: number, fullDim: number): string[] {
  const out: string[] = [];
  if (v.nnz > items * fullDim) out.push(`${at}.nnz: ${v.nnz}, more than items.count × fullDim (${items * fullDim})`);
  const want = sparseByteLength(items, v.nnz, v.dtype);
  if (v.file.byteLength !== want) out.push(`${at}.file: byteLength ${v.file.byteLength}, expected ${want} (align4(${items} + ${v.nnz}) + ${v.nnz} × ${v.dtype})`);
  return out;
}
