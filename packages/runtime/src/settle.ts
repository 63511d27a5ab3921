/**
 * Named ways to leave a promise's failure alone, each saying why, instead of a bare `.catch(() => {})`.
 */
const ignore = (): void => {};

/** `p` is awaited later: until then, a rejection must not surface as unhandled. */
export function awaitedLater(p: Promise<unknown> | undefined): void {
  p?.catch(ignore);
}

/** Resolves once `p` settles, either way: a queue waiting for its predecessor, a teardown waiting for writes. */
export function settled(p: Promise<unknown>): Promise<void> {
  return p.then(ignore, ignore);
}

/** Runs `p` for its effect only, where its failure changes nothing (a read ahead of need, bookkeeping a later load redoes). */
export function bestEffort(p: Promise<unknown>): void {
  p.catch(ignore);
}
