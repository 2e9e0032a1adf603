// webgpu-kernels.ts — e2e harness: runs the WebGPU matmul, embedding, rmsnorm, elementwise and optimizer kernels
// (src/lib/train/webgpu/kernels) and the CPU backend (src/lib/train/cpu) on the same seeded random inputs and returns
// the largest relative error of each output, |gpu - ref| / max(1, |ref|) (Infinity for NaN), for
// webgpu-kernels.test.ts. Outputs of overwriting kernels start as NaN; gradients and accumulated outputs start random,
// so the accumulation is checked. Some cases run through a context whose limits are forced small (a weight split into
// binding ranges, 2-D workgroup grids). The GEMV cases (webgpu-matvec-cases.ts) run matmul.ts's forward on a weight
// packed as f32, f16, int8 or int4 against the CPU backend on the same dequantized values (quant.ts frozenValues); so
// do the GEMM cases (webgpu-gemm-cases.ts: forward, dinp, dweight, on every format, some with non-default tiles through
// matmul.ts gemm()), and the classifier cases run its chunked products against the CPU backend's classifier. The LoRA
// cases run a linear's forward and backward with its LoRA term fused into the GEMM's pass (the adapter tensor a range
// of a bigger buffer, as the LoRA arena's views are), and the optimizer over an arena of odd-sized tensors against the
// CPU backend's per-tensor calls. Each report names the kernels dispatched (GpuContext.dispatches) and counts them.
// Test code only, not part of the app.

import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { VIEW_ALIGN, type MatmulInput } from "../../../src/lib/train/backend.ts";
import { WebGpuBackend } from "../../../src/lib/train/webgpu/backend.ts";
import { GpuContext, range } from "../../../src/lib/train/webgpu/context.ts";
import * as elementwise from "../../../src/lib/train/webgpu/kernels/elementwise.ts";
import * as embedding from "../../../src/lib/train/webgpu/kernels/embedding.ts";
import * as classifier from "../../../src/lib/train/webgpu/kernels/classifier.ts";
import * as matmul from "../../../src/lib/train/webgpu/kernels/matmul.ts";
import * as optim from "../../../src/lib/train/webgpu/kernels/optim.ts";
import * as rmsnorm from "../../../src/lib/train/webgpu/kernels/rmsnorm.ts";
import { hasVariants, variantText } from "../../../src/lib/train/webgpu/wgsl-variants.ts";
import dequantWgsl from "../../../src/lib/train/webgpu/kernels/dequant.wgsl?raw";
import { frozenValues, packWeight } from "../../../src/lib/train/quant.ts";
import { gemmCases, type GemmCase } from "./webgpu-gemm-cases.ts";
import { matvecCases, type MatvecCase } from "./webgpu-matvec-cases.ts";
import { randomFloats as random } from "../../fixtures/random.ts";

/** Max relative error per output, GPU errors seen (prefixed with the case), binding ranges used. */
export interface Report {
  errors: Record<string, number>;
  gpuErrors: string[];
  /** Storage bindings with an explicit offset/size seen (only recorded under forced limits). */
  ranges: { offset: number; size: number }[];
  /** Pipeline labels dispatched by the case (key and overrides), each once. */
  kernels: string[];
  /** Storage bytes the case's dispatches bound, all together (GpuContext.boundBytes). */
  bytes: number;
  /** Dispatches the case encoded. */
  dispatches: number;
}

type Arrays = Record<string, Float32Array | Int32Array>;
type Buffers = Record<string, GPUBuffer>;

interface Spec {
  /** Inputs and the initial contents of the outputs. */
  data: Arrays;
  /** Names in `data` compared after the call. */
  outputs: string[];
  /** `a` holds copies of `data`; each name is used as the type its kernel argument needs. */
  cpu(cpu: CpuBackend, a: Record<string, Float32Array> & Record<string, Int32Array>): void;
  gpu(ctx: GpuContext, b: Buffers): void;
  /** Limits forced on the context the kernels see. */
  limits?: Partial<Record<"maxStorageBufferBindingSize" | "maxComputeWorkgroupsPerDimension", number>>;
}

// --- data ---

const ints = (n: number, seed: number, max: number) => Int32Array.from(random(n, seed, 0, 1), (x) => Math.floor(x * max));
const nan = (n: number) => new Float32Array(n).fill(NaN);

// --- cases ---

interface MatmulCase { N: number; IC: number; OC: number; scale: number; seed: number }

function matmulForward(c: MatmulCase & { bias: boolean; accumulate: boolean; limit?: number }): Spec {
  const { N, IC, OC, scale, seed, accumulate } = c;
  const data: Arrays = {
    inp: random(N * IC, seed), weight: random(OC * IC, seed + 1), out: accumulate ? random(N * OC, seed + 2) : nan(N * OC),
    ...(c.bias ? { bias: random(OC, seed + 3) } : {}),
  };
  return {
    data,
    outputs: ["out"],
    cpu: (cpu, a) => cpu.matmulForward(a.out!, a.inp!, a.weight!, a.bias ?? null, N, IC, OC, { scale, accumulate }),
    gpu: (ctx, b) => matmul.forward(ctx, b.out!, b.inp!, b.weight!, b.bias ?? null, N, IC, OC, scale, accumulate),
    limits: c.limit ? { maxStorageBufferBindingSize: c.limit } : undefined,
  };
}

