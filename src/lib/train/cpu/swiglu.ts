// SwiGLU gating of the Llama MLP: out = silu(gate) * up, silu(g) = g * sigmoid(g).

import type { Arr } from "./types.ts";

// gate (n), up (n) -> out (n)
export function swigluForward(out: Arr, gate: Arr, up: Arr, n: number): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i]!;
    out[i] = (g / (1 + Math.exp(-g))) * up[i]!;
  }
}

// dout (n) -> dgate (n) +=, dup (n) +=;  silu'(g) = sigmoid(g) * (1 + g * (1 - sigmoid(g)))
export function swigluBackward(dgate: Arr, dup: Arr, dout: Arr, gate: Arr, up: Arr, n: number): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i]!;
    const sig = 1 / (1 + Math.exp(-g));
    const d = dout[i]!;
    dgate[i] = dgate[i]! + d * up[i]! * sig * (1 + g * (1 - sig));
    dup[i] = dup[i]! + d * g * sig;
  }
}
