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

/**
 * A manifest of a `formatVersion` (or `kind`) this build cannot read. With `kind`, the version is one this build
 * reads but not for that kind (e.g. a v3 `peel-blocks`): `supported` then lists that kind's versions.
 */
export class UnsupportedVersionError extends ManifestError {
  override name = 'UnsupportedVersionError';
  constructor(
    readonly found: unknown,
    readonly supported: readonly number[],
    readonly kind?: string,
    /** Says who cannot read it instead of "this build", e.g. a reader of one kind only. */
    reader?: string,
  ) {
    const of = kind === undefined ? '' : ` for kind ${JSON.stringify(kind)}`;
    super(`Unsupported peelrec format version ${JSON.stringify(found)}${of}; ${reader ?? `this build reads version(s) ${supported.join(', ')}${kind === undefined ? '' : ' of that kind'}`}`);
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

/** The budget cannot hold the smallest table: one block per item group (PEEL), or the smallest variant (v3 kinds). */
export class BudgetTooSmallError extends PeelrecError {
  override name = 'BudgetTooSmallError';
  constructor(
    readonly budgetBytes: number,
    readonly minimumBytes: number,
    readonly dtype: string,
    /** What the minimum holds, for the message; default: one block per item group (PEEL). */
    requirement = `one ${dtype} block per item group`,
  ) {
    super(`Budget of ${budgetBytes} bytes is below the minimum of ${minimumBytes} bytes ` + `(${requirement}); raise the budget to at least ${minimumBytes}`);
  }
}

/**
 * Payload bytes that passed their SHA-256 check but do not hold what the format says (a permutation that repeats a
 * position, sparse indices out of order): the artifact was written wrong, so retrying the download cannot help.
 */
export class FormatDataError extends ManifestError {
  override name = 'FormatDataError';
  constructor(
    /** Which payload, e.g. `permutation` or `sparse payload`. */
    readonly what: string,
    issues: readonly string[],
  ) {
    super(`Invalid ${what}`, issues);
  }
}
