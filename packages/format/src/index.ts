/**
 * @peelrec/format — artifact formats v2 (`peel-blocks`) and v3 (`mixed`,
 * `sparse`), the only thing the trainer and the runtime share. See README.md
 * for the byte-level specification.
 */
export { FORMAT_MAGIC, FORMAT_VERSION, KINDS_VERSION, SUPPORTED_VERSIONS, BYTES_PER_ELEMENT, DTYPE_PRECISION_ORDER, I8_HEADER_BYTES } from './constants.js';
export {
  ManifestV2Schema,
  PeelBlocksManifestSchema,
  ScoringSchema,
  BlockTableSchema,
  FileRefSchema,
} from './schema.js';
export {
  ManifestSchema,
  ManifestV3Schema,
  MixedManifestSchema,
  MixedSelectionSchema,
  SparseManifestSchema,
  MixedVariantSchema,
  SparseVariantSchema,
  VariantDtypeSchema,
} from './kinds-schema.js';
export { parseManifest, parseAnyManifest, assertPeelManifest, parseBlockTable } from './manifest.js';
export { userShardByteLength } from './checks.js';
export {
  withBlockTables,
  manifestFileOf,
  refName,
  blockByteLength,
  blocksOfUserGroup,
  fileOf,
  fullTableBytes,
  type Manifest,
  type ManifestFile,
  type BlockTable,
  type Dtype,
  type Scoring,
  type FileRef,
  type BlockFile,
  type BlockEntry,
  type ItemGroup,
  type BudgetMetric,
} from './manifest-files.js';
export {
  KIND_VERSIONS,
  SPARSE_MAX_FULL_DIM,
  isPeelManifest,
  isKindManifest,
  variantRefs,
  mixedRowSizes,
  mixedColumnByteLength,
  permutationByteLength,
  sparseByteLength,
  sparseValuesOffset,
  type MixedManifest,
  type SparseManifest,
  type KindManifest,
  type AnyManifest,
  type AnyManifestFile,
  type Variant,
  type MixedSelection,
  type MixedVariant,
  type MixedColumn,
  type SparseVariant,
  type VariantDtype,
} from './kinds.js';
export { selectTable, type TableSelection, type TableSelectOptions, type TableSelectionSource } from './select-table.js';
export {
  encodeMixedVariant,
  encodePermutation,
  decodePermutation,
  decodeMixedColumn,
  decodeMixedColumns,
  encodeSparse,
  decodeSparse,
  type MixedPayload,
  type SparsePayload,
} from './kinds-codec.js';
export { selectBlocks, selectionOrder, exportedDtypes, type Selection, type SelectedBlock, type SelectOptions, type SelectionSource } from './select.js';
export { encodeBlock, decodeBlock, i8Scale, blockFromRows, encodeUserShard, decodeUserShard } from './codec.js';
export { sha256Hex, computeContentHash } from './hash.js';
export {
  ArtifactWriter,
  readVerified,
  readManifest,
  readAnyManifest,
  verifyBytes,
  verifyArtifact,
  verifyAnyArtifact,
  fetchSource,
  filesOf,
  blockTableUrl,
  blockPackUrl,
  MANIFEST_FILE,
  type ArtifactSink,
  type ArtifactSource,
  type ManifestDraft,
  type BlockPayload,
} from './artifact.js';
export {
  fileSafe,
  mixedVariantUrl,
  sparseVariantUrl,
  type KindManifestDraft,
  type MixedVariantSpec,
  type SparseVariantSpec,
} from './kinds-writer.js';
export { PeelrecError, ManifestError, UnsupportedVersionError, IntegrityError, BudgetTooSmallError, FormatDataError } from './errors.js';
