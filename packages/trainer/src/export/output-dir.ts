/**
 * Output folders. Rule: the trainer deletes only files it wrote itself. Every artifact folder it writes
 * holds a marker, `.peelrec-artifact`, that names each file before the file is written. Replacing an
 * artifact deletes exactly the files the marker names. A folder without a marker, or with anything the
 * marker does not name, is refused and left as it was.
 */
import { appendFile, mkdir, open, readdir, readFile, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FORMAT_MAGIC, MANIFEST_FILE, PeelrecError, type ArtifactSink } from '@peelrec/format';
import { directorySink } from './fs-sink.js';

export const OUTPUT_MARKER = '.peelrec-artifact';
const HEADER = '# peelrec-artifact: the files peelrec-train wrote here, one per line. When it replaces this artifact, it deletes only these.';

/** An output path the trainer cannot or must not write to. `path` is that path; `reason` says why (the OS error, or what is in the way). */
export class OutputDirError extends PeelrecError {
  override name = 'OutputDirError';
  constructor(
    readonly path: string,
    readonly reason: string,
    what = 'the artifact',
  ) {
    super(`cannot write ${what} to ${path}: ${reason}`);
  }
}

/**
 * Run before loading data or training, so that a bad `--out` is reported at once and not after the
 * training. Creates `dir` if it does not exist. The folder must be empty, or hold only files listed in
 * its marker, and a probe file must be writable there.
 * @throws OutputDirError naming the folder and the OS reason, or the files in the way. Nothing is deleted.
 */
export async function checkOutputDir(dir: string): Promise<void> {
  if ((await inspect(dir)) === undefined) await makeFolder(dir, 'the artifact');
  await probe(dir, dir, 'the artifact');
}

/**
 * Makes `dir` ready for a new artifact. It deletes the files that the marker of an earlier run names,
 * writes a new marker, and returns a sink that adds each file to the marker before writing it. A run that
 * stops partway therefore leaves only files that the next run may delete.
 * @throws OutputDirError as {@link checkOutputDir}; then nothing has been deleted.
 */
export async function prepareOutputDir(dir: string): Promise<ArtifactSink> {
  const recorded = await inspect(dir);
  if (recorded === undefined) await makeFolder(dir, 'the artifact');
  const failed = (what: string) => (e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw new OutputDirError(dir, `${what}: ${e.message}`);
  };
  for (const p of recorded ?? []) await unlink(join(dir, p)).catch(failed(`cannot delete ${p}, written by an earlier run`));
  // The folders those files were in, deepest first; one that is not empty stays.
  for (const d of ancestors(recorded ?? []).sort((a, b) => b.length - a.length)) {
    await rmdir(join(dir, d)).catch((e: NodeJS.ErrnoException) => e.code === 'ENOTEMPTY' || failed(`cannot delete the folder ${d}`)(e));
  }
  await writeFile(join(dir, OUTPUT_MARKER), `${HEADER}\n`).catch(failed(`cannot write ${OUTPUT_MARKER}`));
  const files = directorySink(dir);
  const named = new Set<string>(); // a file written again (the quality report, after each ablation) is named once
  return {
    async write(path, bytes) {
      checkRelative(path, dir);
      try {
        // Named before it exists: a run that dies in the write still leaves a file the marker names.
        if (!named.has(path)) await appendFile(join(dir, OUTPUT_MARKER), `${path}\n`);
        named.add(path);
        await files.write(path, bytes);
      } catch (e) {
        throw new OutputDirError(dir, `writing ${path}: ${(e as Error).message}`);
      }
    },
  };
}

/**
 * The same check for a single output file (the quality report): an existing file must be writable. If the
 * file does not exist yet, its folder is created and must take a probe file.
 * @throws OutputDirError naming `file` and the OS reason.
 */
export async function checkOutputFile(file: string, what: string): Promise<void> {
  const found = await stat(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw new OutputDirError(file, e.message, what);
  });
  if (found?.isDirectory()) throw new OutputDirError(file, 'it is a folder', what);
  if (found) {
    // Open for writing without truncating: a report from an earlier run stays until the new one replaces it.
    await open(file, 'r+').then(
      (h) => h.close(),
      (e: Error) => {
        throw new OutputDirError(file, e.message, what);
      },
    );
    return;
  }
  await makeFolder(dirname(file), what, file);
  await probe(dirname(file), file, what);
}

/** A folder that files will be written into (e.g. the default quality report's): created, and a probe file written there. */
export async function checkOutputFolder(dir: string, what: string): Promise<void> {
  await makeFolder(dir, what);
  await probe(dir, dir, what);
}

