// Node module hooks that add the `@peelrec/source` condition (see source-condition.mjs), for processes
// whose flags we do not choose: Playwright's runner and workers register them from playwright.config.ts.
import { SOURCE_CONDITION } from './source-condition.mjs';

export async function resolve(specifier, context, next) {
  const conditions = context.conditions.includes(SOURCE_CONDITION) ? context.conditions : [SOURCE_CONDITION, ...context.conditions];
  return next(specifier, { ...context, conditions });
}
