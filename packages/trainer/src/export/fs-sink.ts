import { mkdir, writeFile, readFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { ArtifactSink, ArtifactSource } from '@peelrec/format';

/** Writes artifact files under `root`, creating folders as needed. It records nothing: for `--out`, use prepareOutputDir (output-dir.ts). */
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
