/**
 * The format's constants, apart from its schemas (schema.ts): a reader that trusts a stored manifest (the runtime's
 * warm start) needs these, and not zod, whose schemas load only when a manifest is checked.
 */

export const FORMAT_MAGIC = 'peelrec';
/**
 * v2 moved the block entries out of `manifest.json` into one table per user
 * group (a device reads only its group's), and lets a file ref name a byte
 * range of a file, so the blocks of a user group can be one file fetched with
 * HTTP Range requests.
 */
export const FORMAT_VERSION = 2;
/**
 * The version of the table kinds `mixed` and `sparse` (issue 20). The version moves with them so that a reader
 * that knows only v2 refuses them with `UnsupportedVersionError` instead of a schema error; `peel-blocks` stays v2.
 */
export const KINDS_VERSION = 3;
/** The `formatVersion`s this build reads: v2 (`peel-blocks`) and v3 (`mixed`, `sparse`). */
export const SUPPORTED_VERSIONS: readonly number[] = [FORMAT_VERSION, KINDS_VERSION];

/** Element encodings of block payloads (schema.ts's DtypeSchema enumerates the same). */
export type DtypeName = 'f32' | 'f16' | 'i8';
/** Bytes of one element; an `i8` payload adds {@link I8_HEADER_BYTES} for its scale (see `blockByteLength`). */
export const BYTES_PER_ELEMENT: Record<DtypeName, number> = { f32: 4, f16: 2, i8: 1 };
/** The f32 scale in front of an `i8` block's elements. */
export const I8_HEADER_BYTES = 4;
/** Preference order when several encodings select equally many blocks: most precise first. */
export const DTYPE_PRECISION_ORDER: readonly DtypeName[] = ['f32', 'f16', 'i8'];
