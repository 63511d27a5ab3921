/** Human-readable byte counts (binary units, as budgets are computed in MiB/GiB). */
const UNITS = ['B', 'KiB', 'MiB', 'GiB'] as const;
export type ByteUnit = (typeof UNITS)[number];

/** The unit `n` reads best in: the largest whose value is ≥ 1. */
export function unitOf(n: number): ByteUnit {
  let u = 0;
  while (u < UNITS.length - 1 && Math.abs(n) >= 1024 ** (u + 1)) u++;
  return UNITS[u]!;
}

/** `n` in `unit`, three significant digits (whole bytes in B). */
export function formatBytesIn(n: number, unit: ByteUnit): string {
  if (!Number.isFinite(n)) return '—';
  if (unit === 'B') return `${Math.round(n)} B`;
  const v = n / 1024 ** UNITS.indexOf(unit);
  const text = v === 0 ? '0' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 0.01 ? v.toFixed(2) : '< 0.01';
  return `${text} ${unit}`;
}

export function formatBytes(n: number): string {
  return formatBytesIn(n, unitOf(n));
}

/**
 * Byte counts that share a sentence, all in the unit of the largest, so a sentence never reads
 * "88.4 KiB of 1.95 MiB" (issue 18).
 */
export function formatBytesAlike(...values: readonly number[]): string[] {
  const unit = unitOf(Math.max(0, ...values.filter(Number.isFinite)));
  return values.map((v) => formatBytesIn(v, unit));
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(0)} ms`;
}
