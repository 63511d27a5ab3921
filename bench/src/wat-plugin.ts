/**
 * A Vite plugin: `import bytes from './x.wat'` gives the compiled module as a
 * Uint8Array, so the page carries its hand-written kernels without a build step
 * outside Vite (wabt is the reference WebAssembly text assembler).
 */
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'vite';
import initWabt from 'wabt';

export function watPlugin(): Plugin {
  return {
    name: 'peelrec-wat',
    async load(id) {
      if (!id.endsWith('.wat')) return null;
      const wabt = await initWabt();
      const parsed = wabt.parseWat(id, await readFile(id, 'utf8'), { simd: true });
      try {
        parsed.validate();
        const { buffer } = parsed.toBinary({});
        return `export default Uint8Array.from(atob(${JSON.stringify(Buffer.from(buffer).toString('base64'))}), (c) => c.charCodeAt(0));`;
      } finally {
        parsed.destroy();
      }
    },
  };
}
