// The CPU backend's heap: one shared WebAssembly.Memory that holds every buffer the backend allocates, so the
// WebAssembly kernels (and the pool's threads, each with its own instance on the same memory) read them in place.
// A buffer is a Float32Array / Int32Array view on the memory; its byteOffset is its address for the kernels.
//
// Allocation: a bump pointer plus free lists per size class (sizes rounded up to 64 bytes, and above 4 KiB to the
// next eighth of a power of two, so a freed block is reused by any request of its class, with at most 12.5% waste).
// A block comes back when `free` is called on its view, or when the view is garbage-collected (a
// FinalizationRegistry): callers must not keep a subarray of a backend buffer after dropping the buffer itself
// (the engine never does: subarrays only live for the duration of a kernel call).
// Shared memory does not detach old views when it grows, so views stay valid for the backend's lifetime.
// When the memory cannot grow (4 GiB, or the host refuses), alloc returns null and the backend falls back to
// ordinary arrays, on which the TypeScript kernels run.

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB, wasm32's whole address space
const ALIGN = 64;
/**
 * Addresses below this are never handed out: 0 is the kernels' "no buffer", the kernels' constant tables (exp, log:
 * data segments every instance writes again) sit below it, and the rest catches stray pointers.
 */
export const HEAP_BASE = PAGE;
const BASE = HEAP_BASE;

export function sizeClass(bytes: number): number {
  const b = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  if (b <= 4096) return b;
  const step = 2 ** Math.floor(Math.log2(b)) / 8;
  return Math.ceil(b / step) * step;
}

export class WasmHeap {
  private top = BASE;
  private readonly freeLists = new Map<number, number[]>();
  private readonly sizes = new Map<number, number>(); // live block address -> class bytes
  private readonly buffers = new WeakSet<ArrayBufferLike>(); // every memory.buffer a view was made on
  private readonly registry = new FinalizationRegistry<number>((ptr) => this.release(ptr));
  /** Bytes in live blocks (tests and the bench read it). */
  liveBytes = 0;

  private constructor(readonly memory: WebAssembly.Memory) {}

  /** A heap on a new shared memory, or null where shared WebAssembly memory is unavailable (no cross-origin isolation). */
  static create(initialBytes = 16 << 20): WasmHeap | null {
    if (typeof SharedArrayBuffer === "undefined") return null;
    try {
      return new WasmHeap(new WebAssembly.Memory({ initial: Math.ceil(initialBytes / PAGE), maximum: MAX_PAGES, shared: true }));
    } catch {
      return null;
    }
  }

  /** Is `a` a view on this heap (so a.byteOffset is its address)? */
  owns(a: ArrayBufferView | null): boolean {
    return a !== null && this.buffers.has(a.buffer);
  }

  f32(n: number): Float32Array | null {
    const ptr = this.allocBytes(n * 4);
    return ptr === null ? null : this.track(new Float32Array(this.buffer(), ptr, n), ptr);
  }

  i32(n: number): Int32Array | null {
    const ptr = this.allocBytes(n * 4);
    return ptr === null ? null : this.track(new Int32Array(this.buffer(), ptr, n), ptr);
  }

  /** Gives back the block `a` was allocated as (a no-op for a view that is not a whole block of this heap). */
  free(a: ArrayBufferView): void {
    // only the view the block was made as, and only once: a second free of it, or a free of a subarray at the same
    // address, must not release a block that has since been handed to someone else
    if (this.live.get(a) !== a.byteOffset) return;
    this.live.delete(a);
    this.registry.unregister(a);
    this.release(a.byteOffset);
  }

  private track<T extends ArrayBufferView>(view: T, ptr: number): T {
    this.registry.register(view, ptr, view);
    this.live.set(view, ptr);
    return view;
  }
  private readonly live = new WeakMap<ArrayBufferView, number>(); // views made by f32 / i32 and not yet freed

  private buffer(): ArrayBufferLike {
    const b = this.memory.buffer;
    this.buffers.add(b);
    return b;
  }

  private allocBytes(bytes: number): number | null {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`WasmHeap: cannot allocate ${bytes} bytes`);
    const size = sizeClass(bytes);
    const reuse = this.freeLists.get(size)?.pop();
    let ptr: number;
    if (reuse !== undefined) {
      ptr = reuse;
    } else {
      const end = this.top + size;
      if (end > MAX_PAGES * PAGE) return null;
      const have = this.memory.buffer.byteLength;
      if (end > have) {
        // grow by at least an eighth of what is there, so many small allocations do not grow page by page
        const pages = Math.min(MAX_PAGES - have / PAGE, Math.max(Math.ceil((end - have) / PAGE), Math.ceil(have / PAGE / 8)));
        try {
          this.memory.grow(pages);
        } catch {
          try {
            this.memory.grow(Math.ceil((end - have) / PAGE));
          } catch {
            return null;
          }
        }
      }
      ptr = this.top;
      this.top = end;
    }
    this.sizes.set(ptr, size);
    this.liveBytes += size;
    return ptr;
  }

  private release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) return;
    this.sizes.delete(ptr);
    this.liveBytes -= size;
    if (ptr + size === this.top) this.top = ptr;
    else {
      const list = this.freeLists.get(size);
      if (list) list.push(ptr);
      else this.freeLists.set(size, [ptr]);
    }
  }
}
