/**
 * A tiny static server for the benchmark: the built pages at `/`, artifacts at
 * `/artifacts/<catalog>/…`. It sends COOP/COEP so pages are cross-origin
 * isolated (fine-grained timers, SharedArrayBuffer) and counts the bytes it
 * serves under each prefix, which is how start-up measures what was downloaded.
 * JSON is sent gzip-compressed when the browser accepts it, as any production
 * static host does; the counts are bytes on the wire.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
  '.map': 'application/json',
};

export interface Served {
  requests: number;
  /** Bytes on the wire (compressed where compressed). */
  bytes: number;
  /** The same files' uncompressed sizes. */
  uncompressedBytes: number;
  files: Map<string, number>;
}

export interface StaticServer {
  readonly origin: string;
  /** Bytes and requests served under `/artifacts/` since the last reset. */
  readonly artifacts: Served;
  reset(): void;
  close(): Promise<void>;
}

export async function startServer(opts: { distDir: string; artifactsDir: string }): Promise<StaticServer> {
  const artifacts: Served = { requests: 0, bytes: 0, uncompressedBytes: 0, files: new Map() };
  const gzipped = new Map<string, Buffer>();
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    const isArtifact = path.startsWith('/artifacts/');
    const root = isArtifact ? opts.artifactsDir : opts.distDir;
    const rel = normalize(isArtifact ? path.slice('/artifacts/'.length) : path === '/' ? 'index.html' : path.slice(1));
    if (rel.startsWith('..') || rel.includes(`${sep}..`)) {
      res.writeHead(403).end();
      return;
    }
    const file = join(root, rel);
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new Error('not a file');
      const gzip = extname(file) === '.json' && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      let body: Buffer | undefined;
      if (gzip) {
        body = gzipped.get(file) ?? gzipSync(await readFile(file));
        gzipped.set(file, body);
      }
      const size = body ? body.byteLength : st.size;
      res.writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Length': size,
        ...(gzip ? { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' } : {}),
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cross-Origin-Resource-Policy': 'same-origin',
        // Artifacts: never from the HTTP cache, so every byte a reload needs shows up here.
        // App code: cacheable, as a deployed app would be.
        'Cache-Control': isArtifact ? 'no-store' : 'public, max-age=3600',
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      if (isArtifact) {
        artifacts.requests++;
        artifacts.bytes += size;
        artifacts.uncompressedBytes += st.size;
        artifacts.files.set(rel, (artifacts.files.get(rel) ?? 0) + size);
      }
      if (body) res.end(body);
      else createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { 'Cross-Origin-Resource-Policy': 'same-origin' }).end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('server has no port');
  return {
    origin: `http://localhost:${address.port}`,
    artifacts,
    reset() {
      artifacts.requests = 0;
      artifacts.bytes = 0;
      artifacts.uncompressedBytes = 0;
      artifacts.files.clear();
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
