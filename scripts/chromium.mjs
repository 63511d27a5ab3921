// Locates a Chromium for Playwright. Playwright cannot download its own
// browsers here, so we use Debian's `chromium`, installing it when we are root.
// PEELREC_CHROMIUM (or PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH) points elsewhere,
// e.g. at a Playwright-managed browser on a developer machine.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/**
 * Launch flags every suite uses: headless as root, and quiet on a closed
 * network (without the background-networking flags Chromium keeps opening
 * connections that this machine refuses).
 */
export const CHROMIUM_FLAGS = Object.freeze(['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']);

export function findChromium({ install = false } = {}) {
  const fromEnv = process.env.PEELREC_CHROMIUM || process.env.PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`PEELREC_CHROMIUM points at ${fromEnv}, which does not exist`);
    return fromEnv;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (install && isRoot) {
    console.log('[peelrec] Chromium not found: installing Debian package `chromium`');
    const opts = { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
    if (spawnSync('apt-get', ['update'], opts).status === 0 && spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], opts).status === 0) {
      const after = CANDIDATES.find((p) => existsSync(p));
      if (after) return after;
    }
  }
  throw new Error("No Chromium found. Install Debian's `chromium` (apt-get install -y chromium) " + 'or set PEELREC_CHROMIUM to a Chromium executable.');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(findChromium({ install: true }));
