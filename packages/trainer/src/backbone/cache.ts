/**
 * A cache of trained backbones on disk, for `methods --backbone-cache <dir>`. Every comparison run on a dataset
 * trains the same backbone (one seed, one recipe, one carve): 10–13 minutes on Gowalla before any method starts. A
 * run that finds its backbone in the cache loads it instead; one that does not trains it and stores it.
 *
 * The key is a SHA-256 of everything the training reads: the training edges, the table shape, every option but the
 * callbacks (typed arrays by their bytes), and the code that trains (the files of backbone/, kernels/ and
 * data/random beside this module), so that a changed recipe or kernel never loads a stale table. A cached backbone
 * is therefore the one this run would train; the
 * report says it was loaded (harness/run.ts). Files are `backbone-<key>.json` (what was trained, and the SHA-256
 * of the tables) and `backbone-<key>.f32` (users then items, little-endian f32), written under a temporary name and
 * renamed, so a stopped run leaves no half file under a cache name. Nothing in the folder is ever deleted.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CSR } from '../data/types.js';
import { HarnessError } from '../harness/errors.js';
import type { BackboneOptions, Embeddings } from './train.js';

/** What a cached backbone's record holds beside the tables. */
export interface CachedBackboneRecord {
  version: 1;
  key: string;
  dim: number;
  nUsers: number;
  nItems: number;
  /** Seconds the training took when it was stored. */
  trainedSeconds: number;
  createdAt: string;
  tablesSha256: string;
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The options as canonical JSON: sorted keys, typed arrays as the SHA-256 of their bytes, callbacks left out. */
function canonical(value: unknown): string {
  if (ArrayBuffer.isView(value)) return JSON.stringify(`${value.constructor.name}:${createHash('sha256').update(bytesOf(value)).digest('hex')}`);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined && typeof v !== 'function')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 over the trainer's code that a backbone depends on (source under tsx, compiled under dist). */
async function codeHash(): Promise<string> {
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const h = createHash('sha256');
  for (const sub of ['backbone', 'kernels', 'data']) {
    const names = (await readdir(join(root, sub))).filter((n) => sub !== 'data' || n.startsWith('random.') || n.startsWith('mulberry32.')).sort();
    for (const n of names) {
      h.update(`${sub}/${n}\0`);
      h.update(await readFile(join(root, sub, n)));
    }
  }
  return h.digest('hex');
}

/** The cache key of a backbone trained on `train` with `options` by this trainer's code. */
export async function backboneKey(train: CSR, nUsers: number, nItems: number, options: BackboneOptions): Promise<string> {
  const h = createHash('sha256');
  h.update(canonical({ version: 1, nUsers, nItems, options, code: await codeHash() }));
  h.update(bytesOf(train.indptr));
  h.update(bytesOf(train.indices));
  return h.digest('hex');
}

const paths = (dir: string, key: string) => ({ record: join(dir, `backbone-${key}.json`), tables: join(dir, `backbone-${key}.f32`) });

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The cached backbone of `key`, or undefined when the cache has none; a damaged entry is an error that names its files. */
export async function loadBackbone(dir: string, key: string): Promise<{ embeddings: Embeddings; record: CachedBackboneRecord } | undefined> {
  const p = paths(dir, key);
  let text: string;
  try {
    text = await readFile(p.record, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new HarnessError(`backbone cache: cannot read ${p.record}: ${(e as Error).message}`);
  }
  const damaged = (why: string) => new HarnessError(`backbone cache: ${p.record} and ${p.tables} are damaged (${why}); move them away to train the backbone again`);
  let record: CachedBackboneRecord;
  try {
    record = JSON.parse(text) as CachedBackboneRecord;
  } catch {
    throw damaged('the record is not JSON');
  }
  if (record.version !== 1 || record.key !== key) throw damaged(`the record names key ${String(record.key)}, version ${String(record.version)}`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(p.tables));
  } catch (e) {
    throw damaged(`cannot read the tables: ${(e as Error).message}`);
  }
  const values = (record.nUsers + record.nItems) * record.dim;
  if (bytes.byteLength !== values * 4) throw damaged(`${bytes.byteLength} bytes of tables where ${values * 4} were recorded`);
  if (sha256(bytes) !== record.tablesSha256) throw damaged('the tables do not match their SHA-256');
  // A copy aligned for Float32Array (readFile's buffer may be a slice of a pool).
  const all = new Float32Array(bytes.slice().buffer);
  const split = record.nUsers * record.dim;
  return { record, embeddings: { dim: record.dim, nUsers: record.nUsers, nItems: record.nItems, users: all.slice(0, split), items: all.slice(split) } };
}

/** Stores `e` under `key` (the folder is made if needed); returns the record written. */
export async function storeBackbone(dir: string, key: string, e: Embeddings, trainedSeconds: number): Promise<CachedBackboneRecord> {
  await mkdir(dir, { recursive: true });
  const p = paths(dir, key);
  const bytes = new Uint8Array((e.users.length + e.items.length) * 4);
  bytes.set(bytesOf(e.users), 0);
  bytes.set(bytesOf(e.items), e.users.length * 4);
  const record: CachedBackboneRecord = {
    version: 1,
    key,
    dim: e.dim,
    nUsers: e.nUsers,
    nItems: e.nItems,
    trainedSeconds: Math.round(trainedSeconds * 10) / 10,
    createdAt: new Date().toISOString(),
    tablesSha256: sha256(bytes),
  };
  // Tables first, the record last: a record on disk always has its tables.
  const tmp = `.tmp-${process.pid}-${Date.now()}`;
  await writeFile(p.tables + tmp, bytes);
  await rename(p.tables + tmp, p.tables);
  await writeFile(p.record + tmp, `${JSON.stringify(record, null, 2)}\n`);
  await rename(p.record + tmp, p.record);
  return record;
}
