// Adds up the test counts that Vitest and Playwright print, so `npm test` ends
// with one plain "N passed, N failed, N skipped" line across all packages.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the ESC of ANSI colour codes is what this strips.
const ANSI = /\x1b\[[0-9;]*m/g;

/** Counts from one chunk of runner output (ANSI colours stripped first). */
export function tally(text) {
  const t = { passed: 0, failed: 0, skipped: 0 };
  for (const raw of text.split('\n')) {
    const line = raw.replace(ANSI, '');
    // Vitest: "      Tests  1 failed | 34 passed | 2 skipped (37)"
    const v = /^\s*Tests\s+(.*)\(\d+\)\s*$/.exec(line);
    if (v) {
      for (const [, n, what] of v[1].matchAll(/(\d+)\s+(passed|failed|skipped|todo)/g)) {
        t[what === 'todo' ? 'skipped' : what] += Number(n);
      }
      continue;
    }
    // Playwright's list/line reporter: "  12 passed (1.2m)", "  1 failed", "  3 skipped", "  1 flaky"
    const p = /^\s{2}(\d+)\s+(passed|failed|skipped|flaky|did not run|interrupted)(\s+\(.*\))?\s*$/.exec(line);
    if (p) {
      const n = Number(p[1]);
      if (p[2] === 'passed' || p[2] === 'flaky') t.passed += n;
      else if (p[2] === 'skipped' || p[2] === 'did not run') t.skipped += n;
      else t.failed += n;
    }
  }
  return t;
}
