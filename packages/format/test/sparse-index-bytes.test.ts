import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sparseByteLength } from '../src/index.js';
import { bitmapBytes, entriesAtBudgetTable, indexEncodingTable } from './sparse-index-bytes.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('the sparse index-encoding measurement (README, "Why u8 CSR")', () => {
  it('the README holds the computed tables', () => {
    expect(readme).toContain(indexEncodingTable());
    expect(readme).toContain(entriesAtBudgetTable());
  });

  it('CSR is smaller than a bitmap exactly while a row has fewer than 15 entries (fullDim 128)', () => {
    const rows = 1000;
    expect(sparseByteLength(rows, 14 * rows, 'f16')).toBeLessThan(bitmapBytes(rows, 128, 14 * rows, 'f16'));
    expect(sparseByteLength(rows, 15 * rows, 'f16')).toBe(bitmapBytes(rows, 128, 15 * rows, 'f16'));
    expect(sparseByteLength(rows, 16 * rows, 'f32')).toBeGreaterThan(bitmapBytes(rows, 128, 16 * rows, 'f32'));
  });
});
