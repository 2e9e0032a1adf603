// tests/reference/mamba-f64.ts — a deliberately simple float64 reference forward pass of Hugging Face's
// `MambaForCausalLM`, used by tests to check the engine's logits.
//
// It is independent of src/: it imports nothing from the project and was written from transformers'
// src/transformers/models/mamba/modeling_mamba.py (MambaRMSNorm, MambaMixer.slow_forward, MambaBlock, MambaModel,
// MambaForCausalLM) and configuration_mamba.py (defaults). It follows slow_forward literally: the whole sequence at
// once, the conv as a zero-padded depthwise convolution cut to the sequence length, the full (T, DI, DS) discretised
// A and B*u, and the recurrence stepping through every state. Float64 throughout; transformers keeps A, the scan
// and the residual in float32, so agreement with a real HF run is to float32 tolerance only.

export interface MambaRefConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  intermediate_size?: number; // default expand * hidden_size
  expand?: number; // default 2
  state_size?: number; // default 16
  conv_kernel?: number; // default 4
  time_step_rank?: number | "auto"; // "auto" = ceil(hidden_size / 16)
  use_bias?: boolean;
  use_conv_bias?: boolean; // default true
  layer_norm_epsilon?: number; // default 1e-5
  tie_word_embeddings?: boolean; // default true
}

type W = Map<string, ArrayLike<number>>;

function get(w: W, name: string): ArrayLike<number> {
  const t = w.get(name);
  if (!t) throw new Error(`reference: missing tensor ${name}`);
  return t;
}

function rmsnorm(x: number[], weight: ArrayLike<number>, eps: number): number[] {
  let ss = 0;
  for (const v of x) ss += v * v;
  const r = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => weight[i]! * v * r);
}

// weight (OC, IC) row-major, x (IC) -> (OC)
function linear(x: number[], weight: ArrayLike<number>, OC: number, bias?: ArrayLike<number>): number[] {
  const IC = x.length;
  const out = new Array<number>(OC);
  for (let o = 0; o < OC; o++) {
    let s = bias ? bias[o]! : 0;
    for (let i = 0; i < IC; i++) s += weight[o * IC + i]! * x[i]!;
    out[o] = s;
  }
  return out;
}

const silu = (v: number) => v / (1 + Math.exp(-v));
const softplus = (v: number) => (v > 20 ? v : Math.log1p(Math.exp(v))); // torch.nn.functional.softplus, beta 1, threshold 20

/** Logits (T, V) for every position of `ids`. */
export function mambaReferenceLogits(c: MambaRefConfig, w: W, ids: readonly number[]): Float64Array {
  const C = c.hidden_size;
  const DI = c.intermediate_size ?? (c.expand ?? 2) * C;
  const DS = c.state_size ?? 16;
  const K = c.conv_kernel ?? 4;
  const R = c.time_step_rank === undefined || c.time_step_rank === "auto" ? Math.ceil(C / 16) : c.time_step_rank;
  const eps = c.layer_norm_epsilon ?? 1e-5;
  const V = c.vocab_size;
  const T = ids.length;
  const emb = get(w, "backbone.embeddings.weight");
  let h: number[][] = ids.map((id) => Array.from({ length: C }, (_, j) => emb[id * C + j]!));

  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `backbone.layers.${l}.mixer.`;
    const bias = (n: string) => (c.use_bias ? get(w, `${p}${n}.bias`) : undefined);
    const normed = h.map((x) => rmsnorm(x, get(w, `backbone.layers.${l}.norm.weight`), eps));
    // 1. projected_states = in_proj(hidden_states); hidden_states, gate = chunk(2)
    const proj = normed.map((x) => linear(x, get(w, `${p}in_proj.weight`), 2 * DI, bias("in_proj")));
    const xs = proj.map((r) => r.slice(0, DI));
    const gate = proj.map((r) => r.slice(DI));
    // 2. conv1d(padding K-1)[..., :T], then act
    const convW = get(w, `${p}conv1d.weight`); // (DI, 1, K)
    const convB = c.use_conv_bias ?? true ? get(w, `${p}conv1d.bias`) : undefined;
    const u: number[][] = [];
    for (let t = 0; t < T; t++) {
      const row = new Array<number>(DI);
      for (let d = 0; d < DI; d++) {
        let s = convB ? convB[d]! : 0;
        for (let k = 0; k < K; k++) {
          const src = t + k - (K - 1); // output t of a conv padded by K-1 on both sides, first T outputs
          if (src >= 0) s += convW[d * K + k]! * xs[src]![d]!;
        }
        row[d] = silu(s);
      }
      u.push(row);
    }
    // 3. ssm_parameters = x_proj(hidden_states); time_step, B, C = split([R, DS, DS]); dt = softplus(dt_proj(time_step))
    const ssmParams = u.map((x) => linear(x, get(w, `${p}x_proj.weight`), R + 2 * DS));
    const dt = ssmParams.map((r) => linear(r.slice(0, R), get(w, `${p}dt_proj.weight`), DI, get(w, `${p}dt_proj.bias`)).map(softplus));
    const Bm = ssmParams.map((r) => r.slice(R, R + DS));
    const Cm = ssmParams.map((r) => r.slice(R + DS));
    const Alog = get(w, `${p}A_log`);
    const A = Array.from({ length: DI * DS }, (_, i) => -Math.exp(Alog[i]!));
    const D = get(w, `${p}D`);
    // discrete_A = exp(A * dt), deltaB_u = dt * B * u, for every (t, d, s); then the recurrence over t
    const dA: number[][] = [];
    const dBu: number[][] = [];
    for (let t = 0; t < T; t++) {
      const a = new Array<number>(DI * DS);
      const b = new Array<number>(DI * DS);
      for (let d = 0; d < DI; d++) {
        for (let s = 0; s < DS; s++) {
          a[d * DS + s] = Math.exp(A[d * DS + s]! * dt[t]![d]!);
          b[d * DS + s] = dt[t]![d]! * Bm[t]![s]! * u[t]![d]!;
        }
      }
      dA.push(a);
      dBu.push(b);
    }
    const state = new Array<number>(DI * DS).fill(0);
    const ys: number[][] = [];
    for (let t = 0; t < T; t++) {
      const y = new Array<number>(DI).fill(0);
      for (let i = 0; i < DI * DS; i++) state[i] = dA[t]![i]! * state[i]! + dBu[t]![i]!;
      for (let d = 0; d < DI; d++) {
        let s = 0;
        for (let k = 0; k < DS; k++) s += state[d * DS + k]! * Cm[t]![k]!;
        // scan_output = scan_output + hidden_states * D; scan_output = scan_output * act(gate)
        y[d] = (s + u[t]![d]! * D[d]!) * silu(gate[t]![d]!);
      }
      ys.push(y);
    }
    // 4. out_proj, residual
    h = h.map((x, t) => {
      const o = linear(ys[t]!, get(w, `${p}out_proj.weight`), C, bias("out_proj"));
      return x.map((v, j) => v + o[j]!);
    });
  }
  const lmHead = c.tie_word_embeddings ?? true ? emb : get(w, "lm_head.weight");
  const out = new Float64Array(T * V);
  h.forEach((x, t) => {
    const n = rmsnorm(x, get(w, "backbone.norm_f.weight"), eps);
    out.set(linear(n, lmHead, V), t * V);
  });
  return out;
}
