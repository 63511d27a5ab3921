import { PeelrecError } from '@peelrec/format';

/** Input data that cannot be loaded as given. Names the file and (1-based) line so the user can fix it. */
export class DataError extends PeelrecError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly problem: string,
  ) {
    super(line === undefined ? `${file}: ${problem}` : `${file}:${line}: ${problem}`);
  }
}
