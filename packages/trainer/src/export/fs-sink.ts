import { mkdir, readdir, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { MANIFEST_FILE, type ArtifactSink, type ArtifactSource } from '@peelrec/format';

/** Writes artifact files under `root`, creating folders as needed. */
export function directorySink(root: string): ArtifactSink {
  const made = new Set<string>();
  return {
    async write(path, bytes) {
      const target = inside(root, path);
      const dir = dirname(target);
      if (!made.has(dir)) {
        await mkdir(dir, { recursive: true });
        made.add(dir);
      }
      await writeFile(target, bytes);
    },
  };
}

export function directorySource(root: string): ArtifactSource {
  return {
    async read(path) {
      return new Uint8Array(await readFile(inside(root, path)));
    },
  };
}

function inside(root: string, path: string): string {
  const base = resolve(root);
  const target = resolve(base, path);
  if (!target.startsWith(base + sep)) throw new RangeError(`artifact path ${path} escapes ${root}`);
  return target;
}

/**
 * Makes `dir` ready for a fresh artifact: creates it, or empties it if it
 * already holds an artifact (a manifest.json). Refuses any other non-empty
 * folder, so a mistyped --out never deletes someone's files.
 */
export async function prepareOutputDir(dir: string): Promise<void> {
  let entries: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error(`output ${dir} exists and is not a folder`);
    entries = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await mkdir(dir, { recursive: true });
    return;
  }
  if (entries.length === 0) return;
  if (!entries.includes(MANIFEST_FILE)) {
    throw new Error(`output folder ${dir} is not empty and holds no ${MANIFEST_FILE}: refusing to overwrite it`);
  }
  for (const e of entries) await rm(join(dir, e), { recursive: true, force: true });
}
