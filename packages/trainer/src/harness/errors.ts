import { PeelrecError } from '@peelrec/format';

/** A harness primitive or method called with arguments that cannot work (shapes, sizes, unknown names). */
export class HarnessError extends PeelrecError {
  override name = 'HarnessError';
}

/** A budget that cannot hold the smallest table of a method's kind (every row keeps one value). */
export class MethodBudgetError extends PeelrecError {
  override name = 'MethodBudgetError';
  constructor(
    readonly method: string,
    readonly budgetBytes: number,
    /** The smallest table of that kind, in bytes. */
    readonly minimumBytes: number,
  ) {
    super(`${method}: a budget of ${budgetBytes} B cannot hold its smallest table (${minimumBytes} B)`);
  }
}
