/**
 * @peelrec/format — artifact format v2, the only thing the trainer and the
 * runtime share. See README.md for the byte-level specification.
 */
export {
  FORMAT_MAGIC,
  FORMAT_VERSION,
  SUPPORTED_VERSIONS,
  BYTES_PER_ELEMENT,
  DTYPE_PRECISION_ORDER,
  I8_HEADER_BYTES,
  ManifestSchema,
  ScoringSchema,
  BlockTableSchema,
  FileRefSchema,
} from './schema.js';
export {
  parseManifest,
  parseBlockTable,
  withBlockTables,
  manifestFileOf,
  refName,
  blockByteLength,
  userShardByteLength,
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
} from './manifest.js';
export { selectBlocks, selectionOrder, exportedDtypes, type Selection, type SelectedBlock, type SelectOptions, type SelectionSource } from './select.js';
export { encodeBlock, decodeBlock, i8Scale, blockFromRows, encodeUserShard, decodeUserShard } from './codec.js';
export { sha256Hex, computeContentHash } from './hash.js';
export {
  ArtifactWriter,
  readVerified,
  readManifest,
  verifyBytes,
  verifyArtifact,
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
export { PeelrecError, ManifestError, UnsupportedVersionError, IntegrityError, BudgetTooSmallError } from './errors.js';
