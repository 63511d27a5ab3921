// Typed views of the shared heap for the worker threads. A task carries only byte offsets (SharedHeap.alloc);
// the code that reads a region names its element count once, beside its name, and gets the views back by name.

/**
 * One view of type `Type` per region named in `counts`: `offsets[name]` is its byte offset, `counts[name]`
 * its element count. Views never copy: they read and write the shared memory itself.
 * @template {string} K
 * @template {Float32Array | Uint32Array | Int32Array} A
 * @param {new (buffer: ArrayBufferLike, byteOffset: number, length: number) => A} Type
 * @param {ArrayBufferLike} buf
 * @param {Readonly<NoInfer<Record<K, number>>>} offsets byte offsets by region name (a task or its scratch record)
 * @param {Readonly<Record<K, number>>} counts element counts by region name
 * @returns {Record<K, A>}
 */
export function heapViews(Type, buf, offsets, counts) {
  const views = /** @type {Record<K, A>} */ ({});
  for (const name of /** @type {K[]} */ (Object.keys(counts))) views[name] = new Type(buf, offsets[name], counts[name]);
  return views;
}
