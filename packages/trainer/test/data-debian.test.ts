import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DerivationError } from '../src/data/derivation-error.js';
import { readAr } from '../src/data/debian/ar.js';
import { parseChangelog } from '../src/data/debian/changelog.js';
import { changelogOfDeb } from '../src/data/debian/deb.js';
import { smallestPerSource } from '../src/data/debian/packages-index.js';
import { DEBIAN_UPLOADS_DEFAULTS, deriveDebianUploads } from '../src/data/debian/uploads.js';

const enc = new TextEncoder();

/** An ar archive of `members` (the .deb container), headers as dpkg writes them. */
function ar(members: [string, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [enc.encode('!<arch>\n')];
  for (const [name, data] of members) {
    const header = `${name.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'100644'.padEnd(8)}${String(data.length).padEnd(10)}\`\n`;
    parts.push(enc.encode(header), data);
    if (data.length % 2) parts.push(enc.encode('\n'));
  }
  return Buffer.concat(parts);
}

async function tarOf(files: Record<string, Uint8Array>): Promise<Uint8Array> {
  const pack = tar.pack();
  for (const [name, data] of Object.entries(files)) pack.entry({ name, mtime: new Date(0) }, Buffer.from(data));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const changelog = (pkg: string, entries: [string, string, string][]) =>
  entries.map(([version, who, date]) => `${pkg} (${version}) unstable; urgency=medium\n\n  * Change.\n\n -- ${who}  ${date}\n`).join('\n');

async function deb(pkg: string, text: string | undefined): Promise<Uint8Array> {
  const files: Record<string, Uint8Array> = { [`./usr/share/doc/${pkg}/copyright`]: enc.encode('free') };
  if (text !== undefined) files[`./usr/share/doc/${pkg}/changelog.Debian.gz`] = gzipSync(text);
  return ar([
    ['debian-binary', enc.encode('2.0\n')],
    ['control.tar.gz', gzipSync(await tarOf({ './control': enc.encode(`Package: ${pkg}\n`) }))],
    ['data.tar.gz', gzipSync(await tarOf(files))],
  ]);
}

// A data.tar.xz holding usr/share/doc/tiny/changelog.Debian.gz (two entries, Ada 2024 and Bob 2018), made with
// GNU tar and `xz -9e` from the test's own text: the mirror's .debs use xz, which Node's zlib cannot write.
const TINY_DATA_TAR_XZ =
  '/Td6WFoAAATm1rRGAgAhARwAAAAQz1jM4Cf/AWNdABcLyyeJ8uv7sv6J4fnJCB0cKoHE/3R/8kryC2Zvf64IQK5w6Ki2NN0038F67XQZilbCtqPbsW9Q9Kl0eFKVvsn+fa4zcZtFMrnPmWaZqgfH1Dna+ytsAwpSZ+nIiwcQmP1Tdozc6H0Lal7isQgxAqXsgbOzK/VsOftl+3unmjcrXf/UJBXGIbbYYm0ntTPIid88flEzhMEMxAk7ixQJCsINHzuhml2sk4tg3Ioj0gHttw4qwpLtgMgwKNMehq7CoeBQ8m1i5LBkdEPS2usyn8kqc01x3QFl7ViKZHK6lzwhoVO3uKsyaMetGNLL5OjxSYj1YvPEHADwpUesPO6fDYc00s8P8CE/nIOcQJje5I9CESiP0VbuQUpHSl0hb9PR7Z7YFLacSZYv9/cG3j+qVFjxHnCYYxvNej6+g8Aihbjm9ux8zvFvPEQX6HE+e2Kssde/vZ0D3TPAelXbLBxQKcPGOAAAAEXUbYcbWHlDAAH/AoBQAAD6tLTcscRn+wIAAAAABFla';

describe('debian uploads: the pieces', () => {
  it('readAr reads members, skips the odd-size padding, and refuses what is not an ar archive', () => {
    const a = ar([
      ['debian-binary', enc.encode('2.0\n')],
      ['odd', enc.encode('abc')],
      ['last', enc.encode('xy')],
    ]);
    expect(readAr(a, 'a.deb').map((m) => [m.name, Buffer.from(m.data).toString()])).toEqual([
      ['debian-binary', '2.0\n'],
      ['odd', 'abc'],
      ['last', 'xy'],
    ]);
    expect(() => readAr(enc.encode('PK\x03\x04 not ar'), 'b.deb')).toThrow(DerivationError);
    expect(() => readAr(a.subarray(0, a.length - 1), 'c.deb')).toThrow(/claims 2 bytes/);
    expect(() => readAr(a.subarray(0, a.length - 5), 'd.deb')).toThrow(/ends inside a member header/);
  });

  it('parseChangelog reads package, version, signer and time; skips unreadable, pre-1993 and future trailers', () => {
    const text = [
      changelog('foo', [
        ['2.0-1', 'Ann Other <ANN@example.org>', 'Tue, 02 Jan 2024 10:00:00 +0100'],
        ['1.9-1', 'No Date <nd@example.org>', 'sometime'],
        ['1.8-1', 'Early <early@example.org>', 'Mon, 01 Jan 1990 00:00:00 +0000'],
        ['1.7-1', 'Future <f@example.org>', 'Mon, 01 Jan 2091 00:00:00 +0000'],
      ]),
      'foo (1.0-1) unstable; urgency=low\n\n  * Old.\n\n -- Old Timer <old@example.org> Wed, 14 Aug 1996 12:00:00 +0200\n',
    ].join('\n');
    const p = parseChangelog(text, Date.UTC(2026, 0, 1) / 1000);
    expect(p.entries).toEqual([
      { package: 'foo', version: '2.0-1', email: 'ann@example.org', time: Date.UTC(2024, 0, 2, 9) / 1000 },
      { package: 'foo', version: '1.0-1', email: 'old@example.org', time: Date.UTC(1996, 7, 14, 10) / 1000 },
    ]);
    expect(p.skipped).toBe(3);
  });

  it('smallestPerSource keeps the smallest binary of each source, reading "Source: name (version)"', () => {
    const index = [
      'Package: libfoo1\nSource: foo (1.0-1)\nVersion: 1.0-1+b1\nFilename: pool/main/f/foo/libfoo1.deb\nSize: 900\nSHA256: aa\nDescription: x\n continued line: Size: 1',
      'Package: foo-doc\nSource: foo\nFilename: pool/main/f/foo/foo-doc.deb\nSize: 300\nSHA256: bb',
      'Package: bar\nFilename: pool/main/b/bar/bar.deb\nSize: 50\nSHA256: cc',
      'Package: broken\nFilename: pool/main/b/broken/broken.deb\nSHA256: dd',
    ].join('\n\n');
    expect(smallestPerSource(index)).toEqual([
      { source: 'bar', package: 'bar', filename: 'pool/main/b/bar/bar.deb', size: 50, sha256: 'cc' },
      { source: 'foo', package: 'foo-doc', filename: 'pool/main/f/foo/foo-doc.deb', size: 300, sha256: 'bb' },
    ]);
  });

  it("changelogOfDeb reads the changelog from a gzip or xz data.tar, and says when a package's doc folder has none", async () => {
    const text = changelog('foo', [['1.0-1', 'A <a@example.org>', 'Tue, 02 Jan 2024 10:00:00 +0000']]);
    expect(await changelogOfDeb(await deb('foo', text), 'foo.deb')).toEqual({ text });
    expect(await changelogOfDeb(await deb('foo-doc', undefined), 'foo-doc.deb')).toHaveProperty('missing');
    const xz = ar([
      ['debian-binary', enc.encode('2.0\n')],
      ['data.tar.xz', Buffer.from(TINY_DATA_TAR_XZ, 'base64')],
    ]);
    const read = await changelogOfDeb(xz, 'tiny.deb');
    expect('text' in read && parseChangelog(read.text).entries.map((e) => [e.version, e.email])).toEqual([
      ['1.1-1', 'ada@example.org'],
      ['1.0-1', 'bob@example.org'],
    ]);
    await expect(changelogOfDeb(ar([['debian-binary', enc.encode('2.0\n')]]), 'empty.deb')).rejects.toThrow(/no data.tar/);
  });
});

describe('deriveDebianUploads against a mirror stand-in', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function mirror(extra: { corrupt?: boolean; missing?: boolean } = {}) {
    const debs: Record<string, Uint8Array> = {
      'pool/main/f/foo/foo.deb': await deb(
        'foo',
        changelog('foo', [
          ['1.2-1', 'Ann <ann@example.org>', 'Tue, 02 Jan 2024 10:00:00 +0000'],
          ['1.1-1', 'Ann <ann@example.org>', 'Mon, 01 Jan 2018 10:00:00 +0000'],
          ['1.0-1', 'Bob <bob@example.org>', 'Sun, 01 Jan 2017 10:00:00 +0000'],
        ]),
      ),
      'pool/main/b/bar/bar.deb': await deb('bar', changelog('bar', [['0.1-1', 'Ann <ann@example.org>', 'Wed, 01 Jan 2020 10:00:00 +0000']])),
      'pool/main/d/doc/doc.deb': await deb('doc', undefined),
      'pool/main/h/huge/huge.deb': await deb('huge', changelog('huge', [['9-1', 'Cy <cy@example.org>', 'Wed, 01 Jan 2020 10:00:00 +0000']])),
    };
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    const index = Object.entries(debs)
      .map(
        ([f, b]) =>
          `Package: ${f.split('/')[3]}\nFilename: ${f}\nSize: ${f.includes('huge') ? 10_000_000 : b.length}\nSHA256: ${extra.corrupt && f.includes('bar') ? sha(enc.encode('other')) : sha(b)}`,
      )
      .join('\n\n');
    const requested: string[] = [];
    const fetcher = async (url: string) => {
      requested.push(url);
      const path = url.replace('http://mirror.test/debian/', '');
      if (path === 'dists/bookworm/main/binary-amd64/Packages.xz') return new Response(gzipSync(index)); // the real one is xz: decompressed by magic
      if (extra.missing && path.includes('bar')) return new Response('', { status: 404 });
      const b = debs[path];
      return b ? new Response(Buffer.from(b)) : new Response('', { status: 404 });
    };
    return { fetcher, requested };
  }

  const options = { ...DEBIAN_UPLOADS_DEFAULTS, mirror: 'http://mirror.test/debian', maxDebBytes: 1_000_000, concurrency: 2, retries: 1 };

  it('writes each first (signer, source) upload sorted by time, signers hashed, and counts what it read and skipped', async () => {
    dir = await mkdtemp(join(tmpdir(), 'peelrec-debian-'));
    const { fetcher, requested } = await mirror();
    const stamp = await deriveDebianUploads(options, dir, { fetch: fetcher });
    const id = (email: string) => createHash('sha256').update(email).digest('hex').slice(0, 16);
    const rows = (await readFile(join(dir, 'interactions.csv'), 'utf8')).trim().split('\n');
    expect(rows).toEqual([
      `${id('bob@example.org')},foo,1,${Date.UTC(2017, 0, 1, 10) / 1000}`,
      `${id('ann@example.org')},foo,1,${Date.UTC(2018, 0, 1, 10) / 1000}`,
      `${id('ann@example.org')},bar,1,${Date.UTC(2020, 0, 1, 10) / 1000}`,
    ]);
    expect(stamp.counts).toEqual({ sourcesInIndex: 4, sourcesRead: 3, withoutChangelog: 1, failedDownloads: 0, entries: 4, unreadableTrailers: 0, interactions: 3, users: 2, items: 2 });
    expect(requested.some((u) => u.includes('huge'))).toBe(false); // over --max-deb-bytes: never fetched
    expect(JSON.parse(await readFile(join(dir, 'stamp.json'), 'utf8'))).toEqual(stamp);
    // Its own output is rewritten; a file it did not write is refused.
    await deriveDebianUploads(options, dir, { fetch: fetcher });
    await rm(join(dir, 'stamp.json'));
    await expect(deriveDebianUploads(options, dir, { fetch: fetcher })).rejects.toThrow(/did not write/);
    // Another tool's stamp is never removed, even with no interactions.csv beside it.
    await rm(join(dir, 'interactions.csv'));
    const foreign = JSON.stringify({ generator: 'peelrec derive' });
    await writeFile(join(dir, 'stamp.json'), foreign);
    await expect(deriveDebianUploads(options, dir, { fetch: fetcher })).rejects.toThrow(/did not write/);
    expect(await readFile(join(dir, 'stamp.json'), 'utf8')).toBe(foreign);
    await writeFile(join(dir, 'stamp.json'), 'not json');
    await expect(deriveDebianUploads(options, dir, { fetch: fetcher })).rejects.toThrow(DerivationError);
  });

  it('a download that fails or does not match its SHA-256 counts as failed; too many failures write nothing', async () => {
    dir = await mkdtemp(join(tmpdir(), 'peelrec-debian-'));
    for (const extra of [{ missing: true }, { corrupt: true }]) {
      const { fetcher, requested } = await mirror(extra);
      await expect(deriveDebianUploads(options, dir, { fetch: fetcher })).rejects.toThrow(/1 of 3 downloads failed/);
      if (extra.missing) expect(requested.filter((u) => u.includes('bar'))).toHaveLength(2); // one retry
    }
    await expect(readFile(join(dir, 'interactions.csv'))).rejects.toThrow();
    await writeFile(join(dir, 'unrelated.txt'), 'kept');
    expect(await readFile(join(dir, 'unrelated.txt'), 'utf8')).toBe('kept');
  });
});
