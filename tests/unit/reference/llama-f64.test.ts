// Self-checks of the float64 reference forward pass (tests/reference/llama-f64.ts), independent of the engine:
//   (a) zero o_proj/down_proj (every layer then adds nothing) and unit norms: logits reduce to
//       rmsnorm(embed) · lm_head, checked against numbers worked out by hand, for Llama (untied) and Qwen2 (tied);
//   (b) three tiny models (Llama 1 layer hidden 4, 2 heads, 1 kv head, T=2; Qwen2 with biases, tied, explicit
//       head_dim; Llama with attention_bias and llama3 RoPE, 2 layers) against a separate plain-python
//       implementation (script below);
//   (c) llama3 inv_freq with Llama-3.2-1B's settings against the same script;
//   (d) causality: changing the last token leaves earlier logits unchanged;
//   (e) grouped-query attention equals multi-head attention with repeated k/v weights (query head h -> kv head
//       floor(h / groups), as repeat_kv does);
//   (f) refusals of what the reference does not implement.
//
// The expected numbers in (b) and (c) were obtained by running the python3 script below once (plain floats, no
// numpy: `python3 ref_check.py`) and pasting its output. Weights in both are made by the same integer formula
// (gen below), so they are bit-identical in Python and JS; the two forwards then agree to ~1e-15, and we test 1e-12.
//
// ---- ref_check.py ----------------------------------------------------------------------------------------------
// # Plain-python (no numpy) float64 forward of HF Llama/Qwen2, written separately from the TS reference.
// import math
//
// def gen(seed, n, scale, offset):
//     return [offset + scale * ((((k + 1) * 7919 + seed * 104729) % 1009) / 1009 - 0.5) for k in range(n)]
//
// def tensor_list(c):
//     H, I, nh, nkv = c['hidden'], c['inter'], c['heads'], c['kv']
//     hd = c.get('head_dim') or H // nh
//     qwen = c['arch'] == 'Qwen2ForCausalLM'
//     qkv_b = qwen or c.get('attention_bias', False)
//     o_b = (not qwen) and c.get('attention_bias', False)
//     out = [('model.embed_tokens.weight', c['vocab'] * H, 'mat')]
//     for l in range(c['layers']):
//         p = 'model.layers.%d.' % l
//         out.append((p + 'input_layernorm.weight', H, 'norm'))
//         out.append((p + 'self_attn.q_proj.weight', nh * hd * H, 'mat'))
//         if qkv_b: out.append((p + 'self_attn.q_proj.bias', nh * hd, 'bias'))
//         out.append((p + 'self_attn.k_proj.weight', nkv * hd * H, 'mat'))
//         if qkv_b: out.append((p + 'self_attn.k_proj.bias', nkv * hd, 'bias'))
//         out.append((p + 'self_attn.v_proj.weight', nkv * hd * H, 'mat'))
//         if qkv_b: out.append((p + 'self_attn.v_proj.bias', nkv * hd, 'bias'))
//         out.append((p + 'self_attn.o_proj.weight', H * nh * hd, 'mat'))
//         if o_b: out.append((p + 'self_attn.o_proj.bias', H, 'bias'))
//         out.append((p + 'post_attention_layernorm.weight', H, 'norm'))
//         out.append((p + 'mlp.gate_proj.weight', I * H, 'mat'))
//         out.append((p + 'mlp.up_proj.weight', I * H, 'mat'))
//         out.append((p + 'mlp.down_proj.weight', H * I, 'mat'))
//     out.append(('model.norm.weight', H, 'norm'))
//     if not c['tied']: out.append(('lm_head.weight', c['vocab'] * H, 'mat'))
//     return out
//
// def make_weights(c):
//     W = {}
//     for i, (name, n, kind) in enumerate(tensor_list(c)):
//         scale, offset = {'mat': (2.0, 0.0), 'bias': (0.5, 0.0), 'norm': (0.5, 1.0)}[kind]
//         W[name] = gen(i + 1, n, scale, offset)
//     return W
//
// def inv_freqs(hd, theta, rs):
//     base = [1.0 / theta ** ((2 * i) / hd) for i in range(hd // 2)]
//     if rs is None: return base
//     f, lo, hi, old = rs['factor'], rs['low_freq_factor'], rs['high_freq_factor'], rs['original_max_position_embeddings']
//     out = []
//     for w in base:
//         wl = 2 * math.pi / w
//         if wl < old / hi: out.append(w)
//         elif wl > old / lo: out.append(w / f)
//         else:
//             s = (old / wl - lo) / (hi - lo)
//             out.append((1 - s) * w / f + s * w)
//     return out
//
// def rms(v, w, eps):
//     ms = sum(a * a for a in v) / len(v)
//     r = 1.0 / math.sqrt(ms + eps)
//     return [a * r * b for a, b in zip(v, w)]
//
// def lin(W, x, nout, b=None):
//     nin = len(x)
//     y = [sum(W[o * nin + i] * x[i] for i in range(nin)) for o in range(nout)]
//     if b is not None: y = [a + bb for a, bb in zip(y, b)]
//     return y
//
// def rope(vec, pos, invf):
//     half = len(vec) // 2
//     out = [0.0] * len(vec)
//     for i in range(half):
//         a = pos * invf[i]
//         c, s = math.cos(a), math.sin(a)
//         x1, x2 = vec[i], vec[i + half]
//         out[i] = x1 * c - x2 * s
//         out[i + half] = x2 * c + x1 * s
//     return out
//
// def forward(c, W, ids):
//     H, I, nh, nkv = c['hidden'], c['inter'], c['heads'], c['kv']
//     hd = c.get('head_dim') or H // nh
//     eps = c['eps']
//     invf = inv_freqs(hd, c['theta'], c.get('rope_scaling'))
//     T = len(ids)
//     g = W.get
//     x = [W['model.embed_tokens.weight'][t * H:(t + 1) * H] for t in ids]
//     for l in range(c['layers']):
//         p = 'model.layers.%d.' % l
//         h = [rms(r, W[p + 'input_layernorm.weight'], eps) for r in x]
//         q = [lin(W[p + 'self_attn.q_proj.weight'], r, nh * hd, g(p + 'self_attn.q_proj.bias')) for r in h]
//         k = [lin(W[p + 'self_attn.k_proj.weight'], r, nkv * hd, g(p + 'self_attn.k_proj.bias')) for r in h]
//         v = [lin(W[p + 'self_attn.v_proj.weight'], r, nkv * hd, g(p + 'self_attn.v_proj.bias')) for r in h]
//         q = [sum((rope(q[t][j * hd:(j + 1) * hd], t, invf) for j in range(nh)), []) for t in range(T)]
//         k = [sum((rope(k[t][j * hd:(j + 1) * hd], t, invf) for j in range(nkv)), []) for t in range(T)]
//         grp = nh // nkv
//         att = []
//         for t in range(T):
//             row = []
//             for j in range(nh):
//                 kv = j // grp
//                 qs = q[t][j * hd:(j + 1) * hd]
//                 sc = [sum(a * b for a, b in zip(qs, k[s][kv * hd:(kv + 1) * hd])) / math.sqrt(hd) for s in range(t + 1)]
//                 m = max(sc)
//                 e = [math.exp(z - m) for z in sc]
//                 tot = sum(e)
//                 pr = [z / tot for z in e]
//                 row += [sum(pr[s] * v[s][kv * hd + d] for s in range(t + 1)) for d in range(hd)]
//             att.append(row)
//         o = [lin(W[p + 'self_attn.o_proj.weight'], r, H, g(p + 'self_attn.o_proj.bias')) for r in att]
//         x = [[a + b for a, b in zip(xr, orow)] for xr, orow in zip(x, o)]
//         h = [rms(r, W[p + 'post_attention_layernorm.weight'], eps) for r in x]
//         mlp = []
//         for r in h:
//             gt = lin(W[p + 'mlp.gate_proj.weight'], r, I)
//             up = lin(W[p + 'mlp.up_proj.weight'], r, I)
//             act = [a / (1 + math.exp(-a)) * b for a, b in zip(gt, up)]
//             mlp.append(lin(W[p + 'mlp.down_proj.weight'], act, H))
//         x = [[a + b for a, b in zip(xr, mr)] for xr, mr in zip(x, mlp)]
//     x = [rms(r, W['model.norm.weight'], eps) for r in x]
//     head = W['model.embed_tokens.weight'] if c['tied'] else W['lm_head.weight']
//     return [lin(head, r, c['vocab']) for r in x]
//
// CASES = {
//     'B1': (dict(arch='LlamaForCausalLM', vocab=5, hidden=4, inter=3, layers=1, heads=2, kv=1, eps=1e-5,
//                 theta=10000.0, tied=False), [3, 1]),
//     'B2': (dict(arch='Qwen2ForCausalLM', vocab=6, hidden=4, inter=5, layers=1, heads=2, kv=1, head_dim=4,
//                 eps=1e-6, theta=100.0, tied=True), [5, 0, 2]),
//     'B3': (dict(arch='LlamaForCausalLM', vocab=5, hidden=4, inter=3, layers=2, heads=2, kv=1, head_dim=4,
//                 eps=1e-5, theta=100.0, tied=False, attention_bias=True,
//                 rope_scaling=dict(factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
//                                   original_max_position_embeddings=16)), [4, 2, 1]),
// }
// for name, (c, ids) in CASES.items():
//     logits = forward(c, make_weights(c), ids)
//     print(name, '=', repr([v for r in logits for v in r]))
// print('B3_INV_FREQ =', repr(inv_freqs(4, 100.0, CASES['B3'][0]['rope_scaling'])))
// print('LLAMA32_INV_FREQ =', repr(inv_freqs(64, 500000.0, dict(factor=32.0, low_freq_factor=1.0,
//       high_freq_factor=4.0, original_max_position_embeddings=8192))))
// ------------------------------------------------------------------------------------------------------------------

