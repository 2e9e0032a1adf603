// The WebGPU device and the plumbing every kernel shares: one command encoder per step (kernels are encoded, and
// submitted only when a result is read or a buffer written from the CPU), pipelines cached by a key
// (op:variant:overrides), buffers from a pool keyed by size, uniform parameter buffers recycled once the GPU is done
// with them. Every buffer and pipeline has a label. Not here: the kernels (kernels/*.ts and *.wgsl).

import { hasVariants, variantText, type WgslVariant } from "./wgsl-variants.ts";

export class GpuUnavailableError extends Error {
  /** `then` says what happens next (a lost device: the caller decides, so it says nothing). */
  constructor(
    /** Why, in a few words ("no GPU adapter was found"), for callers that word the message themselves. */
    readonly reason: string,
    then = " The CPU backend is used instead.",
  ) {
    super(`WebGPU is not available: ${reason}.${then}`);
    this.name = "GpuUnavailableError";
  }
}

export const STORAGE = 0x80 | 0x4 | 0x8; // GPUBufferUsage.STORAGE | COPY_SRC | COPY_DST (numbers: usable in workers)

/** The kinds a uniform field takes (4 bytes each). */
export type ParamKind = "u32" | "f32" | "i32";

/** A kernel's parameter block, positional: each field's kind and value, in the order its WGSL struct declares them. */
type Params = readonly (readonly [kind: ParamKind, value: number])[];

declare const named: unique symbol;
/**
 * The uniform values of one dispatch, as GpuContext.dispatch takes them: made by paramValues only (the brand), so
 * every kernel's values are given by field name and laid out in its table's order.
 */
export type ParamBlock = Params & { readonly [named]: true };

/**
 * A kernel's uniform fields as one table, [name, kind] in declaration order (declare it `as const`): the WGSL struct
 * (wgslStruct) and the values dispatched (paramValues) both come from it, so their order cannot drift apart.
 */
export type ParamFields = readonly (readonly [name: string, kind: ParamKind])[];

/** A value for each field of `F`, by name (booleans as 1 / 0). */
export type ParamValues<F extends ParamFields> = { readonly [K in F[number][0]]: number | boolean };

/** The WGSL `struct <name> { field: kind, ... }` of `fields`, for the kernel's text to be prefixed with. */
export function wgslStruct(name: string, fields: ParamFields): string {
  return `struct ${name} {\n${fields.map(([f, kind]) => `  ${f}: ${kind},\n`).join("")}}\n`;
}

/** `values` in the order of `fields`, as GpuContext.dispatch takes them. */
export function paramValues<F extends ParamFields>(fields: F, values: ParamValues<F>): ParamBlock {
  return fields.map(([name, kind]) => {
    const v = (values as Record<string, number | boolean>)[name]!;
    return [kind, typeof v === "boolean" ? (v ? 1 : 0) : v] as const;
  }) as Params as ParamBlock;
}

/** What a kernel binds: a whole buffer, or a range of one (a weight split into row ranges, a vocabulary chunk). */
export type Binding = GPUBuffer | GPUBufferBinding;

const isBuffer = (b: Binding): b is GPUBuffer => !("buffer" in b);
/** Bytes a binding makes visible to the kernel (an upper bound on what it reads or writes there). */
export const boundBytes = (b: Binding): number => (isBuffer(b) ? b.size : (b.size ?? b.buffer.size - (b.offset ?? 0)));
/** The buffer a binding is (part of). */
export const bufferOf = (b: Binding): GPUBuffer => (isBuffer(b) ? b : b.buffer);
/** Where a binding starts in its buffer, in bytes. */
export const offsetOf = (b: Binding): number => (isBuffer(b) ? 0 : (b.offset ?? 0));
/** Bytes [offset, offset + bytes) of a binding, as a range of its buffer. */
export function range(b: Binding, offset: number, bytes: number): GPUBufferBinding {
  return { buffer: bufferOf(b), offset: offsetOf(b) + offset, size: bytes };
}
/** A binding's label: its buffer's. */
export const labelOf = (b: Binding): string => bufferOf(b).label;

