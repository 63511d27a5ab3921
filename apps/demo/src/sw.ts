/**
 * Service worker: the app shell works offline after the first load.
 * - Precache: every file of the build (list injected at build time by
 *   vite.config.ts), so a reload with no network still starts the app.
 * Model files are not its business: the runtime keeps the manifest and the
 * verified blocks in IndexedDB, and the page keeps the catalog JSON it shows
 * (src/catalog.ts), so every model byte stays hash-checked.
 */
/// <reference lib="webworker" />
import { cleanupOutdatedCaches, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';

declare const self: ServiceWorkerGlobalScope & { __PRECACHE_MANIFEST: PrecacheEntry[] };

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

cleanupOutdatedCaches();
// Any query (?model=, ?backend=) still maps to the precached index.html.
precacheAndRoute(self.__PRECACHE_MANIFEST, { ignoreURLParametersMatching: [/.*/] });
