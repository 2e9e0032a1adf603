/** Renders src/lib/train/wasm/binaries.ts from wasm/kernels (both builds, base64). */
export function render(): Promise<string>;
