#!/usr/bin/python3
# The PyTorch reference for `npm run bench -- engine`: training steps of a Llama-shaped model read from the same
# safetensors checkpoint the engine bench wrote (float32, HF names), fp32 on the CPU, as a user would run it with
# Debian's python3-torch (+ libopenblas0-pthread). A minimal Llama (RMSNorm, RoPE, grouped-query attention through
# scaled_dot_product_attention when this torch has it, SwiGLU) so no transformers/peft install is needed; LoRA adapters
# r 16 on all seven projections (frozen base), or full training (every weight). Each step: forward, cross-entropy,
# backward, AdamW. Prints one JSON line: {"tokPerS": ..., "stepS": ..., "threads": ...}.
#
#   /usr/bin/python3 tests/bench/torch-train.py DIR lora|full B T THREADS STEPS
import json, math, struct, sys, time

import numpy as np
import torch
import torch.nn.functional as F

folder, mode, B, T, threads, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
torch.set_num_threads(threads)
torch.manual_seed(0)
cfg = json.load(open(f"{folder}/config.json"))


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", f"{path}: {name} is {t['dtype']}; the bench writes F32"
        a, b = t["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data, dtype=np.float32, count=(b - a) // 4, offset=a).copy()).reshape(t["shape"])
    return out


W = read_safetensors(f"{folder}/model.safetensors")
C, L, NH, NKV = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
HS = cfg.get("head_dim") or C // NH
eps, theta = cfg["rms_norm_eps"], cfg["rope_theta"]
full = mode == "full"


class Linear(torch.nn.Module):
    def __init__(self, w):
        super().__init__()
        self.w = torch.nn.Parameter(w, requires_grad=full)
        if not full:
            self.A = torch.nn.Parameter(torch.randn(16, w.shape[1]) / math.sqrt(w.shape[1]))
            self.B = torch.nn.Parameter(torch.randn(w.shape[0], 16) * 0.01)

    def forward(self, x):
        y = x @ self.w.t()
        return y if full else y + (x @ self.A.t()) @ self.B.t() * 2.0  # alpha 32 / r 16


def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


inv = 1.0 / theta ** (torch.arange(0, HS, 2).float() / HS)
ang = torch.outer(torch.arange(T).float(), inv)
cos, sin = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)


def rope(x):  # (B, H, T, HS), HF's rotate_half
    x1, x2 = x[..., : HS // 2], x[..., HS // 2 :]
    return x * cos + torch.cat([-x2, x1], -1) * sin


mask = torch.full((T, T), float("-inf")).triu(1)


def attention(q, k, v):
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)
    return torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(HS) + mask, -1) @ v


class Block(torch.nn.Module):
    def __init__(self, l):
        super().__init__()
        p = f"model.layers.{l}."
        g = lambda n: W[p + n]
        self.ln1 = torch.nn.Parameter(g("input_layernorm.weight"), requires_grad=full)
        self.ln2 = torch.nn.Parameter(g("post_attention_layernorm.weight"), requires_grad=full)
        self.lin = torch.nn.ModuleDict({n: Linear(g(f"{m}.{n}.weight")) for m, ns in
                                        [("self_attn", ["q_proj", "k_proj", "v_proj", "o_proj"]), ("mlp", ["gate_proj", "up_proj", "down_proj"])] for n in ns})

    def forward(self, x):
        b = x.shape[0]
        h = rms(x, self.ln1)
        q = self.lin["q_proj"](h).view(b, T, NH, HS).transpose(1, 2)
        k = self.lin["k_proj"](h).view(b, T, NKV, HS).transpose(1, 2)
        v = self.lin["v_proj"](h).view(b, T, NKV, HS).transpose(1, 2)
        q, k = rope(q), rope(k)
        k, v = k.repeat_interleave(NH // NKV, 1), v.repeat_interleave(NH // NKV, 1)
        a = attention(q, k, v).transpose(1, 2).reshape(b, T, NH * HS)
        x = x + self.lin["o_proj"](a)
        h = rms(x, self.ln2)
        return x + self.lin["down_proj"](F.silu(self.lin["gate_proj"](h)) * self.lin["up_proj"](h))


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = torch.nn.Parameter(W["model.embed_tokens.weight"], requires_grad=full)
        self.blocks = torch.nn.ModuleList([Block(l) for l in range(L)])
        self.lnf = torch.nn.Parameter(W["model.norm.weight"], requires_grad=full)
        head = W.get("lm_head.weight")
        self.head = None if head is None else torch.nn.Parameter(head, requires_grad=full)

    def forward(self, ids):
        x = self.wte[ids]
        for blk in self.blocks:
            x = blk(x)
        return rms(x, self.lnf) @ (self.wte if self.head is None else self.head).t()


model = Model()
opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
V = cfg["vocab_size"]
ids = torch.randint(0, V, (B, T + 1))


def step():
    logits = model(ids[:, :T])
    loss = F.cross_entropy(logits.reshape(-1, V), ids[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()


step()  # warm-up (allocations, first-call costs)
times = []
for _ in range(steps):
    t = time.perf_counter()
    step()
    times.append(time.perf_counter() - t)
best = min(times)
print(json.dumps({"stepS": best, "tokPerS": B * T / best, "threads": torch.get_num_threads(), "torch": torch.__version__}))