function matmulBackward(c: MatmulCase & { grads: ("dinp" | "dweight" | "dbias")[]; limit?: number }): Spec {
  const { N, IC, OC, scale, seed, grads } = c;
  const data: Arrays = { dout: random(N * OC, seed), inp: random(N * IC, seed + 1), weight: random(OC * IC, seed + 2) };
  const sizes = { dinp: N * IC, dweight: OC * IC, dbias: OC };
  for (const g of grads) data[g] = random(sizes[g], seed + 3 + Object.keys(sizes).indexOf(g));
  return {
    data,
    // with no gradient asked for, nothing may change
    outputs: grads.length > 0 ? grads : ["dout", "inp", "weight"],
    cpu: (cpu, a) => cpu.matmulBackward(a.dinp ?? null, a.dweight ?? null, a.dbias ?? null, a.dout!, a.inp!, a.weight!, N, IC, OC, scale),
    gpu: (ctx, b) => matmul.backward(ctx, b.dinp ?? null, b.dweight ?? null, b.dbias ?? null, b.dout!, b.inp!, b.weight!, N, IC, OC, scale),
    limits: c.limit ? { maxStorageBufferBindingSize: c.limit } : undefined,
  };
}

/** matmul.ts forward with the weight packed as c.format; the CPU multiplies by the same dequantized values. */
function matvec(c: MatvecCase): Spec {
  const { N, IC, OC, scale, seed, accumulate, format } = c;
  const w = random(OC * IC, seed + 1);
  const data: Arrays = {
    inp: random(N * IC, seed), weight: frozenValues(w, OC, IC, format), packed: new Int32Array(packWeight(w, OC, IC, format).buffer),
    out: accumulate ? random(N * OC, seed + 2) : nan(N * OC),
    ...(c.bias ? { bias: random(OC, seed + 3) } : {}),
    ...(c.input ? { aux: random(c.input === "rmsnorm" ? IC : N * IC, seed + 4) } : {}),
  };
  const limits: NonNullable<Spec["limits"]> = {};
  if (c.limit) limits.maxStorageBufferBindingSize = c.limit;
  if (c.maxGroups) limits.maxComputeWorkgroupsPerDimension = c.maxGroups;
  return {
    data,
    outputs: ["out"],
    cpu: (cpu, a) => cpu.matmulForward(a.out!, a.inp!, a.weight!, a.bias ?? null, N, IC, OC, { scale, accumulate, input: madeInput(c.input, a.aux) }),
    gpu: (ctx, b) => matmul.forward(ctx, b.out!, b.inp!, b.packed!, b.bias ?? null, N, IC, OC, scale, accumulate, format, undefined, madeInput(c.input, b.aux)),
    limits: c.limit || c.maxGroups ? limits : undefined,
  };
}

const EPS = 1e-5;
/** A case's MatmulInput, its norm weight or up being `aux`. */
function madeInput<T>(kind: MatvecCase["input"], aux: T | undefined): MatmulInput<T> | undefined {
  return kind === "rmsnorm" ? { kind, weight: aux!, eps: EPS } : kind === "swiglu" ? { kind, up: aux! } : undefined;
}

/**
 * A made input for more rows than the GEMV takes, through the backend's matmulForward: the norm or SwiGLU kernel
 * first, into a pooled buffer, then the tiled product.
 */
function madeInputTiled(kind: "rmsnorm" | "swiglu", seed: number): Spec {
  const N = 9, IC = 37, OC = 29;
  const data: Arrays = {
    inp: random(N * IC, seed), weight: random(OC * IC, seed + 1), out: nan(N * OC), bias: random(OC, seed + 2),
    aux: random(kind === "rmsnorm" ? IC : N * IC, seed + 3),
  };
  return {
    data,
    outputs: ["out"],
    cpu: (cpu, a) => cpu.matmulForward(a.out!, a.inp!, a.weight!, a.bias!, N, IC, OC, { input: madeInput(kind, a.aux) }),
    gpu: (ctx, b) => new WebGpuBackend(ctx).matmulForward(b.out!, b.inp!, b.weight!, b.bias!, N, IC, OC, { input: madeInput(kind, b.aux) }),
  };
}

/**
 * A GEMM case: the product(s) of c.product on a weight stored as c.format; the CPU multiplies by the same dequantized
 * values. With c.tile, the products are encoded through matmul.ts gemm() with those overrides, as forward / backward
 * lay them out.
 */
