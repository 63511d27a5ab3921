/**
 * Issue 27: what each way of hiding a `{ history }` user's group from the server costs in block bytes at the
 * bench's budget, computed from the catalog's block tables with the runtime's selection (wasm: file bytes). The
 * runtime's choice (the group-blind plan) is also measured on the wire by the start-up runs; the others are not
 * built, so their bytes come from here. Every plan but the first also fetches every group's block table.
 */
import { readFile } from 'node:fs/promises';
import { selectBlocks, type Manifest } from '@peelrec/format';

export interface GroupBlindOption {
  readonly option: string;
  /** Block bytes downloaded. */
  readonly blockBytes: number;
  /** Over one group's selection (what a known user downloads). */
  readonly overOneGroup: number;
  /** What the server learns of the history's user group. */
  readonly serverLearns: string;
}

/** Which pack each user group's blocks are in (groups with the same table and weights share one). */
export interface PackSharing {
  readonly label: string;
  readonly packOf: readonly number[];
}

const ratio = (a: number, b: number) => Number((a / b).toFixed(3));

/** The block bytes of each option at `budgetBytes`, with the catalog's own packs or with another `sharing` of them. */
export function groupBlindOptions(manifest: Manifest, budgetBytes: number, sharing?: PackSharing): GroupBlindOption[] {
  const C = manifest.userGroups.count;
  const packOf = sharing?.packOf ?? Array.from({ length: C }, (_, c) => c);
  const selections = Array.from({ length: C }, (_, c) => selectBlocks(manifest, c, budgetBytes));
  const one = selections[0]!.fileBytes;
  const packs = [...new Set(packOf)];
  // Groups sharing a pack share its selection: one copy per distinct pack.
  const union = packs.reduce((n, p) => n + selections[p]!.fileBytes, 0);
  const counts = packs.map((p) => packOf.filter((q) => q === p).length);
  const blind = packs[counts.indexOf(Math.max(...counts))]!;
  const k = Math.max(2, Math.floor(packs.length / 2));
  const where = sharing ? ` (${sharing.label})` : '';
  return [
    ...(sharing ? [] : [{ option: 'own group only (a known user; groupBlind: false)', blockBytes: one, overOneGroup: 1, serverLearns: 'the group' }]),
    { option: `every group's selection, one copy per distinct pack (${packs.length} packs)${where}`, blockBytes: union, overOneGroup: ratio(union, one), serverLearns: 'nothing' },
    {
      option: `the group's pack among ${k} fixed packs (${k - 1} of them decoys)${where}`,
      blockBytes: k * one,
      overOneGroup: k,
      serverLearns: `that the group's pack is one of ${k} (${Math.log2(packs.length / k).toFixed(1)} of ${Math.log2(packs.length).toFixed(1)} bits)`,
    },
    {
      option: `group-blind plan: the selection of the most-shared pack, each group's weights on the device (built)${where}`,
      blockBytes: selections[blind]!.fileBytes,
      overOneGroup: ratio(selections[blind]!.fileBytes, one),
      serverLearns: 'nothing',
    },
  ];
}

/**
 * The pack sharing of the trained Gowalla artifact, from its quality report: a user group whose refinement was
 * rejected on validation (`bestEpoch` 0) and that kept the untrained controller's weights (`learnedWeights`
 * false) has the backbone's table and weights, so its blocks are one pack with every other such group's.
 */
export async function trainedGowallaSharing(reportFile: string): Promise<PackSharing | undefined> {
  let refine: { userGroup: number; bestEpoch: number; learnedWeights: boolean }[];
  try {
    refine = (JSON.parse(await readFile(reportFile, 'utf8')) as { refine: typeof refine }).refine;
  } catch {
    return undefined;
  }
  const backbone = refine.filter((r) => r.bestEpoch === 0 && !r.learnedWeights).map((r) => r.userGroup);
  const packOf = refine.map((r) => (backbone.includes(r.userGroup) ? backbone[0]! : r.userGroup));
  return { label: `packs shared as in the trained Gowalla artifact: groups ${backbone.join(', ')} share one`, packOf };
}
