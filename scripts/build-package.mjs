#!/usr/bin/env node
// Builds the publishable workspace package whose folder it runs in (its `build` and `prepack` scripts):
// dist/ from tsconfig.build.json, then each `new URL('<package>/…', import.meta.url)` rewritten for an
// installed copy. Inside the workspace a package's exports resolve to its TypeScript sources (the
// `@peelrec/source` condition), so nothing needs building there; only a tarball does.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';

/**
 * A package specifier in `new URL('…', import.meta.url)` (an asset of a dependency, e.g. a peer's .wasm) as the
 * path from `file` to that package when installed beside this one in node_modules. Vite resolves the specifier
 * in the workspace sources; in node_modules, Vite's dev server, webpack and Rollup asset plugins resolve only
 * relative paths. npm, pnpm and Yarn's node_modules linker all place a peer as a sibling of the package.
 * @param {string} code  the emitted JavaScript
 * @param {string} file  its path relative to the package folder, e.g. `dist/wasm-assets.js`
 * @param {string} name  the package name, e.g. `@peelrec/runtime`
 */
export function relativeAssetUrls(code, file, name) {
  const depth = file.split(/[\\/]/).length - 1 + name.split('/').length; // up to node_modules/
  const up = '../'.repeat(depth);
  return code.replace(/new URL\((['"])((?:@[\w-][\w.-]*\/)?[\w-][\w.-]*\/[^'"]+)\1, import\.meta\.url\)/g, (_, q, spec) => `new URL(${q}${up}${spec}${q}, import.meta.url)`);
}

/** Refuses `npm pack` of a package with `workspace:` dependencies: npm keeps the protocol and the tarball cannot be installed. */
function refuseNpmPack(pkg) {
  const agent = process.env.npm_config_user_agent ?? '';
  const workspaceDeps = Object.entries(pkg.dependencies ?? {}).filter(([, v]) => String(v).startsWith('workspace:'));
  if (process.env.npm_lifecycle_event === 'prepack' && agent.startsWith('npm/') && workspaceDeps.length) {
    console.error(
      `[peelrec] npm pack would ship ${workspaceDeps.map(([k, v]) => `"${k}": "${v}"`).join(', ')}, which npm cannot install (EUNSUPPORTEDPROTOCOL).\n` +
        `[peelrec] Pack with pnpm, which writes the version: npm exec --yes --package=pnpm@10.34.8 -- pnpm pack (or \`npm run pack\` at the repository root).`,
    );
    process.exit(1);
  }
}

function listJs(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => join(e.parentPath ?? e.path, e.name));
}

function main() {
  const cwd = process.cwd();
  const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
  refuseNpmPack(pkg);
  rmSync(join(cwd, 'dist'), { recursive: true, force: true }); // no stale modules from renamed sources
  const tsc = createRequire(join(cwd, 'package.json')).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  let rewritten = 0;
  for (const file of listJs(join(cwd, 'dist'))) {
    const code = readFileSync(file, 'utf8');
    const out = relativeAssetUrls(code, relative(cwd, file).split(sep).join('/'), pkg.name);
    if (out !== code) {
      writeFileSync(file, out);
      rewritten++;
    }
  }
  console.log(`[peelrec] built ${pkg.name} into dist/${rewritten ? ` (asset URLs made relative in ${rewritten} module${rewritten > 1 ? 's' : ''})` : ''}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
