/**
 * A tiny static server for the benchmark: the built pages at `/`, artifacts at
 * `/artifacts/<catalog>/…`. It sends COOP/COEP so pages are cross-origin
 * isolated (fine-grained timers, SharedArrayBuffer) and counts the bytes it
 * serves under each prefix, which is how start-up measures what was downloaded.
 * JSON is sent gzip-compressed when the browser accepts it, as any production
 * static host does; binaries are sent as they are, and honour single byte
 * ranges (206) like a CDN. The counts are bytes on the wire.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
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
  /** Compresses every JSON file under `/artifacts/<dir>/` now, as a CDN holds compressed copies: requests then never wait for gzip. */
  precompress(dir: string): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

/** The single range of a `Range: bytes=first-last` (or `first-`, `-suffix`) header; undefined without one (or with several), null when unsatisfiable. */
export function byteRange(header: string | undefined, size: number): { start: number; end: number } | undefined | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const start = m[1] === '' ? Math.max(0, size - Number(m[2])) : Number(m[1]);
  const end = m[1] === '' || m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start <= end && start < size ? { start, end } : null;
}

export async function startServer(opts: { distDir: string; artifactsDir: string }): Promise<StaticServer> {
  const artifacts: Served = { requests: 0, bytes: 0, uncompressedBytes: 0, files: new Map() };
  // Compressed once, off the event loop (zlib's thread pool), and kept: a gzip of a large JSON file must not stall other requests.
  const gzip = promisify(gzipCb);
  const gzipped = new Map<string, Promise<Buffer>>();
  const compressed = (file: string) => {
    let p = gzipped.get(file);
    if (!p) gzipped.set(file, (p = readFile(file).then((b) => gzip(b))));
    return p;
  };
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
      const useGzip = extname(file) === '.json' && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const body = useGzip ? await compressed(file) : undefined;
      // One byte range (`bytes=first-last`, as a CDN serves it) of an uncompressed file: how packed blocks are fetched.
      const range = body ? undefined : byteRange(req.headers.range, st.size);
      if (range === null) {
        res.writeHead(416, { 'Content-Range': `bytes */${st.size}`, 'Cross-Origin-Resource-Policy': 'same-origin' }).end();
        return;
      }
      const size = body ? body.byteLength : range ? range.end - range.start + 1 : st.size;
      res.writeHead(range ? 206 : 200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Length': size,
        'Accept-Ranges': body ? 'none' : 'bytes',
        ...(range ? { 'Content-Range': `bytes ${range.start}-${range.end}/${st.size}` } : {}),
        ...(useGzip ? { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' } : {}),
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
        artifacts.uncompressedBytes += range ? size : st.size;
        artifacts.files.set(rel, (artifacts.files.get(rel) ?? 0) + size);
      }
      if (body) res.end(body);
      else createReadStream(file, range ? { start: range.start, end: range.end } : {}).pipe(res);
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
    async precompress(dir) {
      const root = join(opts.artifactsDir, dir);
      const entries = await readdir(root, { recursive: true });
      await Promise.all(entries.filter((e) => e.endsWith('.json')).map((e) => compressed(join(root, e))));
    },
    reset() {
      artifacts.requests = 0;
      artifacts.bytes = 0;
      artifacts.uncompressedBytes = 0;
      artifacts.files.clear();
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
