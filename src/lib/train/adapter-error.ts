// The error of a bad adapter (its files, its config, a rank that does not fit): the file, then what is wrong. Its own
// module so that lora.ts (rank checks) and adapter.ts (reading and writing adapters) both throw it without importing
// each other.

export class AdapterError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "AdapterError";
  }
}
