#!/usr/bin/env node
// The root scripts (`npm run demo|test|bench|train`) land here. A fresh machine
// has only Node and npm, so this brings in the pinned pnpm, installs the
// workspace, finds (or installs) Chromium, then hands over to the packages.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium } from './chromium.mjs';
import { foreground } from './foreground.mjs';
import { SOURCE_CONDITION } from './source-condition.mjs';
import { tally } from './tally.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager; // "pnpm@x.y.z"

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

/** pnpm through npm's exec: `corepack pnpm` fails its signature check on these machines. */
function pnpm(args, opts) {
  return run('npm', ['exec', '--yes', `--package=${pinned}`, '--', 'pnpm', ...args], opts);
}

function must(status, what) {
  if (status !== 0) {
    console.error(`\n[peelrec] ${what} failed (exit ${status})`);
    process.exit(status);
  }
}

/** Biome (lint and format) from the workspace root's own devDependencies. */
function biome(args) {
  return run(process.execPath, [join(root, 'node_modules/@biomejs/biome/bin/biome'), ...args]);
}

function install() {
  const frozen = existsSync(join(root, 'pnpm-lock.yaml')) ? ['--frozen-lockfile'] : [];
  must(pnpm(['install', ...frozen]), 'pnpm install');
}

const [command, ...rest] = process.argv.slice(2);
const env = { ...process.env };

switch (command) {
  case 'test': {
    install();
    // Lint and format first: a style slip fails in seconds, not after the suite (each package's test type-checks it).
    must(biome(['ci', '--error-on-warnings', '.']), 'lint (biome ci; `npm run format` fixes formatting)');
    env.PEELREC_CHROMIUM = findChromium({ install: true });
    const started = Date.now();
    // Stream the output live and keep a copy to count the tests in.
    const child = spawn('npm', ['exec', '--yes', `--package=${pinned}`, '--', 'pnpm', '-r', '--sequential', '--if-present', 'run', 'test', ...rest], {
      cwd: root,
      env,
      stdio: ['inherit', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      out += chunk.toString('utf8');
    });
    const status = await new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
    const t = tally(out);
    console.log(`\n[peelrec] all packages, ${Math.round((Date.now() - started) / 1000)} s:`);
    console.log(`${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`);
    must(status === 0 && t.failed > 0 ? 1 : status, 'tests');
    break;
  }
  case 'lint': {
    install();
    must(biome(['ci', '--error-on-warnings', '.', ...rest]), 'lint');
    break;
  }
  case 'format': {
    install();
    must(biome(['check', '--write', '.', ...rest]), 'format');
    break;
  }
  case 'typecheck': {
    install();
    must(pnpm(['-r', '--sequential', '--if-present', 'run', 'typecheck']), 'typecheck');
    break;
  }
  case 'build': {
    install();
    must(pnpm(['--filter', '@peelrec/format', '--filter', '@peelrec/runtime', 'run', 'build']), 'build');
    break;
  }
  case 'demo': {
    install();
    // The server runs until Ctrl-C, which is how it stops: started here directly, so that it can exit 0 (see foreground.mjs).
    const args = [`--conditions=${SOURCE_CONDITION}`, '--import', 'tsx', 'scripts/start.ts', ...rest];
    env.INIT_CWD ??= process.cwd(); // PEELREC_MODEL_DIR is relative to it (npm sets it; `node scripts/run.mjs` does not)
    const status = await foreground(process.execPath, args, { cwd: join(root, 'apps/demo'), env });
    if (status === 130) process.exit(130); // Ctrl-C before the server was up (while building): stopped, not failed
    must(status, 'demo');
    break;
  }
  case 'pack': {
    install();
    // pnpm pack: it builds dist/ (prepack) and writes the version of @peelrec/format where the manifest says workspace:*.
    const out = join(root, 'dist/packages');
    must(pnpm(['--filter', '@peelrec/format', '--filter', '@peelrec/runtime', 'pack', '--pack-destination', out]), 'pnpm pack');
    console.log(`\n[peelrec] tarballs in ${out}: npm install them both (see packages/runtime/README.md, "Quick start")`);
    break;
  }
  case 'bench': {
    install();
    env.PEELREC_CHROMIUM = findChromium({ install: true });
    must(pnpm(['--filter', '@peelrec/bench', 'run', 'bench', ...rest], { env }), 'bench');
    break;
  }
  case 'train': {
    install();
    must(pnpm(['--filter', '@peelrec/trainer', 'run', 'cli', 'train', ...rest], { env }), 'train');
    break;
  }
  default:
    console.error('usage: node scripts/run.mjs <demo|test|lint|format|typecheck|build|bench|train|pack> [args...]');
    process.exit(2);
}