import { describe, expect, it } from "vitest";
import { referenceLogits, ropeInvFreq, type RefConfig } from "../../reference/llama-f64.ts";

// ---- the script's weight maker, mirrored (same integer arithmetic, hence the same doubles) ----

function gen(seed: number, n: number, scale: number, offset: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(offset + scale * ((((k + 1) * 7919 + seed * 104729) % 1009) / 1009 - 0.5));
  return out;
}

type Kind = "mat" | "bias" | "norm";

function tensorList(c: RefConfig): [string, number, Kind][] {
  const H = c.hidden_size, I = c.intermediate_size, nh = c.num_attention_heads, nkv = c.num_key_value_heads ?? nh;
  const hd = c.head_dim ?? H / nh;
  const qwen = c.architectures[0] === "Qwen2ForCausalLM";
  const qkvB = qwen || c.attention_bias === true;
  const oB = !qwen && c.attention_bias === true;
  const out: [string, number, Kind][] = [["model.embed_tokens.weight", c.vocab_size * H, "mat"]];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    out.push([p + "input_layernorm.weight", H, "norm"]);
    out.push([p + "self_attn.q_proj.weight", nh * hd * H, "mat"]);
    if (qkvB) out.push([p + "self_attn.q_proj.bias", nh * hd, "bias"]);
    out.push([p + "self_attn.k_proj.weight", nkv * hd * H, "mat"]);
    if (qkvB) out.push([p + "self_attn.k_proj.bias", nkv * hd, "bias"]);
    out.push([p + "self_attn.v_proj.weight", nkv * hd * H, "mat"]);
    if (qkvB) out.push([p + "self_attn.v_proj.bias", nkv * hd, "bias"]);
    out.push([p + "self_attn.o_proj.weight", H * nh * hd, "mat"]);
    if (oB) out.push([p + "self_attn.o_proj.bias", H, "bias"]);
    out.push([p + "post_attention_layernorm.weight", H, "norm"]);
    out.push([p + "mlp.gate_proj.weight", I * H, "mat"]);
    out.push([p + "mlp.up_proj.weight", I * H, "mat"]);
    out.push([p + "mlp.down_proj.weight", H * I, "mat"]);
  }
  out.push(["model.norm.weight", H, "norm"]);
  if (c.tie_word_embeddings !== true) out.push(["lm_head.weight", c.vocab_size * H, "mat"]);
  return out;
}

