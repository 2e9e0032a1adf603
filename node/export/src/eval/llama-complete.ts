// FIM completion of held-out samples through llama.cpp (node-llama-cpp's prebuilt CPU binaries), so a GGUF export is
// scored by an independent runtime on the very samples our engine is scored on (`fim eval --gguf`). The rules are
// those of src/lib/train/complete.ts: the prompt from src/lib/fim buildPrompt (the sample's format, the same token
// budget), tokenized by the GGUF's own tokenizer with special tokens parsed (BOS first when the model wants one);
// greedy; stops on an end-of-generation token, a single-token stop string of the format, a stop string in the text,
// "\n" in line mode, or the token limit; a completion that only repeats the suffix is dropped; a cursor after typed
// text is healed as there (the line written from its start, the typed text spelled first by the same rules).
// Not here: sampling with temperature, or llama.cpp's own infill API (`fim try` uses that for foreign GGUFs).

import { completionPlan, cutAtStop, getFormat, markersOf, typedText } from "../../../../src/lib/fim/index.ts";
import type { StopReason } from "../../../../src/lib/train/complete.ts";
import type { SampleCompleter } from "../../../../src/lib/train/evaluate.ts";
import { FORMAT_KEY } from "../../../../src/lib/export/gguf-export.ts";
import type { LlamaContext, LlamaContextSequence, LlamaModel, Token, TokenBias } from "node-llama-cpp";
import { allowedIds, consume, maskLogits, NEVER, tokenPieces } from "../../../../src/lib/train/forced-text.ts";
import { endsLine, logEndMass, logProb } from "../../../../src/lib/train/line-score.ts";
import { argmax } from "../../../../src/lib/train/sampling.ts";

export interface LlamaCompleterOptions {
  /** Context in tokens; default min(2048, the model's), as our engine's generator. */
  contextSize?: number;
  /** Keep keys and values in F32 (llama.cpp's default is F16): for exact comparisons with our float32 engine. */
  f32Cache?: boolean;
  /** CPU threads for llama.cpp (default: node-llama-cpp's, every core). On a busy machine fewer can be faster. */
  threads?: number;
}

export interface LlamaCompleter extends SampleCompleter {
  /** The FIM format the GGUF was exported with (FIM Studio metadata), if it says. */
  readonly format: string | undefined;
  readonly contextSize: number;
  /** The markers of `format` that are not one token of this GGUF's vocabulary (a span format needs them single). */
  missingMarkers(format: string): string[];
  dispose(): Promise<void>;
}

/** The FIM Studio format recorded in a GGUF's metadata (`fim export` writes it), if any. */
export function ggufFormat(model: LlamaModel): string | undefined {
  const [group, key] = FORMAT_KEY.split(".") as [string, string];
  const meta = (model.fileInfo.metadata as unknown as Record<string, Record<string, unknown> | undefined>)[group];
  return typeof meta?.[key] === "string" ? (meta[key] as string) : undefined;
}

/** Sampling options under which llama.cpp reports the whole next-token distribution (softmax of the logits). */
const FULL_DISTRIBUTION = { temperature: 1, topK: 0, topP: 1, minP: 0 } as const;