function gemm(c: GemmCase): Spec {
  const { N, IC, OC, scale, seed, format, product } = c;
  const w = random(OC * IC, seed + 1);
  const grads = product === "backward" ? ["dinp", "dweight", "dbias"] : product === "forward" ? [] : [product];
  const sizes: Record<string, number> = { dinp: N * IC, dweight: OC * IC, dbias: OC };
  const data: Arrays = {
    inp: random(N * IC, seed), weight: format === "f32" ? w : frozenValues(w, OC, IC, format), dout: random(N * OC, seed + 2),
    ...(format === "f32" ? {} : { packed: new Int32Array(packWeight(w, OC, IC, format).buffer) }),
    ...(product === "forward" ? { out: c.accumulate ? random(N * OC, seed + 3) : nan(N * OC) } : {}),
    ...(c.bias ? { bias: random(OC, seed + 4) } : {}),
  };
  grads.forEach((g, i) => (data[g] = random(sizes[g]!, seed + 5 + i)));
  const tile = c.tile;
  return {
    data,
    outputs: product === "forward" ? ["out"] : grads,
    cpu: (cpu, a) =>
      product === "forward"
        ? cpu.matmulForward(a.out!, a.inp!, a.weight!, a.bias ?? null, N, IC, OC, { scale, accumulate: c.accumulate })
        : cpu.matmulBackward(a.dinp ?? null, a.dweight ?? null, a.dbias ?? null, a.dout!, a.inp!, a.weight!, N, IC, OC, scale),
    gpu: (ctx, b) => {
      const weight = b.packed ?? b.weight!;
      if (!tile) {
        if (product === "forward") matmul.forward(ctx, b.out!, b.inp!, weight, b.bias ?? null, N, IC, OC, scale, c.accumulate ?? false, format);
        else matmul.backward(ctx, b.dinp ?? null, b.dweight ?? null, b.dbias ?? null, b.dout!, b.inp!, weight, N, IC, OC, scale, format);
        return;
      }
      const bFormat = format;
      if (product === "forward") {
        const q = { a: b.inp!, aT: false, lda: IC, b: weight, bT: true, bFormat, y: b.out!, ldy: OC, bias: b.bias, alpha: scale };
        matmul.gemm(ctx, { M: N, P: OC, K: IC, ...q, accumulate: c.accumulate ?? false }, tile);
      }
      if (b.dinp) matmul.gemm(ctx, { M: N, P: IC, K: OC, a: b.dout!, aT: false, lda: OC, b: weight, bT: false, bFormat, y: b.dinp, ldy: IC, alpha: scale, accumulate: true }, tile);
      if (b.dweight) matmul.gemm(ctx, { M: OC, P: IC, K: N, a: b.dout!, aT: true, lda: OC, b: b.inp!, bT: false, y: b.dweight, ldy: IC, alpha: scale, accumulate: true }, tile);
    },
    limits: c.limit ? { maxStorageBufferBindingSize: c.limit } : undefined,
  };
}

/**
 * The fused lm_head + cross-entropy (classifier.ts) forward then backward, in vocabulary chunks of `chunk` rows, against
 * the CPU backend's: each side's backward uses its own forward's lse. Every fourth row has no target.
 */
function classifierCase(N: number, C: number, V: number, chunk: number, withDwte: boolean, seed: number): Spec {
  const targets = Int32Array.from(ints(N, seed + 2, V), (t, n) => (n % 4 === 0 ? -1 : n === 1 ? V - 1 : t));
  const dloss = 1 / targets.filter((t) => t >= 0).length;
  const data: Arrays = {
    h: random(N * C, seed), wte: random(V * C, seed + 1, -0.5, 0.5), targets, losses: nan(N), lse: nan(N), dh: random(N * C, seed + 3),
    ...(withDwte ? { dwte: random(V * C, seed + 4) } : {}),
  };
  return {
    data,
    outputs: withDwte ? ["losses", "lse", "dh", "dwte"] : ["losses", "lse", "dh"],
    cpu: (cpu, a) => {
      cpu.classifierForward(a.losses!, a.lse!, a.h!, a.wte!, a.targets!, N, C, V);
      cpu.classifierBackward(a.dh!, a.dwte ?? null, a.h!, a.wte!, a.targets!, a.lse!, dloss, N, C, V);
    },
    gpu: (ctx, b) => {
      classifier.forward(ctx, b.losses!, b.lse!, b.h!, b.wte!, b.targets!, N, C, V, chunk);
      classifier.backward(ctx, b.dh!, b.dwte ?? null, b.h!, b.wte!, b.targets!, b.lse!, dloss, N, C, V, chunk);
    },
  };
}

function embeddingForward(N: number, C: number, V: number, seed: number): Spec {
  return {
    data: { ids: ints(N, seed, V), wte: random(V * C, seed + 1), out: nan(N * C) },
    outputs: ["out"],
    cpu: (cpu, a) => cpu.embeddingForward(a.out!, a.ids!, a.wte!, N, C),
    gpu: (ctx, b) => embedding.forward(ctx, b.out!, b.ids!, b.wte!, N, C),
  };
}

function embeddingBackward(N: number, C: number, V: number, seed: number): Spec {
  // ids mostly from a few rows, so most of them repeat, with the last row of the vocabulary in between
  const ids = Int32Array.from(ints(N, seed, 4), (x, i) => (i % 7 === 3 ? V - 1 : x));
  return {
    data: { ids, dout: random(N * C, seed + 1), dwte: random(V * C, seed + 2) },
    outputs: ["dwte"],
    cpu: (cpu, a) => cpu.embeddingBackward(a.dwte!, a.dout!, a.ids!, N, C),
    gpu: (ctx, b) => embedding.backward(ctx, b.dwte!, b.dout!, b.ids!, N, C),
  };
}

