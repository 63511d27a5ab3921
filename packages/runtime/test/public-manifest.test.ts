/**
 * `Recommender.manifest` says what it holds: a union discriminated on `kind` of PEEL's manifest (with its loaded
 * block tables) and a v3 table kind's. The types are checked by `tsc` (this file is in tsconfig.json's `include`):
 * reading a PEEL-only field without narrowing is an error. At run time each load's manifest has its own kind.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { isKindManifest, isPeelManifest, type AnyManifest, type KindManifest, type Manifest, type MixedManifest, type Recommender, type SparseManifest } from '../src/index.js';
import { tracking } from './fixtures/tracked.js';
import { harness } from './helpers.js';
import { kindHarness } from './kind-helpers.js';

const { track } = tracking();

describe('Recommender.manifest', () => {
  it('is typed as the union of the PEEL manifest and the v3 kind manifests, narrowed by kind', () => {
    expectTypeOf<Recommender['manifest']>().toEqualTypeOf<AnyManifest>();
    expectTypeOf<Recommender['manifest']>().toEqualTypeOf<Manifest | MixedManifest | SparseManifest>();
    expectTypeOf<Recommender['manifest']['kind']>().toEqualTypeOf<'peel-blocks' | 'mixed' | 'sparse'>();
    // PEEL's fields are not there until the manifest is narrowed.
    expectTypeOf<Recommender['manifest']>().not.toHaveProperty('blocks');
    expectTypeOf<Recommender['manifest']>().not.toHaveProperty('variants');
    const narrow = (m: Recommender['manifest']) => {
      if (isPeelManifest(m)) expectTypeOf(m).toEqualTypeOf<Manifest>();
      if (isKindManifest(m)) expectTypeOf(m).toEqualTypeOf<KindManifest>();
      if (m.kind === 'sparse') expectTypeOf(m).toEqualTypeOf<SparseManifest>();
    };
    expect(narrow).toBeTypeOf('function');
  });

  it.each(['mixed', 'sparse'] as const)('of a %s load is that kind manifest, its variants and no blocks', async (kind) => {
    const h = await kindHarness({ kind });
    const rec = track(await h.open({ storage: 'memory' }));
    const m = rec.manifest;
    expect(m.kind).toBe(kind);
    expect(isKindManifest(m)).toBe(true);
    expect(isPeelManifest(m)).toBe(false);
    expect(m).not.toHaveProperty('blocks');
    if (!isKindManifest(m)) throw new Error('unreachable: checked above');
    expect(m.variants).toEqual(h.fixture.manifest.variants);
    expect(m.model.contentHash).toBe(rec.info.model.contentHash);
  });

  it('of a PEEL load is the peel-blocks manifest with the block table of the group it serves', async () => {
    const h = await harness();
    const rec = track(await h.open({ storage: 'memory' }));
    const m = rec.manifest;
    expect(m.kind).toBe('peel-blocks');
    if (!isPeelManifest(m)) throw new Error('unreachable: checked above');
    expect(m.blocks.length).toBeGreaterThan(0);
    expect(m.blocks.some((b) => b.userGroup === rec.info.userGroup)).toBe(true);
  });
});
