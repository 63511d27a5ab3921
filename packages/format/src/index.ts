/**
 * @peelrec/format — artifact format v1, the only thing the trainer and the
 * runtime share. See README.md for the byte-level specification.
 */
export {
  FORMAT_MAGIC,
  FORMAT_VERSION,
  SUPPORTED_VERSIONS,
  BYTES_PER_ELEMENT,
  DTYPE_PRECISION_ORDER,
  ManifestSchema,
} from './schema.js';
export {
  parseManifest,
  blockByteLength,
  userShardByteLength,
  blocksOfUserGroup,
  fileOf,
  fullTableBytes,
  type Manifest,
  type Dtype,
  type FileRef,
  type BlockFile,
  type BlockEntry,
  type ItemGroup,
  type BudgetMetric,
} from './manifest.js';
export { selectBlocks, exportedDtypes, type Selection, type SelectedBlock, type SelectOptions } from './select.js';
export { encodeBlock, decodeBlock, blockFromRows, encodeUserShard, decodeUserShard } from './codec.js';
export { sha256Hex, computeContentHash } from './hash.js';
export {
  ArtifactWriter,
  readVerified,
  verifyBytes,
  verifyArtifact,
  filesOf,
  MANIFEST_FILE,
  type ArtifactSink,
  type ArtifactSource,
  type ManifestDraft,
} from './artifact.js';
export { PeelrecError, ManifestError, UnsupportedVersionError, IntegrityError, BudgetTooSmallError } from './errors.js';
