// Array types of the CPU kernels. Every kernel is written over `Arr` so the same code runs in float32 (the
// engine) and float64 (the finite-difference tests check the backward kernels on exactly this code).

export type Arr = Float32Array | Float64Array;
export type Ids = Int32Array;
