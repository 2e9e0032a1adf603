// form.svelte.ts — state of the Export page's choices: the model folder and the optional adapter folder (with what
// the worker found in them: sizes per type, the adapter's rank and FIM format, or what is wrong), the export type,
// the FIM format, the name and where the file goes. Each problem is kept with the control it belongs to.
import { FORMATS } from "../../lib/fim/index.ts";
import type { ExportType } from "../../lib/export/plan.ts";
import { modelName, modelNameProblem } from "../../lib/export/model-name.ts";
import type { AdapterInfo, ModelInfo, PickedFolder } from "../../workers/export.worker.ts";
import { exportWorker } from "./worker.ts";

export const DEFAULT_TYPE: ExportType = "q4_0";
/** The format when the adapter does not say (Qwen2.5-Coder's own, the usual base). */
export const DEFAULT_FORMAT = "qwen";

/** Whether this browser can stream a file to disk (File System Access API; Chromium-based browsers). */
export function canSaveToDisk(): boolean {
  return typeof window !== "undefined" && "showSaveFilePicker" in window;
}

export class ExportForm {
  model = $state.raw<PickedFolder | null>(null);
  adapter = $state.raw<PickedFolder | null>(null);
  type = $state<ExportType>(DEFAULT_TYPE);
  format = $state(DEFAULT_FORMAT);
  name = $state("");
  /** Stream to a file chosen first (when the browser can), else build a Blob offered as a download. */
  saveToDisk = $state(canSaveToDisk());

  inspecting = $state(false);
  modelInfo = $state.raw<ModelInfo | null>(null);
  modelError = $state<string | null>(null);
  adapterInfo = $state.raw<AdapterInfo | null>(null);
  adapterError = $state<string | null>(null);

  /** Set once the user edits the name or format, so a new folder no longer overwrites them. */
  private nameEdited = false;
  private formatEdited = false;
  private inspection = 0;

  readonly nameError = $derived(modelNameProblem(this.name));
  readonly formatError = $derived(FORMATS[this.format] ? null : `Unknown format "${this.format}": pick one from the list.`);

  setModel(folder: PickedFolder | null): void {
    this.model = folder;
    this.modelInfo = null;
    this.modelError = null;
    if (folder && !this.nameEdited) this.name = modelName(folder.label);
    void this.inspect();
  }

  setAdapter(folder: PickedFolder | null): void {
    this.adapter = folder;
    this.adapterInfo = null;
    this.adapterError = null;
    if (!folder && !this.formatEdited) this.format = DEFAULT_FORMAT;
    void this.inspect();
  }

  editName(name: string): void {
    this.nameEdited = true;
    this.name = name;
  }

  editFormat(format: string): void {
    this.formatEdited = true;
    this.format = format;
  }

  /** Asks the worker what the folders hold; answers of an older inspection are dropped. */
  async inspect(): Promise<void> {
    const id = ++this.inspection;
    if (!this.model && !this.adapter) {
      this.inspecting = false;
      return;
    }
    this.inspecting = true;
    try {
      const found = await exportWorker().inspect(this.model, this.adapter);
      if (id !== this.inspection) return;
      if (this.model) {
        this.modelInfo = found.model.ok ? found.model.value : null;
        this.modelError = found.model.ok ? null : sentence(found.model.error);
      }
      if (found.adapter) {
        this.adapterInfo = found.adapter.ok ? found.adapter.value : null;
        this.adapterError = found.adapter.ok ? null : sentence(found.adapter.error);
        const format = found.adapter.ok ? found.adapter.value.format : undefined;
        if (format && !this.formatEdited) this.format = format;
      }
    } catch (e) {
      if (id !== this.inspection) return;
      const message = `Could not read the folder (${e instanceof Error ? e.message : String(e)}): choose it again.`;
      if (this.model) this.modelError = message;
      else this.adapterError = message;
    } finally {
      if (id === this.inspection) this.inspecting = false;
    }
  }
}

/** "config.json: …" -> "Config.json: …" would be wrong; only a lowercase first word is capitalised. */
function sentence(text: string): string {
  return /^[a-z]+ /.test(text) ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

export const exportForm = new ExportForm();