const KIND: Record<Kind, [number, number]> = { mat: [2.0, 0.0], bias: [0.5, 0.0], norm: [0.5, 1.0] };

function makeWeights(c: RefConfig): Map<string, number[]> {
  const w = new Map<string, number[]>();
  tensorList(c).forEach(([name, n, kind], i) => w.set(name, gen(i + 1, n, ...KIND[kind])));
  return w;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (!(Math.abs(a - e) <= rel * Math.max(1, Math.abs(e)))) {
      expect.fail(`element ${i}: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)})`);
    }
  }
}

// ---- configs of the script's cases ----

const B1: RefConfig = {
  architectures: ["LlamaForCausalLM"], vocab_size: 5, hidden_size: 4, intermediate_size: 3, num_hidden_layers: 1,
  num_attention_heads: 2, num_key_value_heads: 1, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false,
};
const B2: RefConfig = {
  architectures: ["Qwen2ForCausalLM"], vocab_size: 6, hidden_size: 4, intermediate_size: 5, num_hidden_layers: 1,
  num_attention_heads: 2, num_key_value_heads: 1, head_dim: 4, rms_norm_eps: 1e-6, rope_theta: 100,
  tie_word_embeddings: true,
};
const B3: RefConfig = {
  architectures: ["LlamaForCausalLM"], vocab_size: 5, hidden_size: 4, intermediate_size: 3, num_hidden_layers: 2,
  num_attention_heads: 2, num_key_value_heads: 1, head_dim: 4, rms_norm_eps: 1e-5, rope_theta: 100,
  tie_word_embeddings: false, attention_bias: true,
  rope_scaling: { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 },
};

