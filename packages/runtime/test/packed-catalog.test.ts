import { describe, expect, it } from 'vitest';
import { packCatalog, unpackCatalog } from '../src/catalog.js';
import type { ItemCatalog } from '../src/types.js';

/** As the scoring worker sends it and the page receives it: through structured clone. */
const roundTrip = (c: ItemCatalog): ItemCatalog => {
  const { packed, transfer } = packCatalog(c);
  return unpackCatalog(structuredClone(packed, { transfer }));
};

describe('the catalog across the worker boundary', () => {
  it('crosses as two transferred buffers, not an array of ids', () => {
    const { packed, transfer } = packCatalog({ ids: ['a', 'bc', ''] });
    expect(Array.from(packed.units)).toEqual([97, 98, 99]);
    expect(Array.from(packed.ends)).toEqual([1, 3, 3]);
    expect(transfer).toEqual([packed.units.buffer, packed.ends.buffer]);
    expect(packed).not.toHaveProperty('metadataJson');
    structuredClone(packed, { transfer });
    expect(packed.units.length).toBe(0); // handed over, not copied
  });

  it('decodes catalogs longer than one decoding chunk', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `item-${i}`);
    expect(roundTrip({ ids }).ids).toEqual(ids);
  });

  it('gives back every id, in order, whatever its characters', () => {
    const ids = ['0', 'item-17', '', 'naïve', '😀x', 'a'.repeat(40), '\u0000', '\ud800lone'];
    const c = roundTrip({ ids });
    expect(c.ids).toEqual(ids);
    expect('metadata' in c).toBe(false);
  });

  it('builds ids once, frozen, so an app cannot change what recommend returns', () => {
    const c = roundTrip({ ids: ['x', 'y'] });
    expect(c.ids).toBe(c.ids);
    expect(Object.isFrozen(c.ids)).toBe(true);
    expect(() => (c.ids as string[]).push('z')).toThrow(TypeError);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('carries metadata by position, built once', () => {
    const metadata = [{ name: 'A', category: 'x' }, { name: 'B' }];
    const c = roundTrip({ ids: ['a', 'b'], metadata });
    expect(c.metadata).toEqual(metadata);
    expect(c.metadata).toBe(c.metadata);
    expect(Object.isFrozen(c.metadata)).toBe(true);
    expect(Object.keys(c).sort()).toEqual(['ids', 'metadata']);
  });

  it('packs an empty catalog', () => {
    expect(roundTrip({ ids: [] }).ids).toEqual([]);
  });
});
