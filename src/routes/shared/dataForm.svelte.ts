// dataForm.svelte.ts — state of the Data page's inputs (pasted code, picked files, options); the Train page generates
// built-in samples with the same options. A module-level instance keeps it alive while the user visits other pages.
import { DEFAULT_DATASET_OPTIONS, type DatasetOptions, type SpanUnit } from "../../lib/fim/index.ts";
import type { GenerateInput, InputFile } from "../../workers/samples.worker.ts";

/** A file the user dropped or picked, with its path relative to what they chose. */
export interface PickedFile {
  path: string;
  file: File;
}

export const DEFAULT_PASTE_NAME = "pasted.py";

export class DataForm {
  pasted = $state("");
  fileName = $state(DEFAULT_PASTE_NAME);
  files = $state.raw<PickedFile[]>([]);
  builtin = $state(false);

  format = $state(DEFAULT_DATASET_OPTIONS.format);
  count = $state<number | null>(DEFAULT_DATASET_OPTIONS.count);
  seed = $state<number | null>(DEFAULT_DATASET_OPTIONS.seed);
  evalFraction = $state<number | null>(DEFAULT_DATASET_OPTIONS.evalFraction);
  spanUnit = $state<SpanUnit>(DEFAULT_DATASET_OPTIONS.spanUnit);
  fimRate = $state<number | null>(DEFAULT_DATASET_OPTIONS.fimRate);
  spmRate = $state<number | null>(DEFAULT_DATASET_OPTIONS.spmRate);
  incompleteRate = $state<number | null>(DEFAULT_DATASET_OPTIONS.incompleteRate);

  readonly filesBytes = $derived(this.files.reduce((sum, f) => sum + f.file.size, 0));
  readonly hasPaste = $derived(this.pasted.trim().length > 0);

  /** Adds files, kept sorted by path (so output does not depend on drop order); a listed path is replaced. */
  addFiles(added: PickedFile[]): void {
    const byPath = new Map(this.files.map((f) => [f.path, f]));
    for (const f of added) byPath.set(f.path, f);
    this.files = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  clearFiles(): void {
    this.files = [];
  }

  /** What is wrong with the form in plain words, or null when it can be sent. */
  problem(): string | null {
    if (!this.hasPaste && this.files.length === 0 && !this.builtin) {
      return "Nothing to generate from: paste some code, add files or a folder, or tick “Use built-in corpus”.";
    }
    if (this.hasPaste && !this.fileName.trim()) return "Give the pasted code a file name (its extension sets the language).";
    if (!isInt(this.count) || this.count < 1) return "Count must be a whole number of at least 1.";
    if (!isInt(this.seed) || this.seed < 0) return "Seed must be a whole number, 0 or more.";
    if (!inRange(this.evalFraction, 0, 1)) return "Eval fraction must be between 0 and 1.";
    for (const [name, v] of [["FIM rate", this.fimRate], ["SPM rate", this.spmRate], ["Incomplete rate", this.incompleteRate]] as const) {
      if (!inRange(v, 0, 1)) return `${name} must be between 0 and 1.`;
    }
    return null;
  }

  toInput(): GenerateInput {
    const files: InputFile[] = this.files.map((f) => ({ path: f.path, blob: f.file }));
    if (this.hasPaste) files.unshift({ path: this.fileName.trim(), text: this.pasted });
    return { files, builtin: this.builtin };
  }

  toOptions(): Partial<DatasetOptions> {
    return {
      format: this.format,
      count: this.count ?? undefined,
      seed: this.seed ?? undefined,
      evalFraction: this.evalFraction ?? undefined,
      spanUnit: this.spanUnit,
      fimRate: this.fimRate ?? undefined,
      spmRate: this.spmRate ?? undefined,
      incompleteRate: this.incompleteRate ?? undefined,
    };
  }
}

function isInt(v: number | null): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

function inRange(v: number | null, min: number, max: number): boolean {
  return typeof v === "number" && Number.isFinite(v) && v >= min && v <= max;
}

export const dataForm = new DataForm();