// ---- (a) layers that add nothing ----

describe("(a) zero o_proj/down_proj: logits = rmsnorm(embed) · lm_head", () => {
  // hidden 4, eps = 3 (chosen so the norms are exact): every embedding row below has mean(x^2) + 3 = 4 or 16, so
  // rmsnorm divides it by 2 or 4. Token rows: e0 = [1,-1,1,-1] -> [.5,-.5,.5,-.5]; e1 = [2,0,0,0] -> [1,0,0,0];
  // e2 = [6,4,0,0] -> [1.5,1,0,0]; e3 = [0,0,0,-2] -> [0,0,0,-1]. q/k/v/gate/up (and Qwen2's biases) are left
  // non-zero: with o_proj = down_proj = 0 they must not matter.
  const embed = [1, -1, 1, -1, 2, 0, 0, 0, 6, 4, 0, 0, 0, 0, 0, -2];
  const ids = [2, 0, 3, 1];
  function build(c: RefConfig, lmHead: number[] | null): Map<string, number[]> {
    const w = makeWeights(c);
    for (const [name, n] of tensorList(c)) {
      if (name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight")) w.set(name, new Array<number>(n).fill(0));
      if (name.endsWith("norm.weight")) w.set(name, new Array<number>(n).fill(1));
    }
    w.set("model.embed_tokens.weight", embed);
    if (lmHead) w.set("lm_head.weight", lmHead);
    return w;
  }
  const base = { vocab_size: 4, hidden_size: 4, intermediate_size: 3, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, rms_norm_eps: 3 };

  it("Llama, untied lm_head", () => {
    const c: RefConfig = { ...base, architectures: ["LlamaForCausalLM"], tie_word_embeddings: false };
    const lmHead = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, -1, 1, 1, 1, 1];
    // normed · lm_head rows, by hand:
    const expected = [
      1.5, 1, 0, 2.5, // token 2: [1.5,1,0,0]
      0.5, -0.5, 1, 0, // token 0: [.5,-.5,.5,-.5]
      0, 0, 1, -1, // token 3: [0,0,0,-1]
      1, 0, 0, 1, // token 1: [1,0,0,0]
    ];
    expectClose(referenceLogits(c, build(c, lmHead), ids), expected, 1e-14);
  });

  it("Qwen2, tied embeddings (lm_head = embed_tokens)", () => {
    const c: RefConfig = { ...base, architectures: ["Qwen2ForCausalLM"], tie_word_embeddings: true };
    // normed · embed rows (e0, e1, e2, e3), by hand:
    const expected = [
      0.5, 3, 13, 0, // [1.5,1,0,0]
      2, 1, 1, 1, // [.5,-.5,.5,-.5]
      1, 0, 0, 2, // [0,0,0,-1]
      1, 2, 6, 0, // [1,0,0,0]
    ];
    expectClose(referenceLogits(c, build(c, null), ids), expected, 1e-14);
  });
});

// ---- (b) tiny models against the python script ----

