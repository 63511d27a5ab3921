/**
 * Seconds of the harness's primitive calls (harness.ts: fine-tune an epoch, quick validation, test) and of a
 * search method's own per-iteration work: what the searching methods (BET, CIESS) size their settings with, so
 * that one budget fits the issues' 20 minutes on Gowalla.
 */
export interface PrimitiveSeconds {
  fineTuneEpoch: number;
  validate: number;
  test: number;
  /** The method's own work per search iteration (sampling, predictor or agent steps). */
  iterationOverhead: number;
}