function rmsnormForward(N: number, C: number, seed: number): Spec {
  const eps = 1e-5;
  return {
    data: { inp: random(N * C, seed, -2, 2), weight: random(C, seed + 1, 0.5, 1.5), out: nan(N * C), rstd: nan(N) },
    outputs: ["out", "rstd"],
    cpu: (cpu, a) => cpu.rmsnormForward(a.out!, a.rstd!, a.inp!, a.weight!, N, C, eps),
    gpu: (ctx, b) => rmsnorm.forward(ctx, b.out!, b.rstd!, b.inp!, b.weight!, N, C, eps),
  };
}

function rmsnormBackward(N: number, C: number, seed: number, withDweight: boolean): Spec {
  const inp = random(N * C, seed, -2, 2);
  const rstd = Float32Array.from({ length: N }, (_, n) => {
    let ss = 0;
    for (let i = 0; i < C; i++) ss += inp[n * C + i]! ** 2;
    return 1 / Math.sqrt(ss / C + 1e-5);
  });
  const data: Arrays = { inp, rstd, weight: random(C, seed + 1, 0.5, 1.5), dout: random(N * C, seed + 2), dinp: random(N * C, seed + 3) };
  if (withDweight) data.dweight = random(C, seed + 4);
  return {
    data,
    outputs: withDweight ? ["dinp", "dweight"] : ["dinp"],
    cpu: (cpu, a) => cpu.rmsnormBackward(a.dinp!, a.dweight ?? null, a.dout!, a.inp!, a.weight!, a.rstd!, N, C),
    gpu: (ctx, b) => rmsnorm.backward(ctx, b.dinp!, b.dweight ?? null, b.dout!, b.inp!, b.weight!, b.rstd!, N, C),
  };
}

function swiglu(n: number, seed: number): Spec {
  return {
    data: {
      gate: random(n, seed, -8, 8), up: random(n, seed + 1, -2, 2), dout: random(n, seed + 2),
      out: nan(n), dgate: random(n, seed + 3), dup: random(n, seed + 4),
    },
    outputs: ["out", "dgate", "dup"],
    cpu: (cpu, a) => {
      cpu.swigluForward(a.out!, a.gate!, a.up!, n);
      cpu.swigluBackward(a.dgate!, a.dup!, a.dout!, a.gate!, a.up!, n);
    },
    gpu: (ctx, b) => {
      elementwise.swigluForward(ctx, b.out!, b.gate!, b.up!, n);
      elementwise.swigluBackward(ctx, b.dgate!, b.dup!, b.dout!, b.gate!, b.up!, n);
    },
  };
}

function addAndScale(n: number, s: number, seed: number): Spec {
  return {
    data: { a: random(n, seed), b: random(n, seed + 1), c: random(n, seed + 2, -3, 3) },
    outputs: ["a", "c"],
    cpu: (cpu, a) => {
      cpu.addInPlace(a.a!, a.b!, n);
      cpu.scale(a.c!, n, s);
    },
    gpu: (ctx, b) => {
      elementwise.addInPlace(ctx, b.a!, b.b!, n);
      elementwise.scale(ctx, b.c!, n, s);
    },
  };
}

function adamw(n: number, seed: number): Spec {
  const p = { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, t: 3 };
  return {
    data: { param: random(n, seed), grad: random(n, seed + 1), m: random(n, seed + 2, -0.1, 0.1), v: random(n, seed + 3, 0, 0.01) },
    outputs: ["param", "m", "v"],
    cpu: (cpu, a) => cpu.adamw(a.param!, a.grad!, a.m!, a.v!, n, p),
    gpu: (ctx, b) => optim.adamw(ctx, b.param!, b.grad!, b.m!, b.v!, n, p),
  };
}

function sumSquares(seed: number): Spec {
  // a buffer of more than 256 workgroups' worth (the partials cap: threads then stride), one summed only in part,
  // one empty; `out` starts as NaN and a first call writes it before the one compared (overwrite, not +=)
  const sizes = { a: [1000, 1000], b: [70001, 70001], c: [50, 33], d: [16, 0] } as const;
  const data: Arrays = { out: nan(1) };
  Object.entries(sizes).forEach(([k, [len]], i) => (data[k] = random(len, seed + i)));
  const list = <T>(b: Record<string, T>) => Object.entries(sizes).map(([k, [, n]]) => [b[k]!, n] as const);
  return {
    data,
    outputs: ["out"],
    cpu: (cpu, a) => cpu.sumSquares(a.out!, list(a)),
    gpu: (ctx, b) => {
      optim.sumSquares(ctx, b.out!, [[b.a!, 1000]]);
      optim.sumSquares(ctx, b.out!, list(b));
    },
  };
}