describe("(b) tiny models match the independent python3 forward", () => {
  it("B1: Llama, 1 layer, hidden 4, 2 heads / 1 kv head (head_dim 2), untied, T=2", () => {
    const expected = [
      1.341480481426974, 0.3039826905463864, -0.1631916233780541, 0.6319644829744764, 0.026342289514235374,
      -1.743411328416942, -0.13611575559084957, 1.0035003454075175, -0.7298976751778159, 0.366527543780443,
    ];
    expectClose(referenceLogits(B1, makeWeights(B1), [3, 1]), expected, 1e-12);
  });

  it("B2: Qwen2 (q/k/v biases), head_dim 4 != hidden/heads, theta 100, tied, T=3", () => {
    const expected = [
      0.4315990431338546, -2.4450622254750805, 1.566176715745701, 0.7465554035221804, -1.1987914126703894,
      0.3744915711953124, 0.4131773236345559, -2.4887254692808787, 1.5395378187091455, 0.7521284643819731,
      -1.1023539223277599, 0.35171914976277185, -0.5329921913129612, -1.7353185678810317, 2.1024874843171286,
      -0.22640612711497218, 1.0366226999865442, -0.5885819721840251,
    ];
    expectClose(referenceLogits(B2, makeWeights(B2), [5, 0, 2]), expected, 1e-12);
  });

  it("B3: Llama with attention_bias (q/k/v/o) and llama3 RoPE, 2 layers, T=3", () => {
    const expected = [
      0.0514008394308237, -0.47392854057282263, -0.2828944951102304, 2.562613778549476, -0.6171898296512844,
      -0.0934399153975688, -0.5360347780238719, -0.5064655979474348, 2.470236376191489, -0.9194912804973007,
      0.08362775015993257, -0.5631542043297351, -0.40941155230925486, 2.6025429474861945, -0.9024508547784422,
    ];
    expectClose(referenceLogits(B3, makeWeights(B3), [4, 2, 1]), expected, 1e-12);
    // Its inv_freq: [1, 0.1] before scaling; wavelen 2π lies between 16/4 and 16/1 (smoothed), 20π > 16 (÷ 8).
    expectClose(ropeInvFreq(B3), [0.5760564010955116, 0.0125], 1e-14);
  });
});

// ---- (c) llama3 inv_freq, Llama-3.2-1B ----

