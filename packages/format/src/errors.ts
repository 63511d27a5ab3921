/**
 * Typed errors shared by the trainer and the runtime. Each carries the facts a
 * user needs to act on it (which file, which hash, the minimum budget).
 */
export class PeelrecError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Subclasses also set `name` as a string literal: minifiers rename classes, so
    // `new.target.name` alone reads "yw" in a production bundle.
    this.name = new.target.name;
  }
}

/** The manifest does not match the schema, or is of a format version we do not read. */
export class ManifestError extends PeelrecError {
  override name = 'ManifestError';
  constructor(
    message: string,
    /** Human-readable schema problems, each prefixed with its JSON path. */
    readonly issues: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(issues.length ? `${message}:\n  - ${issues.join('\n  - ')}` : message, options);
  }
}

/** A manifest of a `formatVersion` (or `kind`) this build cannot read. */
export class UnsupportedVersionError extends ManifestError {
  override name = 'UnsupportedVersionError';
  constructor(
    readonly found: unknown,
    readonly supported: readonly number[],
  ) {
    super(`Unsupported peelrec format version ${JSON.stringify(found)}; this build reads version(s) ${supported.join(', ')}`);
  }
}

/** Bytes whose SHA-256 (or length) differs from what the manifest promises. */
export class IntegrityError extends PeelrecError {
  override name = 'IntegrityError';
  constructor(
    readonly url: string,
    readonly expected: string,
    readonly actual: string,
    readonly what: 'sha256' | 'byteLength' = 'sha256',
  ) {
    super(`Integrity check failed for ${url}: expected ${what} ${expected}, got ${actual}`);
  }
}

/** The budget cannot hold one block per item group, so some items would be unrankable. */
export class BudgetTooSmallError extends PeelrecError {
  override name = 'BudgetTooSmallError';
  constructor(
    readonly budgetBytes: number,
    readonly minimumBytes: number,
    readonly dtype: string,
  ) {
    super(`Budget of ${budgetBytes} bytes is below the minimum of ${minimumBytes} bytes ` + `(one ${dtype} block per item group); raise the budget to at least ${minimumBytes}`);
  }
}
