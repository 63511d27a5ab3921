/**
 * Registers the service worker that keeps the app shell (HTML, JS, CSS, the
 * wasm binaries) for offline use. Embedding blocks are not its business: the
 * runtime verifies and stores those in IndexedDB. Production builds only, so
 * `vite` dev never serves a stale shell.
 */
export async function registerServiceWorker(): Promise<void> {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register(new URL('sw.js', location.href), { type: 'module', scope: './' });
  } catch (e) {
    console.warn('Service worker not registered; the demo will need the network on reload.', e);
  }
}
