// The one name a model gets when exported (the GGUF's general.name, the .gguf file's name, the Ollama model) and
// the one label the app shows a model under, both derived here so the command line and the app agree: the embedded
// default, public/models/fim-tiny-code/ (listed as "FIM tiny code (embedded)"), is "fim-tiny-code" whether it is
// exported by `fim export --model public/models/fim-tiny-code` or from the Export page, and is shown as
// "FIM tiny code (embedded)", never with the tag twice.

/** The tags the app puts after a label to say where the model comes from. */
export const SOURCE_TAGS = ["embedded", "folder"] as const;
export type SourceTag = (typeof SOURCE_TAGS)[number];

/** Ollama's rule for model names (lowercase), which the .gguf file's name and general.name follow too. */
export const MODEL_NAME_RULE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** When a label or folder name holds nothing usable. */
export const FALLBACK_MODEL_NAME = "fim-model";

const TRAILING_TAGS = new RegExp(`(\\s*\\((?:${SOURCE_TAGS.join("|")})\\))+\\s*$`, "i");

/** A label without the source tags at its end: "FIM tiny code (embedded) (embedded)" -> "FIM tiny code". */
export function withoutSourceTags(label: string): string {
  return label.replace(TRAILING_TAGS, "").trim();
}

/** The label the app shows: the model's own label with its source tag once. */
export function taggedLabel(label: string, tag: SourceTag): string {
  return `${withoutSourceTags(label)} (${tag})`;
}

/**
 * The export name from a folder path, a Hub repo id or a label: its last path part, source tags dropped, lowercased,
 * every run of other characters one "-": "public/models/fim-tiny-code/" and "FIM tiny code (embedded)" ->
 * "fim-tiny-code", "Qwen/Qwen2.5-Coder-0.5B" -> "qwen2.5-coder-0.5b". Always satisfies MODEL_NAME_RULE.
 */
export function modelName(source: string): string {
  const last = source.split(/[\\/]+/).filter((p) => p.trim() !== "").pop() ?? "";
  const trim = (s: string) => s.replace(/^[._-]+|[._-]+$/g, "");
  const name = trim(trim(withoutSourceTags(last).toLowerCase().replace(/[^a-z0-9._-]+/g, "-")).slice(0, 64));
  return name || FALLBACK_MODEL_NAME;
}

/** Why a name typed by the user cannot be used, or null when it can. */
export function modelNameProblem(name: string): string | null {
  if (MODEL_NAME_RULE.test(name)) return null;
  if (name === "") return "Give the model a name: it names the .gguf file and the Ollama model.";
  return "Use only lowercase letters, digits, '.', '-' and '_', starting with a letter or digit (Ollama's rule for names), at most 64 characters.";
}
