// webgpu-ssm.ts — e2e harness: runs the WebGPU backend's Mamba kernels (copyColumns, conv1dForward/Backward,
// scanForward/Backward; src/lib/train/webgpu/kernels/ssm.ts) and the CPU reference kernels (src/lib/train/cpu, in
// float64) on the same seeded random inputs and returns, per output, the largest relative error
// |gpu - ref| / max(1, |ref|) (Infinity for NaN) and the largest absolute one, for webgpu-ssm.test.ts. Outputs of
// overwriting kernels start as NaN; gradients start random, so the accumulation is checked. The state cases run the
// GPU in two pieces and the reference in one. Test code only, not part of the app.

import { SCAN_CHUNK, scanChunks, type ScanDims } from "../../../src/lib/train/backend.ts";
import { conv1dBackward, conv1dForward } from "../../../src/lib/train/cpu/conv1d.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { scanBackward, scanForward } from "../../../src/lib/train/cpu/scan.ts";
import { WebGpuBackend } from "../../../src/lib/train/webgpu/backend.ts";
import { CONV1D_WGSL, COPY_COLUMNS_WGSL, scanSources } from "../../../src/lib/train/webgpu/kernels/ssm.ts";
import { randomFloats as random } from "../../fixtures/random.ts";

/** Per output: max relative error, max absolute error; GPU errors seen (prefixed with the case). */
export interface Report {
  errors: Record<string, number>;
  abs: Record<string, number>;
  gpuErrors: string[];
}

type Arrays = Record<string, Float32Array>;
type Buffers = Record<string, GPUBuffer>;

interface Spec {
  /** Inputs and the initial contents of the outputs (the GPU buffers are uploads of these). */
  data: Arrays;
  /** Names in `data` compared after the call. */
  outputs: string[];
  /** The reference: `a` holds float64 copies of `data`; the outputs' entries must end as the expected values. */
  cpu(a: Record<string, Float64Array>): void;
  gpu(be: WebGpuBackend, b: Buffers): void;
}

// --- data ---

const nan = (n: number) => new Float32Array(n).fill(NaN);

// --- copyColumns ---

function copyColumns(accumulate: boolean, seed: number): Spec {
  const [N, srcStride, srcCol, dstStride, dstCol, width] = [7, 13, 3, 9, 2, 5];
  return {
    // columns outside the block must come back unchanged, so dst starts random either way
    data: { src: random(N * srcStride, seed), dst: random(N * dstStride, seed + 1) },
    outputs: ["dst"],
    cpu: (a) => new CpuBackend().copyColumns(a.dst! as unknown as Float32Array, a.src! as unknown as Float32Array, N, width, dstStride, dstCol, srcStride, srcCol, accumulate),
    gpu: (be, b) => be.copyColumns(b.dst!, b.src!, N, width, dstStride, dstCol, srcStride, srcCol, accumulate),
  };
}

// --- conv1d ---

interface ConvCase { B: number; T: number; DI: number; K: number; bias: boolean; seed: number }

function convInputs({ B, T, DI, K, seed }: ConvCase): Arrays {
  return { x: random(B * T * DI, seed), weight: random(DI * K, seed + 1), bias: random(DI, seed + 2) };
}

function conv1dFwd(c: ConvCase): Spec {
  const { B, T, DI, K, bias } = c;
  return {
    data: { ...convInputs(c), out: nan(B * T * DI) },
    outputs: ["out"],
    cpu: (a) => conv1dForward(a.out!, a.x!, a.weight!, bias ? a.bias! : null, B, T, DI, K, null),
    gpu: (be, b) => be.conv1dForward(b.out!, b.x!, b.weight!, bias ? b.bias! : null, B, T, DI, K),
  };
}

