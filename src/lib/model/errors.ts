// Typed errors of the model loader. Each message names the file (and the tensor or field) that is wrong and says
// what to do about it, so the page can show it as is. Not a place for recovery logic: callers decide.

/** A safetensors file (or shard index) is malformed, truncated or uses a dtype we cannot convert. */
export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    readonly tensor: string | undefined,
    problem: string,
  ) {
    super(`${file}${tensor === undefined ? "" : `, tensor ${tensor}`}: ${problem}`);
    this.name = "SafetensorsError";
  }
}

/** config.json describes a model we do not implement, or is missing a field the math needs. */
export class ModelConfigError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    problem: string,
  ) {
    super(`${file}: ${field}: ${problem}`);
    this.name = "ModelConfigError";
  }
}

/** tokenizer.json / tokenizer_config.json cannot be loaded. */
export class TokenizerError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "TokenizerError";
  }
}

/** A checkpoint folder lacks a file, or a tensor the architecture needs is missing or mis-shaped. */
export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    readonly tensor: string | undefined,
    problem: string,
  ) {
    super(`${file}${tensor === undefined ? "" : `, tensor ${tensor}`}: ${problem}`);
    this.name = "CheckpointError";
  }
}