/** Several 1-D kernels with at most 3 workgroups per dimension: 4 to 9 workgroups become 2-D grids with overshoot. */
function grids(seed: number): Spec {
  // workgroups: 8 (3x3), 7 rows (3x3), 6 (3x2), 4 (3x2)
  const specs = [swiglu(2000, seed), rmsnormForward(7, 37, seed + 10), embeddingForward(11, 33, 50, seed + 20), adamw(1001, seed + 30)];
  const data: Arrays = {};
  specs.forEach((s, i) => Object.entries(s.data).forEach(([k, v]) => (data[`${i}.${k}`] = v)));
  const part = <T>(b: Record<string, T>, i: number) =>
    Object.fromEntries(Object.entries(b).filter(([k]) => k.startsWith(`${i}.`)).map(([k, v]) => [k.slice(k.indexOf(".") + 1), v]));
  return {
    data,
    outputs: specs.flatMap((s, i) => s.outputs.map((o) => `${i}.${o}`)),
    cpu: (cpu, a) => specs.forEach((s, i) => s.cpu(cpu, part(a, i) as Parameters<Spec["cpu"]>[1])),
    gpu: (ctx, b) => specs.forEach((s, i) => s.gpu(ctx, part(b, i))),
    limits: { maxComputeWorkgroupsPerDimension: 3 },
  };
}

/**
 * A LoRA linear on matmul.ts (MatmulOptions.lora / matmulBackward's lora): forward out += scale * inp @ W^T + bias +
 * ls * h @ B^T; backward dinp (+ dweight, dbias) += ..., dinp += dh @ A. The adapter tensor (B, or A) sits at value
 * VIEW_ALIGN of a bigger buffer, bound as a range on the GPU and a view on the CPU, as attachLora's arena holds it.
 */
function loraLinear(c: MatmulCase & { R: number; product: "forward" | "backward"; limit?: number }): Spec {
  const { N, IC, OC, R, scale, seed } = c;
  const ls = 1.9;
  const nAd = c.product === "forward" ? OC * R : R * IC;
  const arena = new Float32Array(VIEW_ALIGN + nAd + 7);
  arena.set(random(nAd, seed + 9), VIEW_ALIGN);
  const data: Arrays = c.product === "forward"
    ? { inp: random(N * IC, seed), weight: random(OC * IC, seed + 1), bias: random(OC, seed + 2), h: random(N * R, seed + 3), arena, out: random(N * OC, seed + 4) }
    : {
      dout: random(N * OC, seed), inp: random(N * IC, seed + 1), weight: random(OC * IC, seed + 2), dh: random(N * R, seed + 3), arena,
      dinp: random(N * IC, seed + 4), dweight: random(OC * IC, seed + 5), dbias: random(OC, seed + 6),
    };
  const limits = c.limit ? { maxStorageBufferBindingSize: c.limit } : undefined;
  if (c.product === "forward") {
    return {
      data,
      outputs: ["out"],
      cpu: (cpu, a) => cpu.matmulForward(a.out!, a.inp!, a.weight!, a.bias!, N, IC, OC, {
        scale, accumulate: true, lora: { h: a.h!, B: cpu.view(a.arena!, VIEW_ALIGN, nAd), R, scale: ls },
      }),
      gpu: (ctx, b) => matmul.forward(ctx, b.out!, b.inp!, b.weight!, b.bias!, N, IC, OC, scale, true, "f32", {
        h: b.h!, B: range(b.arena!, VIEW_ALIGN * 4, nAd * 4), R, scale: ls,
      }),
      limits,
    };
  }
  return {
    data,
    outputs: ["dinp", "dweight", "dbias"],
    cpu: (cpu, a) => cpu.matmulBackward(a.dinp!, a.dweight!, a.dbias!, a.dout!, a.inp!, a.weight!, N, IC, OC, scale, {
      dh: a.dh!, A: cpu.view(a.arena!, VIEW_ALIGN, nAd), R,
    }),
    gpu: (ctx, b) => matmul.backward(ctx, b.dinp!, b.dweight!, b.dbias!, b.dout!, b.inp!, b.weight!, N, IC, OC, scale, "f32", {
      dh: b.dh!, A: range(b.arena!, VIEW_ALIGN * 4, nAd * 4), R,
    }),
    limits,
  };
}

/**
 * gemm() with a second product on a non-default tile, in the dweight layout (A transposed): Y (OC,IC) += alpha *
 * dout^T @ inp + alpha2 * A2 (OC,K2) @ B2 (K2,IC), B2 not transposed; the CPU adds the two products one after the other.
 */
function gemmPlus(seed: number): Spec {
  const [N, IC, OC, K2] = [23, 29, 37, 7];
  const [alpha, alpha2] = [0.8, -0.6];
  const tile = { TILE_M: 8, TILE_N: 32, TILE_K: 32 };
  return {
    data: { dout: random(N * OC, seed), inp: random(N * IC, seed + 1), a2: random(OC * K2, seed + 2), b2: random(K2 * IC, seed + 3), y: random(OC * IC, seed + 4) },
    outputs: ["y"],
    cpu: (cpu, a) => {
      cpu.matmulBackward(null, a.y!, null, a.dout!, a.inp!, a.y!, N, IC, OC, alpha);
      cpu.matmulBackward(a.y!, null, null, a.a2!, a.inp!, a.b2!, OC, IC, K2, alpha2);
    },
    gpu: (ctx, b) => matmul.gemm(ctx, {
      M: OC, P: IC, K: N, a: b.dout!, aT: true, lda: OC, b: b.inp!, bT: false, y: b.y!, ldy: IC, alpha, accumulate: true,
      plus: { a: b.a2!, b: b.b2!, K: K2, bT: false, alpha: alpha2 },
    }, tile),
  };
}

