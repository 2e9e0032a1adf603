// browserCheck.svelte.ts — "Check in browser": loads the exported GGUF into llama.cpp compiled to WebAssembly
// (@wllama/wllama, which runs it in its own worker) and asks for one FIM completion of a small built-in snippet,
// with the prompt built by buildPrompt for the export's format. It proves the file loads in llama.cpp and shows
// what the model writes; it is not a quality test. wllama's wasm is served by the app itself (imported with ?url,
// so dev and build both serve it): nothing is fetched from a CDN.
import { buildPrompt } from "../../lib/fim/index.ts";

/** The snippet the check completes; the cursor is at CURSOR (removed from the text). */
const CURSOR = "<CURSOR>";
const SNIPPET_WITH_CURSOR = `def fibonacci(n):
    """Return the n-th Fibonacci number."""
    if n < 2:
        return n
    return ${CURSOR}


print(fibonacci(10))
`;
export const SNIPPET = SNIPPET_WITH_CURSOR.replace(CURSOR, "");
export const SNIPPET_CURSOR = SNIPPET_WITH_CURSOR.indexOf(CURSOR);

/** Small: the check is about loading and running, not about a long answer. */
const MAX_TOKENS = 24;
const CONTEXT_TOKENS = 512;
/**
 * Any text at all, as long as it is UTF-8: wllama passes results as JSON, and its JSON layer throws on invalid UTF-8,
 * which an untrained model's byte tokens easily make. Streaming too: llama.cpp then holds back a character cut in two
 * by the token limit instead of sending half of it.
 */
const VALID_UTF8 = "root ::= [^\\x00]*";

export type CheckStatus = "idle" | "loading" | "completing" | "done" | "error";

export class BrowserCheck {
  status = $state<CheckStatus>("idle");
  prompt = $state("");
  completion = $state<string | null>(null);
  loadMs = $state(0);
  completeMs = $state(0);
  threads = $state(1);
  error = $state<string | null>(null);

  readonly busy = $derived(this.status === "loading" || this.status === "completing");

  reset(): void {
    if (this.busy) return;
    this.status = "idle";
    this.completion = null;
    this.error = null;
  }

  /** Loads `gguf` (a Blob or the File written) and completes the snippet in `format`. */
  async run(gguf: Blob, format: string): Promise<void> {
    if (this.busy) return;
    this.error = null;
    this.completion = null;
    this.status = "loading";
    const built = buildPrompt({ format, document: SNIPPET, cursor: SNIPPET_CURSOR });
    this.prompt = built.prompt;
    if (!("Suspending" in WebAssembly)) {
      // wllama's own build needs JSPI; its fallback build for other browsers would come from a CDN, which we never use.
      this.error = "This browser cannot run llama.cpp's WebAssembly build (it lacks WebAssembly JSPI): use a recent Chrome or Edge for the check, or run the file with Ollama or llama.cpp (see “Run it”).";
      this.status = "error";
      return;
    }
    let wllama: import("@wllama/wllama/esm/index.js").Wllama | undefined;
    try {
      // Loaded on demand: the page does not pay for wllama until the button is pressed.
      const [{ Wllama, LoggerWithoutDebug }, { default: wasmUrl }] = await Promise.all([
        import("@wllama/wllama/esm/index.js"),
        import("@wllama/wllama/esm/wasm/wllama.wasm?url"),
      ]);
      wllama = new Wllama({ default: wasmUrl }, { logger: LoggerWithoutDebug, suppressNativeLog: true });
      // No compatibility build from a CDN: Chromium has JSPI and Memory64, so the served wasm runs as it is.
      wllama.setCompat(null);
      let t0 = performance.now();
      // CPU only: the check must not depend on a GPU; one thread unless the page is cross-origin isolated.
      await wllama.loadModel([gguf], { n_ctx: CONTEXT_TOKENS, n_gpu_layers: 0, n_parallel: 1 });
      this.loadMs = performance.now() - t0;
      this.threads = wllama.getNumThreads();
      this.status = "completing";
      t0 = performance.now();
      let text = "";
      await wllama.createCompletion({
        prompt: built.prompt,
        max_tokens: MAX_TOKENS,
        temperature: 0,
        seed: 1,
        stop: built.stop,
        grammar: VALID_UTF8,
        stream: true,
        onData: (chunk) => void (text += chunk.choices[0]?.text ?? ""),
      });
      this.completeMs = performance.now() - t0;
      this.completion = text;
      this.status = "done";
    } catch (e) {
      this.error = `llama.cpp (WebAssembly) could not run the file: ${e instanceof Error ? e.message : String(e)}. If the model is large, the browser may lack the memory: try a smaller type such as q4_0.`;
      this.status = "error";
    } finally {
      await wllama?.exit().catch(() => {});
    }
  }
}

export const browserCheck = new BrowserCheck();
