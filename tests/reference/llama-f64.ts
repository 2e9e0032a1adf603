// tests/reference/llama-f64.ts — a deliberately simple float64 reference forward pass of Hugging Face's
// `LlamaForCausalLM` and `Qwen2ForCausalLM`, used by tests to check the engine's logits.
//
// It is independent of src/: it imports nothing from the project and was written from the transformers source
// alone (huggingface/transformers on GitHub):
//   - src/transformers/models/llama/modeling_llama.py  (commit 5dd4a63548857797727ae73eeb6a6e886ea02a3e, ~v4.48:
//     LlamaRMSNorm, LlamaRotaryEmbedding, rotate_half, apply_rotary_pos_emb, LlamaMLP, repeat_kv,
//     eager_attention_forward, LlamaAttention, LlamaDecoderLayer)
//   - src/transformers/models/qwen2/modeling_qwen2.py  (commit 63bb723747035466e5339aea864b133f709b067d, ~v4.56:
//     Qwen2Attention: q/k/v_proj bias=True, o_proj bias=False; otherwise the same as Llama)
//   - src/transformers/modeling_rope_utils.py          (commit ef46806472a64b0013ed413781e3afed82bfa047, ~v4.45:
//     _compute_default_rope_parameters, _compute_llama3_parameters)
//
// Everything is computed in float64 (JS numbers) with plain loops, for clarity rather than speed. Differences from
// transformers that are deliberate: transformers computes RMSNorm, inv_freq, the rotary angles and the softmax in
// float32 (then casts to the model dtype); here all of it is float64. So expect agreement with a real HF run only to
// float32/bf16 tolerance, and agreement with another float64 implementation to ~1e-12.
//
// Not supported (throws): architectures other than the two above, rope types other than default/llama3,
// hidden_act other than silu, Llama mlp_bias, Qwen2 sliding-window attention, transformers-v5-style configs that
// carry `rope_parameters` instead of `rope_theta`/`rope_scaling`.

export interface RefConfig {
  architectures: string[]; // ["LlamaForCausalLM"] or ["Qwen2ForCausalLM"]
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads?: number; // default: num_attention_heads
  head_dim?: number; // default: hidden_size / num_attention_heads
  rms_norm_eps: number;
  rope_theta?: number; // default: 10000 (LlamaConfig and Qwen2Config default)
  rope_scaling?: null | {
    rope_type?: string;
    type?: string;
    factor: number;
    low_freq_factor: number;
    high_freq_factor: number;
    original_max_position_embeddings: number;
  };
  tie_word_embeddings?: boolean; // default: false
  attention_bias?: boolean; // Llama only (q/k/v/o biases); Qwen2 always has q/k/v biases and no o bias
  // Fields that are only checked, so that an unsupported config is refused rather than silently mis-computed:
  hidden_act?: string; // must be "silu" when present
  mlp_bias?: boolean; // must not be true
  use_sliding_window?: boolean; // must not be true
}

const SUPPORTED_ARCHITECTURES = ["LlamaForCausalLM", "Qwen2ForCausalLM"];