/** Loads the GGUF on the CPU and returns a completer; dispose() frees the model and the llama.cpp instance. */
export async function openLlamaCompleter(path: string, o: LlamaCompleterOptions = {}): Promise<LlamaCompleter> {
  const { getLlama, LlamaLogLevel, TokenBias } = await import("node-llama-cpp");
  const llama = await getLlama({ build: "never", gpu: false, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: path });
  const contextSize = o.contextSize ?? Math.min(2048, model.trainContextSize);
  const cache = o.f32Cache ? { experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32" } as const : {};
  let context: LlamaContext;
  try {
    context = await model.createContext({ contextSize, ...cache, ...(o.threads ? { threads: o.threads } : {}) });
  } catch (e) {
    await model.dispose();
    await llama.dispose();
    throw e;
  }
  const sequence = context.getSequence();
  // Our engine samples only ids its tokenizer has; the embedding's padding rows beyond them are exported as UNUSED
  // "[PAD{i}]" tokens, which llama.cpp would sample too (an untrained model does): they are banned the same way.
  const unused = [...model.iterateAllTokens()].filter((t) => model.getTokenAttributes(t).unused);
  const bias = unused.length ? new TokenBias(model.tokenizer).set(unused, "never") : undefined;
  const completer = llamaCompleter(model, sequence, contextSize, bias, new Set(unused.map(Number)));
  return {
    ...completer,
    format: ggufFormat(model),
    contextSize,
    async dispose() {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

/** The completer over a loaded model and one of its context sequences (tests may bring their own). */
export function llamaCompleter(
  model: LlamaModel, sequence: LlamaContextSequence, contextSize: number, bias: TokenBias | undefined,
  banned: ReadonlySet<number> = new Set(),
): Omit<LlamaCompleter, "format" | "contextSize" | "dispose"> {
  const allTokens = [...model.iterateAllTokens()];
  const pieceSource = { vocabSize: allTokens.length, decode: (ids: readonly number[]) => model.detokenize(ids as Token[], true) };
  const eogIds = allTokens.filter((t) => model.isEogToken(t)).map(Number);
  /** The id of `s` when it is one special token (one token only with special tokens parsed), as our tokenizer's added tokens. */
  const specialId = (s: string): number | undefined => {
    const ids = model.tokenize(s, true);
    return ids.length === 1 && model.tokenize(s, false).length > 1 ? (ids[0] as number) : undefined;
  };
  const bos = model.tokens.shouldPrependBosToken && model.tokens.bos !== null ? [model.tokens.bos as number] : [];
  return {
    countTokens: (s) => model.tokenize(s, false).length,
    missingMarkers(format) {
      const f = getFormat(format);
      if (f.family !== "span") return []; // the ctx markers are plain text for every tokenizer
      return markersOf({ ...f, specials: [] }).filter((m) => specialId(m) === undefined);
    },
    async complete(req) {
      const f = getFormat(req.format);
      const { maxTokens } = req;
      const document = req.prefix + req.suffix;
      const heal = req.heal ?? true;
      const forcedTokens = heal ? model.tokenize(typedText(document, req.prefix.length), false).length : 0;
      const plan = completionPlan({
        format: f.name, document, cursor: req.prefix.length, mode: req.mode, heal,
        budget: { max: contextSize - maxTokens - forcedTokens, measure: (s) => model.tokenize(s, true).length },
      });
      const { stopStrings, repeatsSuffix, forced } = plan;
      const stopIds = new Set(plan.stop.map(specialId).filter((x): x is number => x !== undefined));
      const prompt = [...bos, ...(model.tokenize(plan.prompt, true) as number[])];

      await sequence.clearHistory();
      // Healing and the empty-line rule, as complete.ts does them, step by step from llama.cpp's full next-token
      // distribution (a token bias cannot ban end tokens): while the typed text is being spelled, each token is the
      // likeliest of those that agree with what is left of it (forced-text.ts; when none agrees, the rest is fed as
      // tokens); a line at a line's start is dropped once it is less likely than an empty line
      // (line-score.ts). Otherwise llama.cpp's own greedy sampling.
      const out: number[] = [];
      let feed = prompt;
      let rest = forced;
      const scoreLine = plan.singleLine && plan.atLineStart && (req.preferEmpty ?? true);
      const pieces = forced || scoreLine ? tokenPieces(pieceSource) : [];
      const ends = new Set([...stopIds, ...eogIds]);
      const V = pieceSource.vocabSize;
      const distribution = async (tokens: number[]): Promise<Float32Array> => {
        const last = tokens[tokens.length - 1]! as Token;
        const r = await sequence.controlledEvaluate([...(tokens.slice(0, -1) as Token[]), [last, { generateNext: { probabilities: true, options: FULL_DISTRIBUTION } }]]);
        const logp = new Float32Array(V).fill(NEVER);
        for (const [t, p] of r[r.length - 1]?.next.probabilities ?? []) if (p > 0 && !banned.has(t)) logp[t] = Math.log(p);
        return logp;
      };
      let steps = 0;
      while (rest && steps < maxTokens + forcedTokens) {
        const allowed = allowedIds(pieces, rest).filter((id) => !banned.has(id));
        if (allowed.length === 0) {
          const ids = model.tokenize(rest, false) as number[];
          out.push(...ids);
          feed = [...feed, ...ids];
          break;
        }
        const best = argmax(maskLogits(await distribution(feed), allowed, V));
        out.push(best);
        rest = consume(rest, pieces[best]!);
        feed = [best];
        steps++;
      }
      let text = "";
      /** Takes a generated token: why the completion ends with it, or undefined to go on. */
      const take = (id: number): StopReason | undefined => {
        if (model.isEogToken(id as Token) || stopIds.has(id)) return "stop-token";
        out.push(id);
        const all = model.detokenize(out as Token[], true); // special tokens as text, as our tokenizer decodes them
        text = all.startsWith(forced) ? all.slice(forced.length) : ""; // "" only when the context filled while spelling
        const cut = cutAtStop(text, stopStrings);
        if (cut.stopped) {
          text = cut.text;
          return "stop-string";
        }
        return prompt.length + out.length >= contextSize ? "context-full" : undefined;
      };
      let reason: StopReason = "max-tokens";
      if (scoreLine) {
        let logp = await distribution(feed);
        const logEmpty = logEndMass(logp, pieces, ends, V);
        let logLine = 0;
        for (; steps < maxTokens; steps++) {
          const id = argmax(logp);
          logLine += endsLine(pieces[id]!, id, ends) ? logEndMass(logp, pieces, ends, V) : logProb(logp, id, V);
          if (logLine < logEmpty) return { text: "", stoppedBy: "empty-line" };
          const end = take(id);
          if (end) {
            reason = end;
            break;
          }
          logp = await distribution([id]);
        }
      } else {
        const tokens = sequence.evaluate(feed as Token[], { temperature: 0, yieldEogToken: true, tokenBias: bias });
        try {
          for (; steps < maxTokens + forcedTokens; steps++) {
            const next = await tokens.next();
            if (next.done) break;
            const end = take(next.value as number);
            if (end) {
              reason = end;
              break;
            }
          }
        } finally {
          await tokens.return();
        }
      }
      if (repeatsSuffix(text)) return { text: "", stoppedBy: "repeats-suffix" };
      return { text, stoppedBy: reason };
    },
  };
}