/** B = 1 in two pieces of T1 and T2 steps through one state, against one run of T1 + T2 from the same state. */
function conv1dState(c: ConvCase & { T1: number; zeroState: boolean }): Spec {
  const { T, DI, K, T1, bias, zeroState } = c;
  const T2 = T - T1;
  const x = random(T * DI, c.seed);
  const { weight, bias: b0 } = convInputs(c);
  const state = zeroState ? new Float32Array((K - 1) * DI) : random((K - 1) * DI, c.seed + 3);
  return {
    data: {
      x, x1: x.slice(0, T1 * DI), x2: x.slice(T1 * DI), weight: weight!, bias: b0!, state,
      out1: nan(T1 * DI), out2: nan(T2 * DI),
    },
    outputs: ["out1", "out2", "state"],
    cpu: (a) => {
      const out = new Float64Array(T * DI);
      conv1dForward(out, a.x!, a.weight!, bias ? a.bias! : null, 1, T, DI, K, a.state!); // a.state: the final state
      // from zero state the pieces must equal the training run (no state) too: that is the reference then
      if (zeroState) conv1dForward(out, a.x!, a.weight!, bias ? a.bias! : null, 1, T, DI, K, null);
      a.out1!.set(out.subarray(0, T1 * DI));
      a.out2!.set(out.subarray(T1 * DI));
    },
    gpu: (be, b) => {
      be.conv1dForward(b.out1!, b.x1!, b.weight!, bias ? b.bias! : null, 1, T1, DI, K, b.state!);
      be.conv1dForward(b.out2!, b.x2!, b.weight!, bias ? b.bias! : null, 1, T2, DI, K, b.state!);
    },
  };
}

function conv1dBwd(c: ConvCase & { grads: ("dx" | "dweight" | "dbias")[] }): Spec {
  const { B, T, DI, K, bias, grads, seed } = c;
  const n = B * T * DI;
  const all = { dx: random(n, seed + 10), dweight: random(DI * K, seed + 11), dbias: random(DI, seed + 12) };
  return {
    data: { ...convInputs(c), dout: random(n, seed + 13), ...Object.fromEntries(grads.map((g) => [g, all[g]])) },
    outputs: grads,
    cpu: (a) => conv1dBackward(a.dx ?? null, a.dweight ?? null, a.dbias ?? null, a.dout!, a.x!, a.weight!, bias ? a.bias! : null, B, T, DI, K),
    gpu: (be, b) => be.conv1dBackward(b.dx ?? null, b.dweight ?? null, b.dbias ?? null, b.dout!, b.x!, b.weight!, bias ? b.bias! : null, B, T, DI, K),
  };
}

// --- scan ---

function scanInputs(d: ScanDims, seed: number): Arrays {
  const { B, T, DI, DS } = d;
  const dt = random(B * T * DI, seed + 1, -3, 1);
  dt[0] = 25; // softplus: x itself above 20
  dt[1] = -30; // a tiny delta: log1p
  // Mamba's initialisation, A = -(s + 1), plus noise
  const Alog = Float32Array.from(random(DI * DS, seed + 2, -0.1, 0.1), (v, i) => v + Math.log((i % DS) + 1));
  return {
    u: random(B * T * DI, seed), dt, Alog, Bm: random(B * T * DS, seed + 3), Cm: random(B * T * DS, seed + 4), D: random(DI, seed + 5),
  };
}

function scanFwd(d: ScanDims, withHs: boolean, seed: number): Spec {
  const { B, T, DI, DS } = d;
  const nHs = B * scanChunks(T) * DI * DS;
  return {
    data: { ...scanInputs(d, seed), y: nan(B * T * DI), ...(withHs ? { hs: nan(nHs) } : {}) },
    outputs: withHs ? ["y", "hs"] : ["y"],
    cpu: (a) => scanForward(a.y!, a.hs ?? null, a.u!, a.dt!, a.Alog!, a.Bm!, a.Cm!, a.D!, d, null),
    gpu: (be, b) => be.scanForward(b.y!, b.hs ?? null, b.u!, b.dt!, b.Alog!, b.Bm!, b.Cm!, b.D!, d),
  };
}

/**
 * B = 1 from a random state: one GPU run of T with hs (y, hs, stateOne), and two GPU pieces of T1 and T - T1 without
 * (y1, y2, state), against one reference run.
 */
