import { readFile } from 'node:fs/promises';
import wabtInit from 'wabt';

/** Source of the SIMD GEMM kernel, compiled from text on first use so the binary is always built from the repo. */
export const GEMM_WAT_URL = new URL('../../wasm/gemm.wat', import.meta.url);

let compiled: Promise<WebAssembly.Module> | undefined;

/** Assemble wasm/gemm.wat with wabt (SIMD + threads) into its binary form. */
export async function assembleGemmWasm(): Promise<Uint8Array<ArrayBuffer>> {
  const [wabt, text] = await Promise.all([wabtInit(), readFile(GEMM_WAT_URL, 'utf8')]);
  const features = { simd: true, threads: true };
  const mod = wabt.parseWat('gemm.wat', text, features);
  try {
    // validate() takes the feature set again: without it, the shared memory import is rejected.
    (mod.validate as (f?: typeof features) => void)(features);
    return new Uint8Array(mod.toBinary({ canonicalize_lebs: true }).buffer);
  } finally {
    mod.destroy();
  }
}

/** The compiled kernel module (cached). A WebAssembly.Module can be posted to worker threads as is. */
export function gemmModule(): Promise<WebAssembly.Module> {
  compiled ??= assembleGemmWasm().then((bytes) => WebAssembly.compile(bytes));
  return compiled;
}
