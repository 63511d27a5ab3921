/**
 * The Debian changelog inside a binary package (.deb): the ar container's data.tar (xz or gzip), its
 * usr/share/doc/<package>/changelog.Debian.gz. A package whose doc folder is a link to another package's (one
 * changelog per source) has none.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import xz from 'xz-decompress';
import { DerivationError } from '../derivation-error.js';
import { readAr } from './ar.js';

const CHANGELOG = /^(\.\/)?usr\/share\/doc\/[^/]+\/changelog\.Debian\.gz$/;

export type DebChangelog = { readonly text: string } | { readonly missing: string };

/** Bytes of an xz stream, decompressed (xz-decompress: xz-embedded compiled to WebAssembly, no native code). */
export function xzStream(bytes: Uint8Array): Readable {
  const compressed = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
  const web = new xz.XzReadableStream(compressed);
  return Readable.fromWeb(web as unknown as NodeReadableStream<Uint8Array>);
}

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

/** `bytes` decompressed by their magic: xz, gzip, or left as they are. */
export function decompressed(bytes: Uint8Array): Readable {
  if (XZ_MAGIC.every((b, i) => bytes[i] === b)) return xzStream(bytes);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return Readable.from([gunzipSync(bytes)]);
  return Readable.from([Buffer.from(bytes)]);
}

/** The first regular file of the tar stream `source` whose name `match`es, or undefined. */
function findInTar(source: Readable, match: (name: string) => boolean): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const extract = tar.extract();
    let found: Buffer | undefined;
    extract.on('entry', (header, stream, next) => {
      if (found === undefined && header.type === 'file' && match(header.name)) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: unknown) => chunks.push(c as Buffer));
        stream.on('end', () => {
          found = Buffer.concat(chunks);
          next();
        });
      } else {
        stream.on('end', next);
        stream.resume();
      }
    });
    extract.on('finish', () => resolve(found));
    extract.on('error', reject);
    source.on('error', reject);
    source.pipe(extract);
  });
}

/** @throws DerivationError when `bytes` is not a .deb with a readable data.tar (`what` names the package). */
export async function changelogOfDeb(bytes: Uint8Array, what: string): Promise<DebChangelog> {
  const data = readAr(bytes, what).find((m) => m.name.startsWith('data.tar'));
  if (!data) throw new DerivationError(what, 'the .deb has no data.tar member');
  if (!/^data\.tar(\.xz|\.gz)?$/.test(data.name)) return { missing: `its ${data.name} is not xz, gzip or plain` };
  const source = decompressed(data.data);
  let gz: Buffer | undefined;
  try {
    gz = await findInTar(source, (name) => CHANGELOG.test(name));
  } catch (cause) {
    throw new DerivationError(what, `cannot read its ${data.name}: ${(cause as Error).message}`);
  }
  if (!gz) return { missing: 'no changelog.Debian.gz (its doc folder links to another package of the source)' };
  return { text: gunzipSync(gz).toString('utf8') };
}