function scanState(T: number, T1: number, DI: number, DS: number, seed: number): Spec {
  const d: ScanDims = { B: 1, T, DI, DS };
  const inp = scanInputs(d, seed);
  const T2 = T - T1;
  const cut = (a: Float32Array, w: number) => [a.slice(0, T1 * w), a.slice(T1 * w)] as const;
  const [u1, u2] = cut(inp.u!, DI);
  const [dt1, dt2] = cut(inp.dt!, DI);
  const [B1, B2] = cut(inp.Bm!, DS);
  const [C1, C2] = cut(inp.Cm!, DS);
  const state = random(DI * DS, seed + 6);
  return {
    data: {
      ...inp, u1, u2, dt1, dt2, B1, B2, C1, C2, state, stateOne: state.slice(),
      y: nan(T * DI), hs: nan(scanChunks(T) * DI * DS), y1: nan(T1 * DI), y2: nan(T2 * DI),
    },
    outputs: ["y", "hs", "stateOne", "y1", "y2", "state"],
    cpu: (a) => {
      scanForward(a.y!, a.hs!, a.u!, a.dt!, a.Alog!, a.Bm!, a.Cm!, a.D!, d, a.stateOne!);
      a.y1!.set(a.y!.subarray(0, T1 * DI));
      a.y2!.set(a.y!.subarray(T1 * DI));
      a.state!.set(a.stateOne!);
    },
    gpu: (be, b) => {
      be.scanForward(b.y!, b.hs!, b.u!, b.dt!, b.Alog!, b.Bm!, b.Cm!, b.D!, d, b.stateOne!);
      be.scanForward(b.y1!, null, b.u1!, b.dt1!, b.Alog!, b.B1!, b.C1!, b.D!, { ...d, T: T1 }, b.state!);
      be.scanForward(b.y2!, null, b.u2!, b.dt2!, b.Alog!, b.B2!, b.C2!, b.D!, { ...d, T: T2 }, b.state!);
    },
  };
}

function scanBwd(d: ScanDims, params: boolean, seed: number): Spec {
  const { B, T, DI, DS } = d;
  const inp = scanInputs(d, seed);
  // hs from the float64 reference forward, rounded to float32: the same on both sides
  const a64 = Object.fromEntries(Object.entries(inp).map(([k, v]) => [k, Float64Array.from(v)]));
  const hs64 = new Float64Array(B * scanChunks(T) * DI * DS);
  scanForward(new Float64Array(B * T * DI), hs64, a64.u!, a64.dt!, a64.Alog!, a64.Bm!, a64.Cm!, a64.D!, d, null);
  const grads: Arrays = {
    du: random(B * T * DI, seed + 20), ddt: random(B * T * DI, seed + 21), dBm: random(B * T * DS, seed + 22),
    dCm: random(B * T * DS, seed + 23), ...(params ? { dAlog: random(DI * DS, seed + 24), dD: random(DI, seed + 25) } : {}),
  };
  return {
    data: { ...inp, hs: Float32Array.from(hs64), dy: random(B * T * DI, seed + 26), ...grads },
    outputs: Object.keys(grads),
    cpu: (a) => scanBackward(a.du!, a.ddt!, a.dAlog ?? null, a.dBm!, a.dCm!, a.dD ?? null, a.dy!, a.u!, a.dt!, a.Alog!, a.Bm!, a.Cm!, a.D!, a.hs!, d),
    gpu: (be, b) => be.scanBackward(b.du!, b.ddt!, b.dAlog ?? null, b.dBm!, b.dCm!, b.dD ?? null, b.dy!, b.u!, b.dt!, b.Alog!, b.Bm!, b.Cm!, b.D!, b.hs!, d),
  };
}

// --- cases ---

const conv = { B: 2, T: 9, DI: 6, K: 4, bias: true, seed: 100 };
const scan: ScanDims = { B: 2, T: SCAN_CHUNK + 5, DI: 6, DS: 4 };

const cases = {
  "copyColumns: overwrite": () => copyColumns(false, 1),
  "copyColumns: accumulate": () => copyColumns(true, 2),
  "conv1dForward: bias": () => conv1dFwd(conv),
  "conv1dForward: no bias, T < K": () => conv1dFwd({ ...conv, T: 2, bias: false, seed: 110 }),
  "conv1dForward: state, two pieces (the first shorter than K-1) equal one run": () =>
    conv1dState({ ...conv, B: 1, T: 9, T1: 2, zeroState: false, seed: 120 }),
  "conv1dForward: zero state, two pieces equal one run without state": () =>
    conv1dState({ ...conv, B: 1, T: 9, T1: 5, zeroState: true, bias: false, seed: 130 }),
  "conv1dBackward: dx, dweight, dbias": () => conv1dBwd({ ...conv, grads: ["dx", "dweight", "dbias"], seed: 140 }),
  "conv1dBackward: dx only, no bias": () => conv1dBwd({ ...conv, bias: false, grads: ["dx"], seed: 150 }),
  "conv1dBackward: dweight, dbias (no dx)": () => conv1dBwd({ ...conv, grads: ["dweight", "dbias"], seed: 160 }),
  "conv1dBackward: dbias only, T < K": () => conv1dBwd({ ...conv, T: 2, grads: ["dbias"], seed: 170 }),
  "scanForward: hs, two chunks": () => scanFwd(scan, true, 200),
  "scanForward: no hs": () => scanFwd(scan, false, 210),
  "scanForward: state, two pieces equal one run": () => scanState(SCAN_CHUNK + 5, 40, 6, 4, 220),
  "scanBackward: every gradient, two chunks": () => scanBwd(scan, true, 300),
  "scanBackward: no dAlog, no dD": () => scanBwd(scan, false, 310),
  "scanBackward: DI 70 (two channel groups), DS 16": () => scanBwd({ B: 2, T: 21, DI: 70, DS: 16 }, true, 320),
  "scanBackward: T a multiple of SCAN_CHUNK, DS 1": () => scanBwd({ B: 1, T: 2 * SCAN_CHUNK, DI: 3, DS: 1 }, true, 330),
} satisfies Record<string, () => Spec>;

