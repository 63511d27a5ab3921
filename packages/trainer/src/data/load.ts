import { sha256Hex } from '@peelrec/format';
import { generateSynthetic, type SyntheticOptions } from '../synthetic/generate.js';
import { keepTrainedItems } from './catalog.js';
import { loadDelimited, type DelimitedOptions } from './delimited.js';
import { loadLightGCN } from './lightgcn.js';
import type { LoadReport } from './report.js';
import type { Dataset } from './types.js';

/** Where the interactions come from. */
export type DataSource = { kind: 'synthetic'; options?: SyntheticOptions } | { kind: 'lightgcn'; dir: string; name?: string } | { kind: 'delimited'; file: string; options?: DelimitedOptions };

export interface LoadedData {
  dataset: Dataset;
  report?: LoadReport;
  /** SHA-256 identifying the input: of the input files' hashes, or of the generated interactions. */
  sha256: string;
  /** How train/test were made, for the artifact's metrics section. */
  split: string;
}

export async function loadData(source: DataSource): Promise<LoadedData> {
  if (source.kind === 'synthetic') {
    const raw = generateSynthetic(source.options);
    const parts = [raw.train.indptr, raw.train.indices, raw.test.indptr, raw.test.indices];
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let off = 0;
    for (const p of parts) {
      bytes.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), off);
      off += p.byteLength;
    }
    // The generator keeps items nobody picked (and some only test picked): they leave the catalog here.
    const { dataset, untrainedItems, testUnranked } = keepTrainedItems(raw);
    const report: LoadReport = {
      files: [],
      users: dataset.nUsers,
      items: dataset.nItems,
      trainInteractions: dataset.train.indices.length,
      testInteractions: raw.test.indices.length,
      ...(untrainedItems ? { untrainedItems, testUnranked } : {}),
      duplicates: 0,
      trainTestOverlap: 0,
      skippedLines: 0,
    };
    return { dataset, report, sha256: await sha256Hex(bytes), split: 'synthetic: seeded random 80/20 per user' };
  }
  const { dataset, report } = source.kind === 'lightgcn' ? await loadLightGCN(source.dir, source.name) : await loadDelimited(source.file, source.options);
  const joined = report.files.map((f) => f.sha256).join('\n');
  const sha256 = report.files.length === 1 ? report.files[0]!.sha256 : await sha256Hex(new TextEncoder().encode(joined));
  let split: string;
  if (source.kind === 'lightgcn') split = 'LightGCN train.txt/test.txt';
  else if (source.options?.testFile) split = 'given train/test files';
  else {
    const s = source.options?.split ?? { kind: 'random', testFraction: 0.2, seed: 1 };
    split = s.kind === 'random' ? `random ${Math.round((1 - s.testFraction) * 100)}/${Math.round(s.testFraction * 100)} per user (seed ${s.seed})` : 'leave-last-out by timestamp';
  }
  return { dataset, report, sha256, split };
}
