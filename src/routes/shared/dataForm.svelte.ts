// dataForm.svelte.ts — state of the Data page's inputs (pasted code, picked files, options); the Train page generates
// built-in samples with the same options. A module-level instance keeps it alive while the user visits other pages,
// and browser storage (persist.ts) across reloads: every change is kept, until reset() (the page's Clear).
import { DEFAULT_DATASET_OPTIONS, type DatasetOptions, type SpanUnit } from "../../lib/fim/index.ts";
import type { GenerateInput, InputFile } from "../../workers/samples.worker.ts";
import { deleteValues, loadValue, saveValue } from "./persist.ts";

/** A file the user dropped or picked, with its path relative to what they chose. */
export interface PickedFile {
  path: string;
  file: File;
}

export const DEFAULT_PASTE_NAME = "pasted.py";

/** The form but its files, as kept in browser storage. */
export interface SavedInputs {
  pasted: string;
  fileName: string;
  builtin: boolean;
  format: string;
  count: number | null;
  seed: number | null;
  evalFraction: number | null;
  spanUnit: SpanUnit;
  fimRate: number | null;
  spmRate: number | null;
  incompleteRate: number | null;
}

/** The dataset options among them (their defaults: DEFAULT_DATASET_OPTIONS). */
const OPTION_KEYS = ["format", "count", "seed", "evalFraction", "spanUnit", "fimRate", "spmRate", "incompleteRate"] as const;
type OptionKey = (typeof OPTION_KEYS)[number];

const isNumber = (v: unknown) => v === null || typeof v === "number";
const isString = (v: unknown) => typeof v === "string";
/** Every kept field with the check its kept value must pass (one kept by an older version may not): the one list. */
const SAVED_FIELDS: { readonly [K in keyof SavedInputs]: (v: unknown) => boolean } = {
  pasted: isString, fileName: isString, builtin: (v) => typeof v === "boolean", format: isString,
  count: isNumber, seed: isNumber, evalFraction: isNumber, spanUnit: (v) => v === "lines" || v === "chars",
  fimRate: isNumber, spmRate: isNumber, incompleteRate: isNumber,
};
const SAVED_KEYS = Object.keys(SAVED_FIELDS) as (keyof SavedInputs)[];

/** Storage keys: the files apart, so that typing does not copy them again. */
const INPUTS_KEY = "data.inputs";
const FILES_KEY = "data.files";
/** Typing is kept this long after the last keystroke. */
const SAVE_DELAY_MS = 200;

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
  /** Set when browser storage refused the inputs (they will not survive a reload). */
  storageNote = $state<string | null>(null);
  /** Settles once the inputs kept in browser storage are back (on page load); from then on changes are kept. */
  readonly restored: Promise<void>;

  constructor(persist = typeof indexedDB !== "undefined") {
    this.restored = persist ? this.restore() : Promise.resolve();
  }

  /** Everything back to the defaults: no code, no files, the default options; forgotten in browser storage too. */
  reset(): void {
    this.apply({ ...this.defaults(), fileName: DEFAULT_PASTE_NAME, pasted: "", builtin: false });
    this.files = [];
    this.storageNote = null;
    this.pendingSave = undefined;
    void deleteValues(INPUTS_KEY, FILES_KEY).catch(() => {});
  }

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
    return Object.fromEntries(OPTION_KEYS.map((k) => [k, this[k] ?? undefined])) as Partial<DatasetOptions>;
  }

  private inputs(): SavedInputs {
    return Object.fromEntries(SAVED_KEYS.map((k) => [k, this[k]])) as unknown as SavedInputs;
  }

  private defaults(): Pick<SavedInputs, OptionKey> {
    return Object.fromEntries(OPTION_KEYS.map((k) => [k, DEFAULT_DATASET_OPTIONS[k]])) as Pick<SavedInputs, OptionKey>;
  }

  /** Takes the fields of `s` that pass their check in SAVED_FIELDS. */
  private apply(s: Partial<SavedInputs>): void {
    for (const k of SAVED_KEYS) if (k in s && SAVED_FIELDS[k](s[k])) (this as unknown as Record<string, unknown>)[k] = s[k];
  }

  /** Brings back the kept inputs (unless the user changed the form meanwhile), then keeps every change. */
  private async restore(): Promise<void> {
    const untouched = JSON.stringify(this.inputs());
    const [inputs, files] = await Promise.all([loadValue<Partial<SavedInputs>>(INPUTS_KEY), loadValue<PickedFile[]>(FILES_KEY)]);
    if (inputs && typeof inputs === "object" && JSON.stringify(this.inputs()) === untouched) this.apply(inputs);
    const kept = Array.isArray(files) ? files.filter((f) => typeof f?.path === "string" && f.file instanceof Blob) : [];
    if (kept.length > 0 && this.files.length === 0) this.files = kept;
    this.keepChanges();
  }

  /** The typing not yet kept (saved SAVE_DELAY_MS after the last change, or when the page is left). */
  private pendingSave: (() => void) | undefined;

  private keepChanges(): void {
    let savedFiles = this.files;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refused = (what: string) => (e: unknown) => {
      this.storageNote = `Browser storage refused ${what}, so they will not survive a reload: ${e instanceof Error ? e.message : String(e)}`;
    };
    const flush = () => {
      clearTimeout(timer);
      const save = this.pendingSave;
      this.pendingSave = undefined;
      save?.();
    };
    addEventListener("pagehide", flush);
    $effect.root(() => {
      $effect(() => {
        const inputs = this.inputs();
        clearTimeout(timer);
        this.pendingSave = () => void saveValue(INPUTS_KEY, inputs).catch(refused("the pasted code and options"));
        timer = setTimeout(flush, SAVE_DELAY_MS);
      });
      $effect(() => {
        const files = this.files;
        if (files === savedFiles) return;
        savedFiles = files;
        void saveValue(FILES_KEY, files.map((f) => ({ path: f.path, file: f.file }))).catch(refused("the files"));
      });
    });
  }
}

function isInt(v: number | null): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

function inRange(v: number | null, min: number, max: number): boolean {
  return typeof v === "number" && Number.isFinite(v) && v >= min && v <= max;
}

export const dataForm = new DataForm();
