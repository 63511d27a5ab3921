import { PeelrecError } from '@peelrec/format';

/** A stream setting or input that cannot work (segment size, shares, an empty segment). */
export class StreamError extends PeelrecError {
  override name = 'StreamError';
}

/**
 * A size assignment that does not meet the fixed budget exactly (SCALL's invariant), or a catalog the budget cannot
 * hold at one value per row.
 */
export class StreamBudgetError extends PeelrecError {
  override name = 'StreamBudgetError';
  constructor(
    readonly segment: number,
    /** The budget, in stored values (users and items together). */
    readonly budget: number,
    /** Values the assignment stores, or the smallest table (one per row) when that exceeds the budget. */
    readonly actual: number,
    detail: string,
  ) {
    super(`segment ${segment}: ${detail} (budget ${budget} values, ${actual} values)`);
  }
}
