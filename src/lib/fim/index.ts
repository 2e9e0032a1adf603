// The FIM data library: formats, splitting, filters, dataset building, prompts. Pure TypeScript that runs
// in the page, in workers and in Node. Import from here, not from the files inside.

export * from "./types.ts";
export * from "./formats.ts";
export { CTX_BANNED_LANGUAGES, DATA_FORMAT_LANGUAGES, detectLanguage, languageFromPath, languageFromShebang } from "./languages.ts";
export { classifyFile, countLines, decodeText, MIN_CHARS, MIN_LINES, utf8Length } from "./filters.ts";
export { Rng, hashString } from "./prng.ts";
export * from "./split.ts";
export { renderPlain, renderPrompt, renderSample } from "./render.ts";
export { sampleAtCursor, sampleFile, type SampleOptions, type SourceText } from "./sample.ts";
export * from "./dataset.ts";
export {
  assignSplit, evalShare, holdOutSamples, isEvalFile, MIN_FILES_TO_SPLIT_BY_FILE, sampleKey, splitUnitFor,
  type SplitPart, type WithSplit,
} from "./eval-split.ts";
export {
  codeTokens, DEFAULT_NEAR_DUP_THRESHOLD, estimateJaccard, jaccard, minHash, NEAR_DUP, nearDuplicatesAcrossSplit, NearDupIndex,
  type Signature, type SplitFile,
} from "./near-dup.ts";
export {
  buildPrompt, capParts, escapeMarkers, fitParts, fitPromptParts, headChars, keepHead, keepTail, tailChars, UNIT_CHARS, type BuiltPrompt,
  type PromptBudget, type PromptParts, type PromptRequest,
} from "./prompt.ts";
export { HEAL_MAX_CHARS, healPoint, typedText } from "./heal.ts";
export { completionPlan, cutAtStop, type CompletionMode, type CompletionPlan } from "./completion-plan.ts";
export { memorySource, toJsonl, type MemoryFile } from "./sources.ts";
export { editSimilarity, exactMatch, levenshtein, scoreAll, type MetricTotals } from "./metrics.ts";
// The built-in corpus: import "./builtin.ts" directly (not re-exported, to keep it out of page bundles).