/**
 * The optimizer over an arena (trainer.ts spans): odd-sized tensors at multiples of VIEW_ALIGN of one buffer, zero
 * between them. The GPU runs sumSquares, scale and adamw once over the whole arena; the CPU once per tensor (views).
 * The gaps must stay zero.
 */
function optimizerArena(seed: number): Spec {
  const sizes = [37, 1, 130, 64, 5];
  const offsets: number[] = [];
  let n = 0;
  for (const sz of sizes) {
    offsets.push(n);
    n += Math.ceil(sz / VIEW_ALIGN) * VIEW_ALIGN;
  }
  const arena = (s: number, lo: number, hi: number) => {
    const a = new Float32Array(n);
    sizes.forEach((sz, i) => a.set(random(sz, s + i, lo, hi), offsets[i]!));
    return a;
  };
  const p = { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, t: 3 };
  const s = 0.37;
  return {
    data: { param: arena(seed, -1, 1), grad: arena(seed + 10, -1, 1), m: arena(seed + 20, -0.1, 0.1), v: arena(seed + 30, 0, 0.01), norm: nan(1) },
    outputs: ["param", "grad", "m", "v", "norm"],
    cpu: (cpu, a) => {
      const t = sizes.map((sz, i) => Object.fromEntries((["param", "grad", "m", "v"] as const).map((k) => [k, cpu.view(a[k]!, offsets[i]!, sz)])));
      cpu.sumSquares(a.norm!, t.map((x, i) => [x.grad!, sizes[i]!] as const));
      t.forEach((x, i) => {
        cpu.scale(x.grad!, sizes[i]!, s);
        cpu.adamw(x.param!, x.grad!, x.m!, x.v!, sizes[i]!, p);
      });
    },
    gpu: (ctx, b) => {
      optim.sumSquares(ctx, b.norm!, [[b.grad!, n]]);
      elementwise.scale(ctx, b.grad!, n, s);
      optim.adamw(ctx, b.param!, b.grad!, b.m!, b.v!, n, p);
    },
  };
}

const odd = { N: 7, IC: 33, OC: 37 };

