/**
 * Serves artifact directories that live outside public/ (PEELREC_MODEL_DIR,
 * e2e fixtures) under URL prefixes, in both `vite` and `vite preview`. Not
 * copied into the build: a real artifact can be hundreds of MB.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import sirv from 'sirv';
import type { Plugin } from 'vite';

export interface ServeOptions {
  /** `no-store` makes every fetch reach the server (the e2e suite counts bytes per request). Default `no-cache` (revalidate). */
  readonly cacheControl?: string;
}

type Next = (err?: unknown) => void;
interface Middlewares {
  use(fn: (req: IncomingMessage, res: ServerResponse, next: Next) => void): void;
}

/**
 * @param mounts URL prefix (`/models/custom/`) → absolute directory
 * @param headers added to every served file (COOP/COEP)
 */
export function serveArtifactDirs(mounts: Record<string, string>, headers: Record<string, string> = {}, options: ServeOptions = {}): Plugin {
  const cacheControl = options.cacheControl ?? 'no-cache';
  const handlers = Object.entries(mounts).map(([prefix, dir]) => ({
    prefix,
    serve: sirv(dir, {
      dev: true, // re-stat on every request: a fixture may be retrained while the server runs
      etag: cacheControl !== 'no-store',
      setHeaders(res) {
        for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
        res.setHeader('Cache-Control', cacheControl);
      },
    }),
  }));
  const install = (server: { middlewares: Middlewares }) => {
    for (const { prefix, serve } of handlers) {
      server.middlewares.use((req, res, next) => {
        const url = req.url ?? '';
        if (!url.startsWith(prefix)) return next();
        req.url = `/${url.slice(prefix.length)}`;
        serve(req, res, () => {
          res.statusCode = 404;
          res.end(`not found: ${prefix}${(req.url ?? '').slice(1)}`);
        });
      });
    }
  };
  return {
    name: 'peelrec:serve-artifact-dirs',
    configureServer: install,
    configurePreviewServer: install,
  };
}
