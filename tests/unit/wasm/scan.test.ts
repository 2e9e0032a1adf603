// Mamba's selective scan as WebAssembly (wasm/kernels/scan.ts through the CPU backend) against the TypeScript reference
// (src/lib/train/cpu/scan.ts, float64): forward with saved chunk states and with a carried state, backward with every
// gradient, on sizes with a partial last chunk and more than one channel group; 1 and 2 threads give the same bits.

import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/fim/prng.ts";
import { scanChunks, type ScanDims } from "../../../src/lib/train/backend.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { scanBackward, scanForward } from "../../../src/lib/train/cpu/scan.ts";
import { bits, rand, useBackends } from "./helpers.ts";

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let e = 0;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) e = Math.max(e, Math.abs(a[i]! - b[i]!) / (1e-3 * scale + Math.abs(b[i]!)));
  return e;
}

const backends = useBackends();
let one: CpuBackend, two: CpuBackend;
beforeAll(() => ({ one, two } = backends));

describe("WebAssembly selective scan", () => {
  for (const d of [{ B: 2, T: 100, DI: 70, DS: 16 }, { B: 1, T: 7, DI: 5, DS: 4 }] as ScanDims[]) {
    it(`B=${d.B} T=${d.T} DI=${d.DI} DS=${d.DS}: forward (saved states, carried state) and backward match the reference`, () => {
      const rng = new Rng(d.T + d.DI);
      const nBT = d.B * d.T, nh = d.B * scanChunks(d.T) * d.DI * d.DS;
      const u = rand(nBT * d.DI, rng), dt = rand(nBT * d.DI, rng, 2), Alog = rand(d.DI * d.DS, rng), D = rand(d.DI, rng);
      const Bm = rand(nBT * d.DS, rng), Cm = rand(nBT * d.DS, rng), dy = rand(nBT * d.DI, rng);
      const g0 = { du: rand(nBT * d.DI, rng), ddt: rand(nBT * d.DI, rng), dAlog: rand(d.DI * d.DS, rng), dBm: rand(nBT * d.DS, rng), dCm: rand(nBT * d.DS, rng), dD: rand(d.DI, rng) };
      const ref = { y: new Float32Array(nBT * d.DI), hs: new Float32Array(nh), ...Object.fromEntries(Object.entries(g0).map(([k, v]) => [k, v.slice()])) } as Record<string, Float32Array>;
      scanForward(ref.y!, ref.hs!, u, dt, Alog, Bm, Cm, D, d, null);
      scanBackward(ref.du!, ref.ddt!, ref.dAlog!, ref.dBm!, ref.dCm!, ref.dD!, dy, u, dt, Alog, Bm, Cm, D, ref.hs!, d);
      const [a, b] = [one, two].map((be) => {
        const r: Record<string, Float32Array> = { y: be.alloc(nBT * d.DI), hs: be.alloc(nh) };
        for (const [k, v] of Object.entries(g0)) r[k] = be.upload(v);
        const [ub, dtb, Ab, Bb, Cb, Db] = [u, dt, Alog, Bm, Cm, D].map((x) => be.upload(x));
        be.scanForward(r.y!, r.hs!, ub!, dtb!, Ab!, Bb!, Cb!, Db!, d);
        be.scanBackward(r.du!, r.ddt!, r.dAlog!, r.dBm!, r.dCm!, r.dD!, be.upload(dy), ub!, dtb!, Ab!, Bb!, Cb!, Db!, r.hs!, d);
        return r;
      }) as [Record<string, Float32Array>, Record<string, Float32Array>];
      for (const k of Object.keys(ref)) {
        expect(relErr(a[k]!, ref[k]!), k).toBeLessThan(1e-4);
        expect(bits(b[k]!), k).toEqual(bits(a[k]!));
      }
      if (d.B === 1) {
        // a carried state: two halves with the state in between give the whole run's output
        const s = one.alloc(d.DI * d.DS), yh = one.alloc(d.T * d.DI), yw = one.alloc(d.T * d.DI);
        const h = Math.floor(d.T / 2), half = (x: Float32Array, w: number, from: number, to: number) => one.upload(x.subarray(from * w, to * w));
        one.scanForward(yw, null, one.upload(u), one.upload(dt), one.upload(Alog), one.upload(Bm), one.upload(Cm), one.upload(D), d);
        one.scanForward(yh.subarray(0, h * d.DI), null, half(u, d.DI, 0, h), half(dt, d.DI, 0, h), one.upload(Alog), half(Bm, d.DS, 0, h), half(Cm, d.DS, 0, h), one.upload(D), { ...d, T: h }, s);
        one.scanForward(yh.subarray(h * d.DI), null, half(u, d.DI, h, d.T), half(dt, d.DI, h, d.T), one.upload(Alog), half(Bm, d.DS, h, d.T), half(Cm, d.DS, h, d.T), one.upload(D), { ...d, T: d.T - h }, s);
        expect(relErr(yh, yw)).toBeLessThan(1e-5);
      }
    });
  }
});
