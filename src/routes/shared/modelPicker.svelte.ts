// modelPicker.svelte.ts — the app-wide model choice, shared by Train, Playground and Export: the embedded default
// (public/models/index.json, offline), a Hugging Face repo (size asked before anything is downloaded; downloads are
// cached by the workers, so a reload resumes from the files already kept), a local folder, or one of web-llm's prebuilt
// builds (Playground only). The choice (not a folder's files) survives a reload through localStorage.

import { taggedLabel } from "../../lib/export/model-name.ts";
import { checkRepoId, hubDownloadSize } from "../../lib/model/hub-files.ts";
import type { ModelSource } from "../../workers/train.worker.ts";
import { HUB_MODELS, WEBLLM_MODELS, type EmbeddedModel, type HubModel, type WebLlmModel } from "./catalog.ts";
import { readStored, writeStored } from "./stored.ts";

export type ModelPick =
  | { kind: "embedded"; model: EmbeddedModel }
  | { kind: "hub"; repo: string; known?: HubModel }
  | { kind: "folder"; label: string; files: File[] }
  | { kind: "webllm"; model: WebLlmModel };

const STORAGE_KEY = "fim-studio.model";
const BASE = import.meta.env.BASE_URL;

export function embeddedUrl(m: EmbeddedModel): string {
  return `${BASE}models/${m.path.replace(/^\/+|\/+$/g, "")}/`;
}

/** What the train and inference workers load; null for web-llm (its own engine loads it). */
export function sourceOf(p: ModelPick): ModelSource | null {
  switch (p.kind) {
    case "embedded":
      return { kind: "url", url: embeddedUrl(p.model) };
    case "hub":
      return { kind: "hub", repo: p.repo };
    case "folder":
      return { kind: "files", files: p.files };
    case "webllm":
      return null;
  }
}

export function labelOf(p: ModelPick): string {
  switch (p.kind) {
    case "embedded":
      return taggedLabel(p.model.label, "embedded");
    case "hub":
      return p.repo;
    case "folder":
      return taggedLabel(p.label, "folder");
    case "webllm":
      return p.model.label;
  }
}

/** A key naming the choice, for run keys and caches (a folder by its name and total size). */
export function keyOf(p: ModelPick): string {
  switch (p.kind) {
    case "embedded":
      return `embedded:${p.model.id}`;
    case "hub":
      return `hub:${p.repo}`;
    case "folder":
      return `folder:${p.label}:${p.files.reduce((a, f) => a + f.size, 0)}`;
    case "webllm":
      return `webllm:${p.model.id}`;
  }
}

export class ModelPicker {
  embedded = $state.raw<EmbeddedModel[]>([]);
  embeddedError = $state<string | null>(null);
  pick = $state.raw<ModelPick | null>(null);
  /** Bytes a hub choice will download (asked from the Hub), null while unknown. */
  hubBytes = $state<number | null>(null);
  hubError = $state<string | null>(null);
  checkingHub = $state(false);
  private listed: Promise<void> | undefined;
  private hubAsk = 0;

  /** Reads the embedded list (once) and restores the last choice; picks the first embedded model otherwise. */
  init(): Promise<void> {
    return (this.listed ??= this.list());
  }

  private async list(): Promise<void> {
    try {
      const r = await fetch(`${BASE}models/index.json`);
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const json = (await r.json()) as { models?: EmbeddedModel[] };
      this.embedded = Array.isArray(json.models) ? json.models : [];
    } catch (e) {
      this.embeddedError = `The list of embedded models (models/index.json) could not be read (${(e as Error).message}).`;
    }
    if (this.pick) return;
    const saved = this.restore();
    if (saved) return void this.choose(saved);
    if (this.embedded[0]) this.choose({ kind: "embedded", model: this.embedded[0] });
  }

  private restore(): ModelPick | null {
    const s = readStored(STORAGE_KEY, (raw) => raw as { kind?: unknown; id?: unknown } | null);
    if (typeof s?.id !== "string") return null;
    const id = s.id;
    if (s.kind === "embedded") {
      const m = this.embedded.find((e) => e.id === id);
      return m ? { kind: "embedded", model: m } : null;
    }
    if (s.kind === "hub") return { kind: "hub", repo: id, known: HUB_MODELS.find((h) => h.repo === id) };
    if (s.kind === "webllm") {
      const m = WEBLLM_MODELS.find((w) => w.id === id);
      return m ? { kind: "webllm", model: m } : null;
    }
    return null;
  }

  choose(p: ModelPick): void {
    this.pick = p;
    this.hubBytes = null;
    this.hubError = null;
    const id = p.kind === "embedded" ? p.model.id : p.kind === "hub" ? p.repo : p.kind === "webllm" ? p.model.id : null;
    if (id) writeStored(STORAGE_KEY, { kind: p.kind, id });
    if (p.kind === "hub") void this.askHubSize(p.repo);
  }

  /** Validates a typed repo id; returns the problem in words, or null once chosen. */
  chooseRepo(repo: string): string | null {
    const id = repo.trim();
    try {
      checkRepoId(id);
    } catch (e) {
      return (e as Error).message;
    }
    this.choose({ kind: "hub", repo: id, known: HUB_MODELS.find((h) => h.repo === id) });
    return null;
  }

  private async askHubSize(repo: string): Promise<void> {
    const ask = ++this.hubAsk;
    this.checkingHub = true;
    try {
      const bytes = await hubDownloadSize(repo);
      if (ask === this.hubAsk) this.hubBytes = bytes;
    } catch (e) {
      if (ask === this.hubAsk) this.hubError = (e as Error).message;
    } finally {
      if (ask === this.hubAsk) this.checkingHub = false;
    }
  }

  get source(): ModelSource | null {
    return this.pick ? sourceOf(this.pick) : null;
  }
  get label(): string {
    return this.pick ? labelOf(this.pick) : "no model";
  }
  /** web-llm builds only run inference. */
  get canTrain(): boolean {
    return this.pick !== null && this.pick.kind !== "webllm";
  }
}

export const modelPicker = new ModelPicker();
