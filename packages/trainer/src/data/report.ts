/** What a loader read and what it had to fix, so nothing is dropped silently. */
export interface LoadReport {
  files: { path: string; sha256: string; lines: number }[];
  users: number;
  items: number;
  trainInteractions: number;
  /** Every test pair, `testUnranked` included. */
  testInteractions: number;
  /** Test pairs whose item occurs only in test (a split made here). They cannot be ranked and count as misses. */
  testUnranked?: number;
  /** Items left out of the catalog because no training interaction names them. */
  untrainedItems?: number;
  /** Repeated (user, item) pairs collapsed into one interaction. */
  duplicates: number;
  /** Test pairs also present in train, removed from test (training items are excluded from ranking). */
  trainTestOverlap: number;
  /** Delimited input only: rows below the rating threshold. */
  belowThreshold?: number;
  /** Blank lines and header lines skipped. */
  skippedLines: number;
}

export function describeReport(r: LoadReport): string {
  const parts = [
    `${r.users} users, ${r.items} items, ${r.trainInteractions} train / ${r.testInteractions} test interactions`,
    `${r.duplicates} duplicate pair(s) collapsed`,
    `${r.trainTestOverlap} test pair(s) already in train removed`,
  ];
  if (r.belowThreshold !== undefined) parts.push(`${r.belowThreshold} row(s) below the rating threshold dropped`);
  if (r.untrainedItems) parts.push(`${r.untrainedItems} item(s) with no training interaction left out of the catalog`);
  if (r.testUnranked) parts.push(`${r.testUnranked} test pair(s) on such items counted as misses`);
  if (r.skippedLines) parts.push(`${r.skippedLines} blank/header line(s) skipped`);
  return parts.join('; ');
}