export type CaseName = keyof typeof cases;

// --- running ---

let bePromise: Promise<WebGpuBackend> | undefined;
const uncaptured: string[] = [];
function gpu(): Promise<WebGpuBackend> {
  return (bePromise ??= WebGpuBackend.create().then((be) => {
    be.ctx.device.addEventListener("uncapturederror", (e) => uncaptured.push((e as GPUUncapturedErrorEvent).error.message));
    return be;
  }));
}

function maxErr(got: ArrayLike<number>, ref: ArrayLike<number>): [rel: number, abs: number] {
  if (got.length !== ref.length) return [Infinity, Infinity];
  let rel = 0;
  let abs = 0;
  for (let i = 0; i < got.length; i++) {
    const a = Math.abs(got[i]! - ref[i]!);
    const e = a / Math.max(1, Math.abs(ref[i]!));
    if (!(e <= rel)) rel = Number.isNaN(e) ? Infinity : e;
    if (!(a <= abs)) abs = Number.isNaN(a) ? Infinity : a;
  }
  return [rel, abs];
}

async function run(name: CaseName): Promise<Report> {
  const be = await gpu();
  const device = be.ctx.device;
  const spec = cases[name]();
  const ref = Object.fromEntries(Object.entries(spec.data).map(([k, v]) => [k, Float64Array.from(v)]));
  spec.cpu(ref);

  const bufs: Buffers = {};
  for (const [k, v] of Object.entries(spec.data)) bufs[k] = be.upload(v, `${name}:${k}`);
  const gpuErrors: string[] = [];
  device.pushErrorScope("internal");
  device.pushErrorScope("validation");
  try {
    spec.gpu(be, bufs);
  } catch (e) {
    gpuErrors.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
  be.ctx.flush();
  for (const scope of ["validation", "internal"]) {
    const err = await device.popErrorScope();
    if (err) gpuErrors.push(`${name} (${scope}): ${err.message}`);
  }
  const errors: Record<string, number> = {};
  const abs: Record<string, number> = {};
  for (const o of spec.outputs) [errors[o], abs[o]] = maxErr(await be.read(bufs[o]!, spec.data[o]!.length), ref[o]!);
  for (const b of Object.values(bufs)) be.free(b);
  await device.queue.onSubmittedWorkDone();
  gpuErrors.push(...uncaptured.splice(0).map((m) => `${name} (uncaptured): ${m}`));
  return { errors, abs, gpuErrors };
}

/** Compiles each kernel file (the scan's for DS 1, 4 and 16) and returns its WGSL errors and warnings. */
async function compile(): Promise<string[]> {
  const { device } = (await gpu()).ctx;
  const files: Record<string, string> = { "copy_columns.wgsl": COPY_COLUMNS_WGSL, "conv1d.wgsl": CONV1D_WGSL };
  for (const DS of [1, 4, 16]) {
    const s = scanSources(DS);
    files[`scan_forward.wgsl (DS ${DS})`] = s.forward;
    files[`scan_backward.wgsl (DS ${DS})`] = s.backward;
  }
  const out: string[] = [];
  for (const [file, code] of Object.entries(files)) {
    const info = await device.createShaderModule({ code, label: file }).getCompilationInfo();
    for (const m of info.messages) out.push(`${file}:${m.lineNum}:${m.linePos} ${m.type}: ${m.message}`);
  }
  return out;
}

const api = { names: () => Object.keys(cases), run, compile };

declare global {
  interface Window {
    gpuSsm: typeof api;
  }
}
window.gpuSsm = api;