/** The files the marker of `dir` names. It is undefined when `dir` does not exist, and empty when `dir` is empty. Throws when a foreign file is found. */
async function inspect(dir: string): Promise<string[] | undefined> {
  let entries: { files: string[]; dirs: string[] };
  try {
    if (!(await stat(dir)).isDirectory()) throw new OutputDirError(dir, 'it exists and is not a folder');
    entries = await walk(dir);
  } catch (e) {
    if (e instanceof OutputDirError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OutputDirError(dir, (e as Error).message);
  }
  if (entries.files.length === 0 && entries.dirs.length === 0) return [];
  if (!entries.files.includes(OUTPUT_MARKER)) throw new OutputDirError(dir, await unmarkedReason(dir, entries));
  const recorded = await readMarker(dir);
  const files = new Set([...recorded, OUTPUT_MARKER]);
  const folders = new Set(ancestors(recorded));
  const foreign = [...entries.files.filter((f) => !files.has(f)), ...entries.dirs.filter((d) => !folders.has(d)).map((d) => `${d}/`)];
  if (foreign.length) {
    throw new OutputDirError(
      dir,
      `it holds ${list(foreign)}, which peelrec-train did not write (they are not in its ${OUTPUT_MARKER} marker). Nothing was deleted: move them out of the folder, or choose another --out`,
    );
  }
  return recorded;
}

async function unmarkedReason(dir: string, entries: { files: string[]; dirs: string[] }): Promise<string> {
  const top = [...entries.files, ...entries.dirs.map((d) => `${d}/`)].filter((p) => !p.replace(/\/$/, '').includes('/'));
  const manifest = await readFile(join(dir, MANIFEST_FILE), 'utf8').then(
    (t) => JSON.parse(t) as { format?: unknown },
    () => undefined,
  );
  if (manifest?.format === FORMAT_MAGIC) {
    return `it holds a peelrec artifact without a ${OUTPUT_MARKER} marker (written by an older peelrec-train, or copied), so the trainer cannot tell which files are its own. Nothing was deleted: delete it yourself or choose another --out`;
  }
  return `it is not empty (${list(top)}) and was not written by peelrec-train (no ${OUTPUT_MARKER} marker). Nothing was deleted: choose a new or empty folder for --out`;
}

async function readMarker(dir: string): Promise<string[]> {
  const text = await readFile(join(dir, OUTPUT_MARKER), 'utf8').catch((e: Error) => {
    throw new OutputDirError(dir, `cannot read its ${OUTPUT_MARKER} marker (${e.message})`);
  });
  const lines = text.split('\n').filter((l) => l !== '');
  if (lines[0] !== HEADER) throw new OutputDirError(dir, `its ${OUTPUT_MARKER} file is not a peelrec-train marker. Nothing was deleted`);
  const paths = lines.slice(1);
  for (const p of paths) checkRelative(p, dir);
  return [...new Set(paths)];
}

/** A marker path must name a file inside the folder: relative, `/`-separated, no `.` or `..` segments. */
function checkRelative(path: string, dir: string): void {
  const parts = path.split('/');
  if (path.startsWith('/') || /[\\\r\n\0]/.test(path) || parts.some((s) => s === '' || s === '.' || s === '..') || path === OUTPUT_MARKER) {
    throw new OutputDirError(dir, `its ${OUTPUT_MARKER} marker names ${JSON.stringify(path)}, outside the folder or not a file of an artifact. Nothing was deleted`);
  }
}

/** Every entry below `dir`, as `/`-separated relative paths. Symbolic links are listed as files and never followed. */
async function walk(dir: string, prefix = ''): Promise<{ files: string[]; dirs: string[] }> {
  const out = { files: [] as string[], dirs: [] as string[] };
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) {
      out.dirs.push(rel);
      const sub = await walk(dir, rel);
      out.files.push(...sub.files);
      out.dirs.push(...sub.dirs);
    } else out.files.push(rel);
  }
  return out;
}

/** The folders that contain the given files, e.g. `blocks` for `blocks/u0.json`. */
function ancestors(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) out.add(p.slice(0, i));
  return [...out];
}

async function makeFolder(dir: string, what: string, named = dir): Promise<void> {
  await mkdir(dir, { recursive: true }).catch((e: Error) => {
    throw new OutputDirError(named, e.message, what);
  });
}

/** Writes and removes a file of our own: the only sure test that the folder can be written, for root too. */
async function probe(dir: string, named: string, what: string): Promise<void> {
  const file = join(dir, `.peelrec-probe-${process.pid}`);
  try {
    await writeFile(file, 'peelrec-train write check\n', { flag: 'wx' });
    await unlink(file);
  } catch (e) {
    throw new OutputDirError(named, (e as Error).message, what);
  }
}

function list(paths: readonly string[]): string {
  return paths.length > 5 ? `${paths.slice(0, 5).join(', ')} and ${paths.length - 5} more` : paths.join(', ');
}
