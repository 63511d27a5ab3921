/**
 * A static HTTP server for the built test page and the fixture artifact. It
 * records every request and can go "offline" for the model files, so tests
 * can prove what a reload did or did not download.
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.css': 'text/css',
};

export interface TestServer {
  readonly url: string;
  /** Paths requested under /model/ (manifest included), in order. */
  readonly modelRequests: string[];
  /** When true, /model/ requests fail at the connection level, like a lost network. */
  offline: boolean;
  /** When true, every response carries COOP/COEP so pages are cross-origin isolated (SharedArrayBuffer, threads). */
  isolated: boolean;
  close(): Promise<void>;
}

export async function startServer(pageDir: string, modelFiles: Map<string, Uint8Array>): Promise<TestServer> {
  const state = { modelRequests: [] as string[], offline: false, isolated: false };
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (state.isolated) {
      res.setHeader('cross-origin-opener-policy', 'same-origin');
      res.setHeader('cross-origin-embedder-policy', 'require-corp');
    }
    if (path.startsWith('/model/')) {
      const rel = path.slice('/model/'.length);
      state.modelRequests.push(rel);
      if (state.offline) return void res.destroy();
      const body = modelFiles.get(rel);
      if (!body) return void res.writeHead(404).end('not found');
      // One byte range, as static hosts serve it: packed blocks are fetched that way.
      const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      const type = { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream', 'cache-control': 'no-store' };
      if (range && Number(range[1]) < body.byteLength) {
        const start = Number(range[1]);
        const end = Math.min(Number(range[2]), body.byteLength - 1);
        res.writeHead(206, { ...type, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${body.byteLength}` });
        return void res.end(body.subarray(start, end + 1));
      }
      res.writeHead(200, { ...type, 'content-length': body.byteLength });
      return void res.end(body);
    }
    const file = normalize(join(pageDir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(pageDir)) return void res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get modelRequests() {
      return state.modelRequests;
    },
    get offline() {
      return state.offline;
    },
    set offline(v: boolean) {
      state.offline = v;
    },
    get isolated() {
      return state.isolated;
    },
    set isolated(v: boolean) {
      state.isolated = v;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
