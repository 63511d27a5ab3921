export { tune, type Tuned } from './tune.js';
export { TUNING_DEFAULTS, type TuningConfig } from './config.js';
export { fixedKnobs, type Knobs, type TunedSetting } from './space.js';
export { planHalving, runHalving, EarlyStopping, type Rung, type TuningPlan, type HalvingResult } from './halving.js';
export { kendallTau, pairwiseAgreement, agreementReport } from './agreement.js';
export type { TuningReport, AgreementReport } from './report.js';
