/**
 * A model server that misbehaves at the HTTP level, for hostile.spec.ts: a real Node server on loopback (not a
 * Playwright route), so a wrong Content-Length or a body that stops mid-way reaches Chromium's network stack as it
 * would from a broken CDN. Cross-origin to the harness page, so it sends CORS and CORP headers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * - `ignore-range`: a Range request gets the whole file (200), as some servers do.
 * - `wrong-range`: a Range request gets 206 with the bytes (and Content-Range) one byte later than asked.
 * - `short-body`: Content-Length promises the whole answer, the connection closes after half of it.
 * - `stall-body`: headers and half the body, then nothing, with the connection left open.
 * - `stall-headers`: the request is accepted and never answered.
 */
export type Misbehaviour = 'ignore-range' | 'wrong-range' | 'short-body' | 'stall-body' | 'stall-headers';

export interface HostileServer {
  readonly origin: string;
  /** Which requests misbehave: called with the artifact-relative path and the 0-based attempt for that path. */
  fault: (path: string, attempt: number) => Misbehaviour | undefined;
  /** Artifact-relative paths requested, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function hostileServer(name: string, dir: string): Promise<HostileServer> {
  const attempts = new Map<string, number>();
  const open = new Set<ServerResponse>();
  const prefix = `/models/${name}/`;
  const state: HostileServer = { origin: '', fault: () => undefined, requests: [], close: async () => {} };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const cors = {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Headers': 'Range',
      'Access-Control-Expose-Headers': 'Content-Range, Content-Length',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'Cache-Control': 'no-store',
    };
    if (req.method === 'OPTIONS') return void res.writeHead(204, cors).end();
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (!path.startsWith(prefix) || path.includes('..')) return void res.writeHead(404, cors).end();
    const rel = path.slice(prefix.length);
    state.requests.push(rel);
    const n = attempts.get(rel) ?? 0;
    attempts.set(rel, n + 1);
    let body: Buffer;
    try {
      body = readFileSync(join(dir, rel));
    } catch {
      return void res.writeHead(404, cors).end();
    }
    const fault = state.fault(rel, n);
    if (fault === 'stall-headers') return void open.add(res);
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    let status = 200;
    let headers: Record<string, string> = { ...cors, 'Content-Type': 'application/octet-stream' };
    if (m && fault !== 'ignore-range') {
      const shift = fault === 'wrong-range' ? 1 : 0;
      const first = Number(m[1]) + shift;
      const last = Math.min(Number(m[2]) + shift, body.length - 1);
      body = body.subarray(first, last + 1);
      status = 206;
      headers = { ...headers, 'Content-Range': `bytes ${first}-${last}/${readFileSync(join(dir, rel)).length}` };
    }
    res.writeHead(status, { ...headers, 'Content-Length': String(body.length) });
    if (fault === 'short-body' || fault === 'stall-body') {
      res.write(body.subarray(0, body.length >> 1));
      if (fault === 'short-body') res.socket?.destroy();
      else open.add(res);
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    origin: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const res of open) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  });
}
