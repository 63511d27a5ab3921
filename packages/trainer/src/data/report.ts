/** What a loader read and what it had to fix, so nothing is dropped silently. */
export interface LoadReport {
  files: { path: string; sha256: string; lines: number }[];
  users: number;
  items: number;
  trainInteractions: number;
  testInteractions: number;
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
  if (r.skippedLines) parts.push(`${r.skippedLines} blank/header line(s) skipped`);
  return parts.join('; ');
}
