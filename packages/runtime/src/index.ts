/**
 * @peelrec/runtime — budget-aware on-device recommendation for the browser.
 * See README.md for the API and the budget policy.
 */
export { createRecommender } from './create.js';
export { listCachedModels, deleteCachedModel } from './cached-models.js';
export { scoreReference, referenceScores, topK, type ReferenceInput, type ScoredPosition } from './reference.js';
export { i8Scores, type I8ScoresInput } from './i8-scores.js';
export {
  budgetFromDevice,
  normaliseDeviceMemory,
  DEFAULT_DEVICE_MEMORY_GIB,
  DEVICE_MEMORY_SHARE,
  STORAGE_HEADROOM_SHARE,
  type BudgetInputs,
  type BudgetDecision,
  type BudgetSource,
} from './budget.js';
export { readBudgetInputs } from './environment.js';
export type {
  Recommender,
  RecommenderOptions,
  RecommenderInfo,
  RecommenderEvents,
  RecommenderEventName,
  RecommendRequest,
  Recommendation,
  ItemMeta,
  ItemCatalog,
  CacheOptions,
  CachedModelInfo,
  CacheDeletion,
  UserInput,
  LoadProgress,
  BackendInfo,
  BackendName,
  BackendPreference,
  StorageInfo,
  StorageMode,
  Freshness,
  UpdateCheck,
  UpdateSwap,
} from './types.js';
export { StorageError, BackendUnavailableError, AbortError, DownloadError, UserError, DisposedError, OptionError, TimeoutError } from './errors.js';
export {
  PeelrecError,
  ManifestError,
  UnsupportedVersionError,
  IntegrityError,
  BudgetTooSmallError,
  type Manifest,
  type Selection,
  type SelectedBlock,
  isPeelManifest,
  isKindManifest,
  type AnyManifest,
  type KindManifest,
  type MixedManifest,
  type SparseManifest,
  type TableSelection,
} from '@peelrec/format';
