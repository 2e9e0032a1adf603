// Checkpoint tensors (transformers' MambaForCausalLM names) -> the engine's MambaWeights on a backend, and back to
// names for export. conv1d.weight (DI,1,K) is used as (DI,K): the same bytes.

import type { MambaConfig } from "../model/config.ts";
import type { Backend } from "./backend.ts";
import type { Linear } from "./linear.ts";
import type { Param } from "./lora.ts";
import { MAMBA_LINEARS, type MambaBlockWeights, type MambaDims, type MambaLinear, type MambaWeights } from "./mamba.ts";
import { formatFor } from "./quant.ts";
import { loadTables } from "./tables.ts";
import type { WeightOptions } from "./weights.ts";

export function mambaDimsOf(c: MambaConfig): MambaDims {
  return {
    V: c.vocab_size, C: c.hidden_size, L: c.num_hidden_layers, DI: c.intermediate_size, DS: c.state_size,
    K: c.conv_kernel, R: c.time_step_rank, eps: c.layer_norm_epsilon,
  };
}

/** (IC, OC) of each mixer linear. */
export function mambaLinearShape(d: MambaDims, which: MambaLinear): [number, number] {
  const shapes: Record<MambaLinear, [number, number]> = {
    in_proj: [d.C, 2 * d.DI], x_proj: [d.DI, d.R + 2 * d.DS], dt_proj: [d.R, d.DI], out_proj: [d.DI, d.C],
  };
  return shapes[which];
}

/** Whether a mixer linear has a bias: dt_proj always, in_proj/out_proj with use_bias, x_proj never. */
export function mambaHasBias(c: MambaConfig, which: MambaLinear): boolean {
  return which === "dt_proj" || ((which === "in_proj" || which === "out_proj") && c.use_bias);
}

export const mambaLayerPrefix = (l: number) => `backbone.layers.${l}.`;

export async function loadMambaWeights<T, I>(
  be: Backend<T, I>, c: MambaConfig, get: (name: string) => Promise<Float32Array>, opts: WeightOptions = {},
): Promise<MambaWeights<T>> {
  const d = mambaDimsOf(c);
  const format = opts.weights ?? "f32";
  const up = async (name: string) => be.upload(await get(name), name);
  const blocks: MambaBlockWeights<T>[] = [];
  for (let l = 0; l < d.L; l++) {
    const p = `${mambaLayerPrefix(l)}mixer.`;
    const lin = {} as Record<MambaLinear, Linear<T>>;
    for (const which of MAMBA_LINEARS) {
      const [IC, OC] = mambaLinearShape(d, which);
      const name = p + which;
      // a block format must fill whole blocks: dt_proj's rows (R values) often cannot, and stay f32 then
      const fmt = formatFor(format, IC);
      const weight = be.uploadFrozen(await get(`${name}.weight`), OC, IC, fmt, `${name}.weight`);
      lin[which] = { name, IC, OC, weight, format: fmt, bias: mambaHasBias(c, which) ? await up(`${name}.bias`) : null };
    }
    blocks.push({
      norm: await up(`${mambaLayerPrefix(l)}norm.weight`),
      conv: await up(`${p}conv1d.weight`),
      convBias: c.use_conv_bias ? await up(`${p}conv1d.bias`) : null,
      Alog: await up(`${p}A_log`),
      D: await up(`${p}D`),
      lin,
    });
  }
  const names = { embedding: "backbone.embeddings.weight", lmHead: "lm_head.weight" };
  const { wte, lmHead } = await loadTables(be, get, d.V, d.C, c.tie_word_embeddings, names, opts);
  return { wte, lnf: await up("backbone.norm_f.weight"), lmHead, blocks };
}

/** Every weight by its HF name (a tied lm_head once, as the embeddings). */
export function namedMambaWeights<T>(w: MambaWeights<T>): [string, T][] {
  const out: [string, T][] = [["backbone.embeddings.weight", w.wte]];
  w.blocks.forEach((b, l) => {
    const p = `${mambaLayerPrefix(l)}mixer.`;
    out.push([`${mambaLayerPrefix(l)}norm.weight`, b.norm]);
    for (const which of MAMBA_LINEARS) {
      out.push([`${b.lin[which].name}.weight`, b.lin[which].weight]);
      if (b.lin[which].bias) out.push([`${b.lin[which].name}.bias`, b.lin[which].bias!]);
    }
    out.push([`${p}conv1d.weight`, b.conv]);
    if (b.convBias) out.push([`${p}conv1d.bias`, b.convBias]);
    out.push([`${p}A_log`, b.Alog], [`${p}D`, b.D]);
  });
  out.push(["backbone.norm_f.weight", w.lnf]);
  if (w.lmHead !== w.wte) out.push(["lm_head.weight", w.lmHead]);
  return out;
}

/** Full-parameter training: a gradient for every weight (a tied lm_head shares the embeddings' gradient). */
export function enableMambaFullTraining<T, I>(be: Backend<T, I>, w: MambaWeights<T>, d: MambaDims): Param<T>[] {
  const params: Param<T>[] = [];
  const add = (name: string, buf: T, n: number): T => {
    const grad = be.alloc(n, `d:${name}`);
    params.push({ name, buf, grad, n });
    return grad;
  };
  w.dwte = add("backbone.embeddings.weight", w.wte, d.V * d.C);
  w.blocks.forEach((b, l) => {
    const p = `${mambaLayerPrefix(l)}mixer.`;
    b.dnorm = add(`${mambaLayerPrefix(l)}norm.weight`, b.norm, d.C);
    for (const which of MAMBA_LINEARS) {
      const lin = b.lin[which];
      if ((lin.format ?? "f32") !== "f32") throw new Error(`${lin.name}: full training needs f32 weights, this one is frozen as ${lin.format}; load with weights "f32"`);
      lin.dweight = add(`${lin.name}.weight`, lin.weight, lin.IC * lin.OC);
      if (lin.bias) lin.dbias = add(`${lin.name}.bias`, lin.bias, lin.OC);
    }
    b.dconv = add(`${p}conv1d.weight`, b.conv, d.DI * d.K);
    if (b.convBias) b.dconvBias = add(`${p}conv1d.bias`, b.convBias, d.DI);
    b.dAlog = add(`${p}A_log`, b.Alog, d.DI * d.DS);
    b.dD = add(`${p}D`, b.D, d.DI);
  });
  w.dlnf = add("backbone.norm_f.weight", w.lnf, d.C);
  w.dlmHead = w.lmHead === w.wte ? w.dwte : add("lm_head.weight", w.lmHead, d.V * d.C);
  return params;
}