export function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export class GpuContext {
  private encoder: GPUCommandEncoder | null = null;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Shader modules by kernel key, with the label tag of the variant compiled (";subgroups", or "" for none). */
  private readonly modules = new Map<string, { module: GPUShaderModule; tag: string }>();
  private readonly freeUniforms = new Map<number, GPUBuffer[]>();
  private inFlightUniforms: [number, GPUBuffer][] = [];
  private readonly freeBuffers = new Map<number, GPUBuffer[]>();
  private lost: string | undefined;
  /** Dispatches encoded so far, per pipeline label (the kernel's key and overrides, e.g. "matvec:WG=64,M=1,FORMAT=2"). */
  readonly dispatches = new Map<string, number>();
  /** Bytes bound to those dispatches (storage bindings, not the params), per pipeline label: what a kernel may touch. */
  readonly boundBytes = new Map<string, number>();
  /** Bytes those dispatches read and write, per pipeline label: the kernel's own count where it gives one, else bound. */
  readonly traffic = new Map<string, number>();

  private constructor(
    readonly adapter: GPUAdapter,
    readonly device: GPUDevice,
    readonly hasF16: boolean,
    /** Kernels take their subgroup variant (wgsl-variants.ts): the adapter has "subgroups" and WGSL `subgroup_id`. */
    readonly subgroups: boolean,
  ) {
    device.lost.then((info) => (this.lost = info.message || info.reason));
  }

  /**
   * The adapter's device. `options.subgroups: false` keeps the kernels on their workgroup-memory variant even where
   * the adapter offers subgroups (the tests run both).
   */
  static async create(gpu: GPU | undefined = globalThis.navigator?.gpu, options: { subgroups?: boolean } = {}): Promise<GpuContext> {
    if (!gpu) throw new GpuUnavailableError("this browser has no navigator.gpu");
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) throw new GpuUnavailableError("no GPU adapter was found");
    const hasF16 = adapter.features.has("shader-f16");
    // subgroup_id (which subgroup of the workgroup an invocation is in) is what lets a reduction give each subgroup
    // its own slot without assuming how invocations are laid out in subgroups
    const subgroups = (options.subgroups ?? true) && adapter.features.has("subgroups") && gpu.wgslLanguageFeatures?.has("subgroup_id") === true;
    const features: GPUFeatureName[] = [...(hasF16 ? ["shader-f16" as const] : []), ...(subgroups ? ["subgroups" as const] : [])];
    const device = await adapter.requestDevice({
      label: "fim-studio",
      requiredFeatures: features,
      // ask for all the adapter allows: a 49k x 576 embedding is 113 MB, a 128k x 2048 one 1 GB
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
        maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
        maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
      },
    });
    return new GpuContext(adapter, device, hasF16, subgroups);
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** Why the device was lost, or undefined while it works. */
  get lostReason(): string | undefined {
    return this.lost;
  }

  // --- buffers ---

  /** A storage buffer of `bytes` (rounded up to 16), from the pool when one of that size is free. */
  buffer(bytes: number, label: string): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    if (size > this.limits.maxBufferSize) {
      throw new RangeError(`${label}: ${size} bytes exceed this GPU's maxBufferSize (${this.limits.maxBufferSize})`);
    }
    const b = this.freeBuffers.get(size)?.pop() ?? this.device.createBuffer({ size, usage: STORAGE, label });
    b.label = label;
    return b;
  }

  /** Returns a buffer to the pool (its contents are not kept). */
  release(b: GPUBuffer): void {
    const list = this.freeBuffers.get(b.size) ?? [];
    list.push(b);
    this.freeBuffers.set(b.size, list);
  }

  // Buffer operations take a buffer or a range of one (a view: ../backend.ts view); offsets are from its start.

  write(b: Binding, data: ArrayBufferView, offsetBytes = 0): void {
    this.flush(); // earlier kernels must run before the CPU's data lands
    this.device.queue.writeBuffer(bufferOf(b), offsetOf(b) + offsetBytes, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Copies `bytes` from the start of `src` into a fresh mapped buffer and returns them. */
  async read(src: Binding, bytes: number, srcOffset = 0): Promise<ArrayBuffer> {
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.device.createBuffer({ size, usage: 0x1 | 0x8, label: `read:${labelOf(src)}` }); // MAP_READ | COPY_DST
    this.enc().copyBufferToBuffer(bufferOf(src), offsetOf(src) + srcOffset, staging, 0, size);
    this.flush();
    try {
      await staging.mapAsync(0x1); // GPUMapMode.READ
    } catch (e) {
      // a device lost meanwhile fails the map with a bare AbortError ("unmapped before mapping was resolved"), and
      // device.lost may settle just after it: name the loss, so callers can go on from a checkpoint
      staging.destroy();
      const lost = this.lost ?? (await Promise.race([this.device.lost.then((i) => i.message || i.reason), new Promise<undefined>((ok) => setTimeout(ok, 1000))]));
      if (lost !== undefined) throw new GpuUnavailableError(`the device was lost (${lost})`, "");
      throw e;
    }
    const out = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    staging.destroy();
    if (this.lost) throw new GpuUnavailableError(`the device was lost (${this.lost})`, "");
    return out;
  }

  copy(dst: Binding, src: Binding, bytes: number, dstOffset = 0, srcOffset = 0): void {
    this.enc().copyBufferToBuffer(bufferOf(src), offsetOf(src) + srcOffset, bufferOf(dst), offsetOf(dst) + dstOffset, bytes);
  }

  /** Zeroes `bytes` from `offset` on (default: the rest of the binding). */
  clear(b: Binding, offset = 0, bytes = boundBytes(b) - offset): void {
    this.enc().clearBuffer(bufferOf(b), offsetOf(b) + offset, bytes);
  }

  // --- kernels ---

  /** Which optional features this device's kernels use (wgsl-variants.ts). */
  get variant(): WgslVariant {
    return { SUBGROUPS: this.subgroups };
  }

  /**
   * The pipeline for `code` with `overrides`, cached under `key`; a kernel text with feature blocks is compiled as
   * this device's variant, and its label says so (e.g. "matvec:WG=64,M=1,FORMAT=0;subgroups").
   */
  pipeline(key: string, code: string, overrides: Record<string, number> = {}, entryPoint = "main"): GPUComputePipeline {
    let m = this.modules.get(key);
    if (!m) {
      // the text is read once per kernel, not per dispatch
      const variants = hasVariants(code);
      const module = this.device.createShaderModule({ code: variants ? variantText(code, this.variant, key) : code, label: key });
      m = { module, tag: variants && this.subgroups ? ";subgroups" : "" };
      this.modules.set(key, m);
    }
    const full = `${key}:${Object.entries(overrides).map(([k, v]) => `${k}=${v}`).join(",")}${m.tag}`;
    let p = this.pipelines.get(full);
    if (!p) {
      p = this.device.createComputePipeline({ layout: "auto", compute: { module: m.module, entryPoint, constants: overrides }, label: full });
      this.pipelines.set(full, p);
    }
    return p;
  }

  /**
   * Encodes one dispatch, the one way every kernel is encoded: binding i is `bindings[i]` (i = 0..n-1; a buffer or a
   * range of one), then the params (made by paramValues) as a uniform at binding n. `groups` is the workgroup count in
   * x, y, z. `traffic`: the bytes it reads and writes, where the kernel knows them (else the bytes bound are counted as
   * its traffic).
   */
  dispatch(
    pipeline: GPUComputePipeline, bindings: readonly Binding[], params: ParamBlock, groups: readonly [number, number?, number?], traffic?: number,
  ): void {
    const entries: GPUBindGroupEntry[] = bindings.map((b, binding) => ({ binding, resource: isBuffer(b) ? { buffer: b } : b }));
    if (params.length > 0) entries.push({ binding: bindings.length, resource: { buffer: this.uniform(params) } });
    const [x, y = 1, z = 1] = groups;
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    // checked before the pass begins: a pass left open would spoil the whole step's encoder
    if (x > max || y > max || z > max) throw new RangeError(`${pipeline.label}: ${x}x${y}x${z} workgroups exceed ${max} per dimension`);
    const bind = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: pipeline.label });
    const pass = this.enc().beginComputePass({ label: pipeline.label });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(x, y, z);
    pass.end();
    const label = pipeline.label;
    this.dispatches.set(label, (this.dispatches.get(label) ?? 0) + 1);
    const bound = bindings.reduce((a, b) => a + boundBytes(b), 0);
    this.boundBytes.set(label, (this.boundBytes.get(label) ?? 0) + bound);
    this.traffic.set(label, (this.traffic.get(label) ?? 0) + (traffic ?? bound));
  }

  /** `groups` workgroups as a 1-D or 2-D grid within maxComputeWorkgroupsPerDimension (the kernels linearize it). */
  grid(groups: number): [number, number] {
    const x = Math.max(1, Math.min(groups, this.limits.maxComputeWorkgroupsPerDimension));
    return [x, Math.ceil(groups / x)];
  }

  /** Submits what is encoded so far. */
  flush(): void {
    if (!this.encoder) return;
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    const done = this.inFlightUniforms;
    this.inFlightUniforms = [];
    void this.device.queue.onSubmittedWorkDone().then(() => {
      for (const [size, b] of done) (this.freeUniforms.get(size) ?? this.freeUniforms.set(size, []).get(size)!).push(b);
    });
  }

  destroy(): void {
    this.flush();
    this.device.destroy();
  }

  private enc(): GPUCommandEncoder {
    if (this.lost) throw new GpuUnavailableError(`the device was lost (${this.lost})`, "");
    return (this.encoder ??= this.device.createCommandEncoder({ label: "step" }));
  }

  private uniform(params: Params): GPUBuffer {
    const size = Math.max(16, Math.ceil((params.length * 4) / 16) * 16);
    const data = new ArrayBuffer(size);
    const view = new DataView(data);
    params.forEach(([kind, v], i) => {
      if (kind === "f32") view.setFloat32(i * 4, v, true);
      else if (kind === "i32") view.setInt32(i * 4, v, true);
      else view.setUint32(i * 4, v, true);
    });
    const b = this.freeUniforms.get(size)?.pop() ?? this.device.createBuffer({ size, usage: 0x40 | 0x8, label: "params" }); // UNIFORM | COPY_DST
    this.device.queue.writeBuffer(b, 0, data);
    this.inFlightUniforms.push([size, b]);
    return b;
  }
}
