import { PeelrecError } from '@peelrec/format';

/** A dataset derivation (resplit, dense core, synthetic suite data) that cannot run as asked: names the input and the problem. */
export class DerivationError extends PeelrecError {
  override name = 'DerivationError';
  constructor(
    /** The derivation, or the folder it reads or writes. */
    readonly what: string,
    readonly problem: string,
  ) {
    super(`${what}: ${problem}`);
  }
}
