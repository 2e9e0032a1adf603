// Typed errors of the GGUF export core. Each message says what is wrong and what to do about it. Not here:
// recovery (callers decide, e.g. writing a tensor as F16 when QuantizeError says it cannot be quantized).

/** A tensor cannot be stored in the requested block-quantized type (its rows do not split into whole blocks). */
export class QuantizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QuantizeError";
  }
}

/** The writer was used out of order or given a value GGUF cannot hold, or a file being read is malformed. */
export class GgufError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GgufError";
  }
}