/** The rotary inverse frequencies (head_dim / 2 of them): default RoPE, or llama3-scaled RoPE. */
export function ropeInvFreq(config: RefConfig): Float64Array {
  const headDim = headDimOf(config);
  const theta = config.rope_theta ?? 10000;
  const half = headDim / 2;

  // _compute_default_rope_parameters: inv_freq[i] = 1 / theta^(2i / dim), i = 0 .. dim/2 - 1
  const invFreq = new Float64Array(half);
  for (let i = 0; i < half; i++) invFreq[i] = 1 / Math.pow(theta, (2 * i) / headDim);

  const scaling = config.rope_scaling;
  if (scaling === null || scaling === undefined) return invFreq;
  const ropeType = scaling.rope_type ?? scaling.type; // BC: "rope_type" was originally "type"
  if (ropeType === "default") return invFreq;
  if (ropeType !== "llama3") throw new Error(`reference: unsupported rope type ${JSON.stringify(ropeType)}`);

  // _compute_llama3_parameters
  const factor = scaling.factor;
  const lowFreqFactor = scaling.low_freq_factor;
  const highFreqFactor = scaling.high_freq_factor;
  const oldContextLen = scaling.original_max_position_embeddings;
  for (const [key, value] of Object.entries({ factor, lowFreqFactor, highFreqFactor, oldContextLen })) {
    if (typeof value !== "number" || !Number.isFinite(value)) throw new Error(`reference: llama3 rope_scaling lacks ${key}`);
  }
  const lowFreqWavelen = oldContextLen / lowFreqFactor;
  const highFreqWavelen = oldContextLen / highFreqFactor;
  const out = new Float64Array(half);
  for (let i = 0; i < half; i++) {
    const f = invFreq[i]!;
    const wavelen = (2 * Math.PI) / f;
    if (wavelen > lowFreqWavelen) {
      out[i] = f / factor; // low frequency: scaled down
    } else if (wavelen < highFreqWavelen) {
      out[i] = f; // high frequency: unchanged
    } else {
      // medium (highFreqWavelen <= wavelen <= lowFreqWavelen): interpolate
      const smooth = (oldContextLen / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
      out[i] = ((1 - smooth) * f) / factor + smooth * f;
    }
  }
  return out;
}

function headDimOf(config: RefConfig): number {
  const headDim = config.head_dim ?? config.hidden_size / config.num_attention_heads;
  if (!Number.isInteger(headDim) || headDim <= 0 || headDim % 2 !== 0) {
    throw new Error(`reference: head_dim must be a positive even integer, got ${headDim}`);
  }
  return headDim;
}

function tensor(weights: Map<string, ArrayLike<number>>, name: string, length: number): ArrayLike<number> {
  const t = weights.get(name);
  if (t === undefined) throw new Error(`reference: missing tensor ${name}`);
  if (t.length !== length) throw new Error(`reference: tensor ${name} has ${t.length} elements, expected ${length}`);
  return t;
}

/** y[t, o] = sum_i x[t, i] * W[o, i] (+ b[o]) — nn.Linear, W row-major (out, in). */
function linear(x: Float64Array, rows: number, inDim: number, w: ArrayLike<number>, outDim: number, b: ArrayLike<number> | null): Float64Array {
  const y = new Float64Array(rows * outDim);
  for (let t = 0; t < rows; t++) {
    for (let o = 0; o < outDim; o++) {
      let sum = 0;
      for (let i = 0; i < inDim; i++) sum += x[t * inDim + i]! * w[o * inDim + i]!;
      y[t * outDim + o] = b === null ? sum : sum + b[o]!;
    }
  }
  return y;
}

/** RMSNorm per row: x * 1/sqrt(mean(x^2) + eps) * w. */
function rmsNorm(x: Float64Array, rows: number, dim: number, w: ArrayLike<number>, eps: number): Float64Array {
  const y = new Float64Array(rows * dim);
  for (let t = 0; t < rows; t++) {
    let sumSq = 0;
    for (let i = 0; i < dim; i++) sumSq += x[t * dim + i]! * x[t * dim + i]!;
    const inv = 1 / Math.sqrt(sumSq / dim + eps);
    for (let i = 0; i < dim; i++) y[t * dim + i] = x[t * dim + i]! * inv * w[i]!;
  }
  return y;
}

/**
 * In place, for every head of every row (position t = row index): x*cos + rotate_half(x)*sin, where
 * cos/sin = cat(freqs, freqs) with freqs[i] = t * invFreq[i], and rotate_half(x) = cat(-x2, x1) (x1, x2 the halves).
 * So dims i and i + head_dim/2 form a rotated pair.
 */
function applyRope(x: Float64Array, rows: number, numHeads: number, headDim: number, invFreq: Float64Array): void {
  const half = headDim / 2;
  for (let t = 0; t < rows; t++) {
    for (let h = 0; h < numHeads; h++) {
      const base = (t * numHeads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const angle = t * invFreq[i]!;
        const cos = Math.cos(angle);
        const sin = Math.sin(angle);
        const x1 = x[base + i]!;
        const x2 = x[base + i + half]!;
        x[base + i] = x1 * cos - x2 * sin;
        x[base + i + half] = x2 * cos + x1 * sin;
      }
    }
  }
}

function silu(v: number): number {
  return v / (1 + Math.exp(-v));
}

/**
 * Logits of `ids` at positions 0..T-1 (one sequence, causal, no padding, no cache), as a (T, vocab_size) row-major
 * Float64Array. `weights` maps HF tensor names to row-major data as stored in safetensors.
 */
export function referenceLogits(config: RefConfig, weights: Map<string, ArrayLike<number>>, ids: number[]): Float64Array {
  // ---- config ----
  if (config.architectures?.length !== 1 || !SUPPORTED_ARCHITECTURES.includes(config.architectures[0]!)) {
    throw new Error(`reference: unsupported architectures ${JSON.stringify(config.architectures)}`);
  }
  const isQwen2 = config.architectures[0]! === "Qwen2ForCausalLM";
  if (config.rope_theta === undefined && "rope_parameters" in (config as object)) {
    throw new Error("reference: config uses rope_parameters (transformers v5 layout); pass rope_theta/rope_scaling");
  }
  if (config.hidden_act !== undefined && config.hidden_act !== "silu") throw new Error(`reference: unsupported hidden_act ${config.hidden_act}`);
  if (config.mlp_bias === true) throw new Error("reference: mlp_bias is not supported");
  if (config.use_sliding_window === true) throw new Error("reference: sliding-window attention is not supported");

  const V = config.vocab_size;
  const D = config.hidden_size;
  const I = config.intermediate_size;
  const L = config.num_hidden_layers;
  const nHeads = config.num_attention_heads;
  const nKv = config.num_key_value_heads ?? nHeads;
  const hd = headDimOf(config);
  const eps = config.rms_norm_eps;
  if (nHeads % nKv !== 0) throw new Error(`reference: num_attention_heads ${nHeads} not a multiple of num_key_value_heads ${nKv}`);
  const groups = nHeads / nKv; // repeat_kv: query head h reads kv head floor(h / groups)
  const qkvBias = isQwen2 || config.attention_bias === true;
  const oBias = !isQwen2 && config.attention_bias === true;
  const tied = config.tie_word_embeddings === true;
  const invFreq = ropeInvFreq(config);
  const scale = 1 / Math.sqrt(hd);

  const T = ids.length;
  if (T === 0) return new Float64Array(0);
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`reference: token id ${id} out of range [0, ${V})`);
  }

  // ---- embedding ----
  const embed = tensor(weights, "model.embed_tokens.weight", V * D);
  let x = new Float64Array(T * D);
  for (let t = 0; t < T; t++) for (let i = 0; i < D; i++) x[t * D + i] = embed[ids[t]! * D + i]!;

  // ---- decoder layers ----
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}.`;
    const w = (name: string, length: number) => tensor(weights, p + name, length);

    // self-attention block
    const h = rmsNorm(x, T, D, w("input_layernorm.weight", D), eps);
    const q = linear(h, T, D, w("self_attn.q_proj.weight", nHeads * hd * D), nHeads * hd, qkvBias ? w("self_attn.q_proj.bias", nHeads * hd) : null);
    const k = linear(h, T, D, w("self_attn.k_proj.weight", nKv * hd * D), nKv * hd, qkvBias ? w("self_attn.k_proj.bias", nKv * hd) : null);
    const v = linear(h, T, D, w("self_attn.v_proj.weight", nKv * hd * D), nKv * hd, qkvBias ? w("self_attn.v_proj.bias", nKv * hd) : null);
    applyRope(q, T, nHeads, hd, invFreq);
    applyRope(k, T, nKv, hd, invFreq);

    const attn = new Float64Array(T * nHeads * hd); // (T, nHeads * hd), heads concatenated as in reshape(*input_shape, -1)
    const probs = new Float64Array(T);
    for (let hh = 0; hh < nHeads; hh++) {
      const kvh = Math.floor(hh / groups);
      for (let t = 0; t < T; t++) {
        // scores over s <= t (the causal mask makes s > t contribute exp(-inf) = 0)
        let max = -Infinity;
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let d = 0; d < hd; d++) dot += q[(t * nHeads + hh) * hd + d]! * k[(s * nKv + kvh) * hd + d]!;
          const score = dot * scale;
          probs[s] = score;
          if (score > max) max = score;
        }
        let sum = 0;
        for (let s = 0; s <= t; s++) {
          const e = Math.exp(probs[s]! - max);
          probs[s] = e;
          sum += e;
        }
        for (let s = 0; s <= t; s++) probs[s] = probs[s]! / sum;
        for (let d = 0; d < hd; d++) {
          let acc = 0;
          for (let s = 0; s <= t; s++) acc += probs[s]! * v[(s * nKv + kvh) * hd + d]!;
          attn[(t * nHeads + hh) * hd + d] = acc;
        }
      }
    }
    const o = linear(attn, T, nHeads * hd, w("self_attn.o_proj.weight", D * nHeads * hd), D, oBias ? w("self_attn.o_proj.bias", D) : null);
    const afterAttn = new Float64Array(T * D);
    for (let i = 0; i < T * D; i++) afterAttn[i] = x[i]! + o[i]!;
    x = afterAttn;

    // MLP block: down(silu(gate(h)) * up(h))
    const h2 = rmsNorm(x, T, D, w("post_attention_layernorm.weight", D), eps);
    const gate = linear(h2, T, D, w("mlp.gate_proj.weight", I * D), I, null);
    const up = linear(h2, T, D, w("mlp.up_proj.weight", I * D), I, null);
    const act = new Float64Array(T * I);
    for (let i = 0; i < T * I; i++) act[i] = silu(gate[i]!) * up[i]!;
    const down = linear(act, T, I, w("mlp.down_proj.weight", D * I), D, null);
    const afterMlp = new Float64Array(T * D);
    for (let i = 0; i < T * D; i++) afterMlp[i] = x[i]! + down[i]!;
    x = afterMlp;
  }

  // ---- final norm and LM head ----
  const normed = rmsNorm(x, T, D, tensor(weights, "model.norm.weight", D), eps);
  const head = tied ? embed : tensor(weights, "lm_head.weight", V * D);
  return linear(normed, T, D, head, V, null);
}