export const cases = {
  "matmulForward: odd sizes, bias": () => matmulForward({ ...odd, scale: 1, seed: 1, bias: true, accumulate: false }),
  "matmulForward: scale, no bias, accumulate": () => matmulForward({ ...odd, scale: 0.37, seed: 2, bias: false, accumulate: true }),
  "matmulForward: bias, scale, accumulate, several tiles": () =>
    matmulForward({ N: 37, IC: 50, OC: 45, scale: 1.7, seed: 3, bias: true, accumulate: true }),
  "matmulForward: one row (decoding)": () => matmulForward({ N: 1, IC: 64, OC: 300, scale: 1, seed: 4, bias: false, accumulate: false }),
  // IC = 33: a range must start at a multiple of 64 rows for a 256-byte aligned offset; 64 rows fit the limit
  "matmulForward: weight split into binding ranges (IC 33)": () =>
    matmulForward({ N: 5, IC: 33, OC: 200, scale: 0.5, seed: 5, bias: true, accumulate: true, limit: 64 * 33 * 4 + 100 }),
  // IC = 64: every row offset is aligned; 3 rows fit the limit
  "matmulForward: weight split into binding ranges (IC 64)": () =>
    matmulForward({ N: 3, IC: 64, OC: 37, scale: 1, seed: 6, bias: false, accumulate: false, limit: 1000 }),
  "matmulForward: tiled, weight split into binding ranges (IC 33)": () =>
    matmulForward({ N: 9, IC: 33, OC: 200, scale: 0.5, seed: 7, bias: true, accumulate: true, limit: 64 * 33 * 4 + 100 }),
  "matmulBackward: dinp, dweight, dbias": () => matmulBackward({ ...odd, scale: 0.7, seed: 10, grads: ["dinp", "dweight", "dbias"] }),
  "matmulBackward: dinp": () => matmulBackward({ ...odd, scale: 0.7, seed: 11, grads: ["dinp"] }),
  "matmulBackward: dweight": () => matmulBackward({ ...odd, scale: 0.7, seed: 12, grads: ["dweight"] }),
  "matmulBackward: dbias": () => matmulBackward({ ...odd, scale: 0.7, seed: 13, grads: ["dbias"] }),
  "matmulBackward: dinp, dweight": () => matmulBackward({ ...odd, scale: 1.3, seed: 14, grads: ["dinp", "dweight"] }),
  "matmulBackward: dinp, dbias": () => matmulBackward({ ...odd, scale: 1.3, seed: 15, grads: ["dinp", "dbias"] }),
  "matmulBackward: dweight, dbias": () => matmulBackward({ ...odd, scale: 1.3, seed: 16, grads: ["dweight", "dbias"] }),
  "matmulBackward: no gradients": () => matmulBackward({ ...odd, scale: 1, seed: 17, grads: [] }),
  "matmulBackward: several tiles": () => matmulBackward({ N: 40, IC: 35, OC: 50, scale: 1, seed: 18, grads: ["dinp", "dweight", "dbias"] }),
  "matmulBackward: weight split into binding ranges (IC 33)": () =>
    matmulBackward({ N: 5, IC: 33, OC: 200, scale: 0.5, seed: 19, grads: ["dinp", "dweight", "dbias"], limit: 64 * 33 * 4 + 100 }),
  "matmulBackward: weight split into binding ranges (IC 64)": () =>
    matmulBackward({ N: 3, IC: 64, OC: 37, scale: 2, seed: 20, grads: ["dinp", "dweight"], limit: 1000 }),
  "embeddingForward": () => embeddingForward(29, 33, 50, 30),
  "embeddingBackward: repeated ids": () => embeddingBackward(29, 37, 11, 31),
  "embeddingBackward: more channels than a workgroup": () => embeddingBackward(23, 70, 9, 32),
  "rmsnormForward": () => rmsnormForward(7, 37, 40),
  "rmsnormForward: more channels than a workgroup": () => rmsnormForward(5, 300, 41),
  "rmsnormBackward": () => rmsnormBackward(7, 37, 42, true),
  "rmsnormBackward: no dweight": () => rmsnormBackward(7, 37, 43, false),
  "rmsnormBackward: more channels than a workgroup": () => rmsnormBackward(5, 300, 44, true),
  "swiglu forward and backward": () => swiglu(1000, 50),
  "addInPlace and scale": () => addAndScale(1001, -0.37, 51),
  "adamw": () => adamw(1001, 60),
  "sumSquares": () => sumSquares(61),
  "2-D workgroup grids": () => grids(70),
  "LoRA forward: the up-projection in the GEMM's pass, odd sizes": () =>
    loraLinear({ N: 37, IC: 29, OC: 53, R: 3, scale: 0.7, seed: 80, product: "forward" }),
  "LoRA forward: a few rows (GEMV, then the LoRA product)": () => loraLinear({ N: 5, IC: 29, OC: 53, R: 3, scale: 0.7, seed: 81, product: "forward" }),
  "LoRA forward: tiled, weight split into binding ranges (IC 33)": () =>
    loraLinear({ N: 9, IC: 33, OC: 200, R: 5, scale: 0.5, seed: 82, product: "forward", limit: 64 * 33 * 4 + 100 }),
  "LoRA backward: the input gradient in dinp's pass, odd sizes": () =>
    loraLinear({ N: 37, IC: 29, OC: 53, R: 5, scale: 1.3, seed: 83, product: "backward" }),
  "LoRA backward: weight split into binding ranges (IC 33)": () =>
    loraLinear({ N: 5, IC: 33, OC: 200, R: 5, scale: 0.5, seed: 84, product: "backward", limit: 64 * 33 * 4 + 100 }),
  "gemm: a second product, A transposed, B2 not, small tile": () => gemmPlus(85),
  "optimizer over an arena: sumSquares, scale, adamw once vs per tensor": () => optimizerArena(86),
  ...Object.fromEntries(Object.entries(matvecCases).map(([name, c]) => [name, () => matvec(c)])),
  "made input, 9 rows: RMSNorm, then the tiled product": () => madeInputTiled("rmsnorm", 320),
  "made input, 9 rows: SwiGLU, then the tiled product": () => madeInputTiled("swiglu", 330),
  ...Object.fromEntries(Object.entries(gemmCases).map(([name, c]) => [name, () => gemm(c)])),
  // C 29: chunks must be multiples of 64 rows (aligned offsets): 64, 64, 22; C 64: any row count, chunks of 16: 16 x 3, 5
  "classifier: 3 chunks, odd C 29 (V 150), dwte": () => classifierCase(37, 29, 150, 64, true, 300),
  "classifier: 4 chunks, aligned C 64 (V 53), no dwte": () => classifierCase(37, 64, 53, 16, false, 310),
} satisfies Record<string, () => Spec>;

export type CaseName = keyof typeof cases;

// --- running ---

const contexts = new Map<boolean, Promise<GpuContext>>();
const uncaptured: string[] = [];
/** The device as the backend opens it (subgroups where offered), or with its kernels kept off subgroups. */
function gpu(subgroups = true): Promise<GpuContext> {
  let ctx = contexts.get(subgroups);
  if (!ctx) {
    ctx = GpuContext.create(undefined, { subgroups }).then((ctx) => {
      ctx.device.addEventListener("uncapturederror", (e) => uncaptured.push((e as GPUUncapturedErrorEvent).error.message));
      return ctx;
    });
    contexts.set(subgroups, ctx);
  }
  return ctx;
}

/**
 * `ctx` as the kernels see it with `limits` forced (GpuContext reads its limits through `this.limits`), recording every
 * bind group entry given an explicit offset or size.
 */