describe("(c) llama3 rope scaling with Llama-3.2-1B's settings", () => {
  const cfg: RefConfig = {
    architectures: ["LlamaForCausalLM"], vocab_size: 128256, hidden_size: 2048, intermediate_size: 8192,
    num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 64, rms_norm_eps: 1e-5,
    rope_theta: 500000, tie_word_embeddings: true,
    rope_scaling: { rope_type: "llama3", factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
  };
  const fromPython = [
    1.0, 0.6636012376960885, 0.44036660267178046, 0.2922278225730151, 0.19392274474868576, 0.12868737343265052,
    0.08539710028576561, 0.056669621445291044, 0.03760603093086393, 0.024955408670558694, 0.016560440080994446,
    0.010989528534539826, 0.0072926647372171085, 0.004839421345719893, 0.0032114459947525913, 0.001290547928209264,
    0.00042955679655936815, 9.70828780262767e-05, 1.9461638184831125e-05, 1.291476718704739e-05,
    8.570255489881478e-06, 5.687232150457046e-06, 3.7740542941082826e-06, 2.5044671007024935e-06,
    1.661967467795309e-06, 1.102883668639601e-06, 7.318749675440419e-07, 4.856731343010108e-07,
    3.2229329303788936e-07, 2.138742281610915e-07, 1.4192720251899592e-07, 9.418306725434909e-08,
  ];

  it("all 32 entries match the python script", () => {
    const inv = ropeInvFreq(cfg);
    expect(inv.length).toBe(32);
    for (let i = 0; i < 32; i++) expect(Math.abs(inv[i]! - fromPython[i]!)).toBeLessThanOrEqual(1e-13 * fromPython[i]!);
  });

  it("the three regions: high frequencies unchanged, low ones divided by 32, the band between smoothed", () => {
    const inv = ropeInvFreq(cfg);
    const plain = (i: number) => Math.pow(500000, -(2 * i) / 64);
    // wavelen 2π/plain(i) < 8192/4 = 2048 for i <= 14 (i = 14: ≈1956): unchanged.
    for (const i of [0, 7, 14]) expect(inv[i]).toBeCloseTo(plain(i), 15);
    // wavelen > 8192 for i >= 18 (i = 18: ≈10089): divided by the factor.
    for (const i of [18, 24, 31]) expect(Math.abs(inv[i]! - plain(i) / 32)).toBeLessThan(1e-15 * plain(i));
    // i = 15, 16, 17 (wavelen ≈2948, ≈4443, ≈6695) lie in [2048, 8192]: strictly between plain/32 and plain.
    for (const i of [15, 16, 17]) {
      expect(inv[i]!).toBeLessThan(plain(i));
      expect(inv[i]!).toBeGreaterThan(plain(i) / 32);
    }
  });

  it("rope_scaling.type is accepted as the old spelling of rope_type", () => {
    const { rope_type: _unused, ...rest } = cfg.rope_scaling!;
    expect(Array.from(ropeInvFreq({ ...cfg, rope_scaling: { ...rest, type: "llama3" } }))).toEqual(Array.from(ropeInvFreq(cfg)));
  });
});

// ---- (d) causality ----

describe("(d) causality", () => {
  it("changing the last token does not change earlier rows (and does change the last row)", () => {
    const w = makeWeights(B3);
    const V = B3.vocab_size;
    const a = referenceLogits(B3, w, [4, 2, 1, 3, 0]);
    const b = referenceLogits(B3, w, [4, 2, 1, 3, 2]);
    expect(Array.from(b.subarray(0, 4 * V))).toEqual(Array.from(a.subarray(0, 4 * V)));
    let maxDiff = 0;
    for (let i = 4 * V; i < 5 * V; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    expect(maxDiff).toBeGreaterThan(1e-3);
  });

  it("a prefix's logits equal the first rows of the longer sequence's", () => {
    const w = makeWeights(B2);
    const full = referenceLogits(B2, w, [5, 0, 2, 1]);
    const prefix = referenceLogits(B2, w, [5, 0, 2]);
    expect(Array.from(full.subarray(0, prefix.length))).toEqual(Array.from(prefix));
  });
});

// ---- (e) grouped-query attention ----

describe("(e) grouped-query attention", () => {
  it("4 query heads / 2 kv heads equals 4 / 4 with the kv weights repeated as repeat_kv does ([kv0, kv0, kv1, kv1])", () => {
    const gqa: RefConfig = {
      architectures: ["Qwen2ForCausalLM"], vocab_size: 7, hidden_size: 8, intermediate_size: 6, num_hidden_layers: 1,
      num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: false,
    };
    const mha: RefConfig = { ...gqa, num_key_value_heads: 4 };
    const w = makeWeights(gqa);
    const hd = 2, H = 8;
    const w2 = new Map(w);
    for (const proj of ["k", "v"]) {
      const W = w.get(`model.layers.0.self_attn.${proj}_proj.weight`)!; // (2 * hd, H)
      const B = w.get(`model.layers.0.self_attn.${proj}_proj.bias`)!; // (2 * hd)
      const rows = (kv: number) => W.slice(kv * hd * H, (kv + 1) * hd * H);
      const bias = (kv: number) => B.slice(kv * hd, (kv + 1) * hd);
      w2.set(`model.layers.0.self_attn.${proj}_proj.weight`, [...rows(0), ...rows(0), ...rows(1), ...rows(1)]);
      w2.set(`model.layers.0.self_attn.${proj}_proj.bias`, [...bias(0), ...bias(0), ...bias(1), ...bias(1)]);
    }
    const ids = [1, 6, 3, 0, 2];
    expectClose(referenceLogits(gqa, w, ids), referenceLogits(mha, w2, ids), 1e-13);
  });
});

// ---- (f) refusals ----

describe("(f) refuses what it does not implement", () => {
  const w = makeWeights(B1);
  it("unknown architecture", () => {
    expect(() => referenceLogits({ ...B1, architectures: ["MistralForCausalLM"] }, w, [0])).toThrow(/architectures/);
  });
  it("unknown rope type", () => {
    const rope_scaling = { rope_type: "yarn", factor: 4, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 };
    expect(() => referenceLogits({ ...B1, rope_scaling }, w, [0])).toThrow(/rope type/);
  });
  it("a missing tensor, or one of the wrong size", () => {
    const missing = new Map(w);
    missing.delete("lm_head.weight");
    expect(() => referenceLogits(B1, missing, [0])).toThrow(/missing tensor lm_head.weight/);
    const short = new Map(w);
    short.set("model.norm.weight", [1, 1, 1]);
    expect(() => referenceLogits(B1, short, [0])).toThrow(/model.norm.weight/);
  });
  it("non-silu activation, Qwen2 sliding window, out-of-range ids", () => {
    expect(() => referenceLogits({ ...B1, hidden_act: "gelu" }, w, [0])).toThrow(/hidden_act/);
    expect(() => referenceLogits({ ...B2, use_sliding_window: true }, makeWeights(B2), [0])).toThrow(/sliding/);
    expect(() => referenceLogits(B1, w, [5])).toThrow(/out of range/);
  });
});
