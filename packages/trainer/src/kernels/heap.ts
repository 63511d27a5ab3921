/**
 * A fixed-size shared WebAssembly memory with a bump allocator. Every worker instantiates the GEMM kernel
 * against the same memory, so tables live in one place and threads exchange nothing but offsets.
 * The size is fixed at construction: a grown shared memory would invalidate the typed-array views.
 */
export class SharedHeap {
  readonly memory: WebAssembly.Memory;
  private top = 64; // keep offset 0 unused so a zero pointer is visibly wrong

  constructor(bytes: number) {
    const pages = Math.ceil((bytes + 65536) / 65536);
    if (pages > 65536) throw new RangeError(`SharedHeap: ${bytes} bytes exceed the 4 GiB wasm32 limit`);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  }

  get capacity(): number {
    return this.memory.buffer.byteLength;
  }

  /** Reserve `count` elements of 4 bytes, 64-byte aligned; returns the byte offset. */
  alloc(count: number): number {
    const ptr = this.top;
    const end = ptr + Math.ceil((count * 4) / 64) * 64;
    if (end > this.capacity) throw new RangeError(`SharedHeap: out of memory (${end} > ${this.capacity} bytes)`);
    this.top = end;
    return ptr;
  }

  f32(ptr: number, count: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, count);
  }

  u32(ptr: number, count: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, ptr, count);
  }

  /** Allocate and fill from `src`. */
  putF32(src: ArrayLike<number>): number {
    const ptr = this.alloc(src.length);
    this.f32(ptr, src.length).set(src);
    return ptr;
  }

  putU32(src: ArrayLike<number>): number {
    const ptr = this.alloc(src.length);
    this.u32(ptr, src.length).set(src);
    return ptr;
  }
}

/** Bytes needed for a list of element counts allocated with SharedHeap.alloc. */
export function heapBytes(counts: readonly number[]): number {
  return counts.reduce((s, c) => s + Math.ceil((c * 4) / 64) * 64, 128);
}