function limited(ctx: GpuContext, limits: NonNullable<Spec["limits"]>, ranges: Report["ranges"]): GpuContext {
  const lim = new Proxy(ctx.limits, { get: (t, k) => (k in limits ? limits[k as keyof typeof limits] : Reflect.get(t, k)) });
  const device = new Proxy(ctx.device, {
    get(t, k) {
      if (k === "createBindGroup") {
        return (d: GPUBindGroupDescriptor) => {
          for (const e of d.entries) {
            const r = e.resource as GPUBufferBinding;
            if (r.offset !== undefined || r.size !== undefined) ranges.push({ offset: r.offset ?? 0, size: r.size ?? r.buffer.size });
          }
          return t.createBindGroup(d);
        };
      }
      const v = Reflect.get(t, k);
      return typeof v === "function" ? v.bind(t) : v;
    },
  });
  return new Proxy(ctx, { get: (t, k, r) => (k === "limits" ? lim : k === "device" ? device : Reflect.get(t, k, r)) });
}

function maxRel(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (got.length !== ref.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

async function run(name: CaseName, subgroups = true): Promise<Report> {
  const ctx = await gpu(subgroups);
  const spec = cases[name]();
  const ref = Object.fromEntries(Object.entries(spec.data).map(([k, v]) => [k, v.slice()]));
  spec.cpu(new CpuBackend(), ref as Parameters<Spec["cpu"]>[1]);

  const bufs: Buffers = {};
  for (const [k, v] of Object.entries(spec.data)) {
    bufs[k] = ctx.buffer(v.byteLength, `${name}:${k}`);
    ctx.write(bufs[k], v);
  }
  const ranges: Report["ranges"] = [];
  const gpuErrors: string[] = [];
  const before = new Map(ctx.dispatches);
  const bytesBefore = [...ctx.boundBytes.values()].reduce((a, b) => a + b, 0);
  ctx.device.pushErrorScope("internal");
  ctx.device.pushErrorScope("validation");
  try {
    spec.gpu(spec.limits ? limited(ctx, spec.limits, ranges) : ctx, bufs);
  } catch (e) {
    gpuErrors.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
  ctx.flush();
  for (const scope of ["validation", "internal"]) {
    const err = await ctx.device.popErrorScope();
    if (err) gpuErrors.push(`${name} (${scope}): ${err.message}`);
  }
  const errors: Record<string, number> = {};
  for (const o of spec.outputs) {
    const n = spec.data[o]!.length;
    errors[o] = maxRel(new Float32Array(await ctx.read(bufs[o]!, n * 4)), ref[o]!);
  }
  for (const b of Object.values(bufs)) ctx.release(b);
  await ctx.device.queue.onSubmittedWorkDone();
  gpuErrors.push(...uncaptured.splice(0).map((m) => `${name} (uncaptured): ${m}`));
  const kernels = [...ctx.dispatches].filter(([k, n]) => n !== (before.get(k) ?? 0)).map(([k]) => k);
  const dispatches = [...ctx.dispatches].reduce((a, [k, n]) => a + n - (before.get(k) ?? 0), 0);
  const bytes = [...ctx.boundBytes.values()].reduce((a, b) => a + b, 0) - bytesBefore;
  return { errors, gpuErrors, ranges, kernels, bytes, dispatches };
}

/** Compiles each kernel file (as its driver compiles it) and returns its WGSL errors and warnings as "file:line:col message". */
async function compile(): Promise<string[]> {
  const ctx = await gpu();
  const files = {
    "elementwise.wgsl": elementwise.ELEMENTWISE_WGSL, "embedding.wgsl": embedding.EMBEDDING_WGSL, "dequant.wgsl": dequantWgsl,
    "dequant.wgsl + matmul.wgsl": matmul.MATMUL_WGSL, "dequant.wgsl + matvec.wgsl": matmul.MATVEC_WGSL,
    "optim.wgsl": optim.OPTIM_WGSL, "rmsnorm.wgsl": rmsnorm.RMSNORM_WGSL,
    "classifier_forward.wgsl": classifier.CLASSIFIER_FORWARD_WGSL, "classifier_backward.wgsl": classifier.CLASSIFIER_BACKWARD_WGSL,
  };
  const out: string[] = [];
  // each file as each device variant compiles it (the subgroup one where this adapter has subgroups)
  const variants = [{ SUBGROUPS: false }, ...(ctx.subgroups ? [{ SUBGROUPS: true }] : [])];
  for (const [file, code] of Object.entries(files)) {
    for (const variant of hasVariants(code) ? variants : [variants[0]!]) {
      const label = `${file}${variant.SUBGROUPS ? " (subgroups)" : ""}`;
      const info = await ctx.device.createShaderModule({ code: variantText(code, variant, file), label }).getCompilationInfo();
      for (const m of info.messages) out.push(`${label}:${m.lineNum}:${m.linePos} ${m.type}: ${m.message}`);
    }
  }
  return out;
}

const api = {
  names: () => Object.keys(cases), run, compile, adapter: async () => (await gpu()).adapter.info.architecture,
  /** Whether the backend's device runs the subgroup variants here. */
  subgroups: async () => (await gpu()).subgroups,
};

declare global {
  interface Window {
    gpuKernels: typeof api;
  }
}
window.gpuKernels = api;
