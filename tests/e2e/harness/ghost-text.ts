// ghost-text.ts — e2e harness: mounts src/routes/playground/CodeEditor.svelte with a deterministic fake
// completer that records each call, waits a set delay, honours the AbortSignal (or, when told, ignores it and
// answers anyway) and answers from a table keyed by the prefix's last line. Puts the controls on
// window.ghost for tests/e2e/ghost-text.test.ts. Test code only, not part of the app.

import { flushSync, mount, unmount } from "svelte";
import "../../../src/app.css";
import CodeEditor from "../../../src/routes/playground/CodeEditor.svelte";
import type { Completer, CompletionMode, CompletionRequest, SuggestionLatency } from "../../../src/lib/editor/suggestion.ts";

export interface CallRecord {
  req: CompletionRequest;
  /** performance.now() when the completer was called. */
  at: number;
  aborted: boolean;
  answered: boolean;
}

export interface MountOptions {
  text?: string;
  /** Cursor offset after mounting (default: end of text). */
  cursor?: number;
  language?: string;
  mode?: CompletionMode;
  debounceMs?: number;
}

const state = {
  calls: [] as CallRecord[],
  latencies: [] as SuggestionLatency[],
  delayMs: 50,
  ignoreAbort: false,
  replies: {} as Record<string, string>,
  fallback: "",
  /** performance.now() of the last keydown anywhere on the page. */
  lastKeyAt: 0,
  /** Every ghost text that reached the DOM, with performance.now() when the observer saw it. */
  seen: [] as { text: string; at: number }[],
};

addEventListener("keydown", () => (state.lastKeyAt = performance.now()), { capture: true });
new MutationObserver((records) => {
  const at = performance.now();
  for (const r of records) {
    for (const node of r.addedNodes) {
      if (node instanceof HTMLElement && node.classList.contains("cm-ghost-text")) state.seen.push({ text: node.textContent ?? "", at });
    }
  }
}).observe(document.body, { childList: true, subtree: true });

function lastLine(prefix: string): string {
  return prefix.slice(prefix.lastIndexOf("\n") + 1).trim();
}

const completer: Completer = (req, signal) => {
  const call: CallRecord = { req, at: performance.now(), aborted: false, answered: false };
  state.calls.push(call);
  const text = state.replies[lastLine(req.prefix)] ?? state.fallback;
  const delay = state.delayMs;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      call.answered = true;
      resolve({ text, ms: delay });
    }, delay);
    signal.addEventListener(
      "abort",
      () => {
        call.aborted = true;
        if (state.ignoreAbort) return; // answers anyway: the editor must drop it
        clearTimeout(timer);
        reject(new DOMException("aborted", "AbortError"));
      },
      { once: true },
    );
  });
};

interface Editor {
  focus(): void;
  getText(): string;
  setCursor(pos: number): void;
}
let editor: Editor | null = null;
const target = document.getElementById("app")!;

const api = {
  mount(opts: MountOptions = {}): void {
    if (editor) void unmount(editor);
    state.calls = [];
    state.latencies = [];
    state.seen = [];
    const text = opts.text ?? "";
    editor = mount(CodeEditor, {
      target,
      props: {
        initialText: text,
        language: opts.language ?? "python",
        mode: opts.mode ?? "line",
        debounceMs: opts.debounceMs ?? 250,
        completer,
        onLatency: (l: SuggestionLatency) => state.latencies.push(l),
      },
    });
    flushSync(); // onMount has created the EditorView
    editor.setCursor(opts.cursor ?? text.length);
    editor.focus();
  },
  configure(c: { delayMs?: number; ignoreAbort?: boolean; replies?: Record<string, string>; fallback?: string }): void {
    if (c.delayMs !== undefined) state.delayMs = c.delayMs;
    if (c.ignoreAbort !== undefined) state.ignoreAbort = c.ignoreAbort;
    if (c.replies) state.replies = c.replies;
    if (c.fallback !== undefined) state.fallback = c.fallback;
  },
  calls: (): CallRecord[] => state.calls,
  latencies: (): SuggestionLatency[] => state.latencies,
  seen: () => state.seen,
  lastKeyAt: () => state.lastKeyAt,
  text: (): string => editor?.getText() ?? "",
  ghost: (): string | null => document.querySelector(".cm-ghost-text")?.textContent ?? null,
};

declare global {
  interface Window {
    ghost: typeof api;
  }
}
window.ghost = api;
