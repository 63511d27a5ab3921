import { describe, expect, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { sha256Hex } from '@peelrec/format';
import { DB_NAME, openIndexedDbStore, type StoredFile } from '../src/store.js';

const MODEL = { contentHash: 'c'.repeat(64), manifestUrl: 'https://peelrec.test/model/manifest.json', manifest: '{}' };

async function stored(n: number): Promise<{ idb: IDBFactory; files: StoredFile[] }> {
  const idb = new IDBFactory();
  const files = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const bytes = new Uint8Array(1000).fill(i + 1);
      return { sha256: await sha256Hex(bytes), bytes, weight: 1 };
    }),
  );
  const store = await openIndexedDbStore(idb);
  await store.writeMany(MODEL, files);
  store.close();
  return { idb, files };
}

describe('reading stored files back', () => {
  it('re-hashes every record it reads: bytes changed at rest are a miss, and their record is deleted', async () => {
    const { idb, files } = await stored(3);
    const raw = await new Promise<IDBDatabase>((resolve) => {
      const r = idb.open(DB_NAME);
      r.onsuccess = () => resolve(r.result);
    });
    const rotten = new Uint8Array(files[1]!.bytes);
    rotten[500] = rotten[500]! ^ 0x01;
    await new Promise((resolve) => {
      const tx = raw.transaction('files', 'readwrite');
      tx.objectStore('files').put({ ...files[1]!, bytes: rotten });
      tx.oncomplete = resolve;
    });
    raw.close();
    const store = await openIndexedDbStore(idb);
    const read = await store.readMany(files.map((f) => f.sha256));
    expect(read.map((b) => b?.[0])).toEqual([1, undefined, 3]);
    expect([...(await store.db.getAllKeys('files'))].sort()).toEqual([files[0]!.sha256, files[2]!.sha256].sort());
    store.close();
  });
});
