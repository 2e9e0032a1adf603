// ghost-text.ts — a CodeMirror 6 extension for inline ("ghost text") completions from any Completer: a state
// field holding the suggestion shown after the cursor, a view plugin that debounces, asks the completer,
// aborts the request in flight on any edit or cursor move, and serves repeated contexts from an LRU cache, and
// a keymap (Tab accepts, Esc dismisses, Ctrl/Cmd+→ accepts one word, Alt+\ asks at once). Not the model: the
// completer is passed in; not the Svelte component either (src/routes/playground/CodeEditor.svelte).

import { Facet, Prec, StateEffect, StateField, Transaction, type EditorState, type Extension } from "@codemirror/state";
import { Decoration, EditorView, ViewPlugin, WidgetType, keymap, type ViewUpdate } from "@codemirror/view";
import { LruCache } from "./lru.ts";
import {
  DEFAULT_CACHE_WINDOW,
  cacheKey,
  nextWordLength,
  shapeSuggestion,
  typeThrough,
  type CacheWindow,
  type Completer,
  type CompletionMode,
  type CompletionRequest,
  type CompletionResult,
  type SuggestionLatency,
} from "./suggestion.ts";

/** idle: nothing to do; waiting: in the debounce; pending: the completer is working; shown: ghost text visible. */
export type GhostStatus = "idle" | "waiting" | "pending" | "shown" | "error";

export interface GhostTextOptions {
  completer: Completer;
  mode: CompletionMode;
  language: string;
  /** Quiet time after the last edit or cursor move before the completer is asked. */
  debounceMs?: number;
  /** Pass one in to keep it across reconfigurations (a new mode or completer); keyed by cacheKey(). */
  cache?: LruCache<string, CompletionResult>;
  cacheWindow?: CacheWindow;
  onLatency?: (latency: SuggestionLatency) => void;
  onStatus?: (status: GhostStatus) => void;
  /** A completer that threw (not counting aborts). */
  onError?: (error: unknown) => void;
}

export const DEFAULT_DEBOUNCE_MS = 250;
export const DEFAULT_CACHE_SIZE = 64;

interface Ghost {
  pos: number;
  text: string;
}

const setGhost = StateEffect.define<Ghost | null>({
  map: (g, mapping) => (g ? { pos: mapping.mapPos(g.pos), text: g.text } : null),
});
/** Stop the debounce and the request in flight (Esc). */
const cancelGhost = StateEffect.define<null>();
/** Ask now, skipping the debounce (Alt+\). */
const triggerGhost = StateEffect.define<null>();

const ghostOptions = Facet.define<GhostTextOptions, GhostTextOptions | null>({ combine: (v) => v[0] ?? null });

class GhostWidget extends WidgetType {
  constructor(readonly text: string) {
    super();
  }
  override eq(other: GhostWidget): boolean {
    return other.text === this.text;
  }
  toDOM(): HTMLElement {
    const span = document.createElement("span");
    span.className = "cm-ghost-text";
    // Screen readers would read it as part of the code; the component announces suggestions instead.
    span.setAttribute("aria-hidden", "true");
    span.textContent = this.text;
    return span;
  }
}

/** The ghost left after a transaction that changed the document: kept only when the user typed into it. */
function afterEdit(ghost: Ghost, tr: Transaction): Ghost | null {
  let inserted: string | null = null;
  let simple = true;
  tr.changes.iterChanges((fromA, toA, _fromB, _toB, text) => {
    if (inserted !== null || fromA !== ghost.pos || toA !== fromA) simple = false;
    else inserted = text.toString();
  });
  if (!simple || inserted === null) return null;
  const rest = typeThrough(ghost.text, inserted);
  const pos = ghost.pos + (inserted as string).length;
  const sel = tr.state.selection.main;
  return rest !== null && sel.empty && sel.head === pos ? { pos, text: rest } : null;
}

export const ghostField = StateField.define<Ghost | null>({
  create: () => null,
  update(ghost, tr) {
    for (const e of tr.effects) if (e.is(setGhost)) return e.value;
    if (!ghost) return null;
    if (tr.docChanged) return afterEdit(ghost, tr);
    const sel = tr.state.selection.main;
    if (tr.selection && (!sel.empty || sel.head !== ghost.pos)) return null;
    return ghost;
  },
  provide: (field) =>
    EditorView.decorations.from(field, (g) =>
      g ? Decoration.set([Decoration.widget({ widget: new GhostWidget(g.text), side: 1 }).range(g.pos)]) : Decoration.none,
    ),
});

/** The suggestion shown now, or null. */
export function currentGhost(state: EditorState): Ghost | null {
  return state.field(ghostField, false) ?? null;
}

/** The request for the cursor of `state`; prefix and suffix cut to `window` when given (for the cache key). */
function requestAt(state: EditorState, opts: GhostTextOptions, window?: CacheWindow): CompletionRequest {
  const pos = state.selection.main.head;
  const from = window ? Math.max(0, pos - window.prefixChars) : 0;
  const to = window ? Math.min(state.doc.length, pos + window.suffixChars) : state.doc.length;
  return {
    prefix: state.doc.sliceString(from, pos),
    suffix: state.doc.sliceString(pos, to),
    mode: opts.mode,
    language: opts.language,
  };
}

/** Edits and cursor moves made by the user (typing, deleting, pasting, moving, undo) ask for a suggestion. */
const byUser = (tr: Transaction) => tr.annotation(Transaction.userEvent) !== undefined;

class GhostPlugin {
  /** Bumped on every cancel: an answer for an older generation is stale. */
  gen = 0;
  timer: ReturnType<typeof setTimeout> | null = null;
  controller: AbortController | null = null;
  status: GhostStatus = "idle";
  readonly ownCache = new LruCache<string, CompletionResult>(DEFAULT_CACHE_SIZE);

  constructor(readonly view: EditorView) {}

  get opts(): GhostTextOptions | null {
    return this.view.state.facet(ghostOptions);
  }
  get cache(): LruCache<string, CompletionResult> {
    return this.opts?.cache ?? this.ownCache;
  }

  /** Whether a suggestion is being waited for (debounce or request in flight). */
  get busy(): boolean {
    return this.timer !== null || this.controller !== null;
  }

  update(u: ViewUpdate): void {
    const opts = u.state.facet(ghostOptions);
    if (opts !== u.startState.facet(ghostOptions)) {
      // New completer, mode or language: nothing in flight or shown belongs to it any more.
      this.cancel();
      if (currentGhost(u.state)) queueMicrotask(() => this.view.dispatch({ effects: setGhost.of(null) }));
      this.setStatus("idle");
      return;
    }
    const effects = u.transactions.flatMap((tr) => tr.effects);
    if (effects.some((e) => e.is(cancelGhost))) {
      this.cancel();
      this.setStatus("idle");
      return;
    }
    const trigger = effects.some((e) => e.is(triggerGhost));
    if (!trigger && !u.docChanged && !u.selectionSet) return;
    this.cancel();
    if (currentGhost(u.state)) {
      this.setStatus("shown"); // typed through, or one word accepted: the rest stays
      return;
    }
    const wanted = trigger || (u.state.selection.main.empty && u.transactions.some(byUser));
    if (!opts || !wanted || !u.state.selection.main.empty) {
      this.setStatus("idle");
      return;
    }
    this.schedule(opts, trigger ? 0 : (opts.debounceMs ?? DEFAULT_DEBOUNCE_MS));
  }

  schedule(opts: GhostTextOptions, delay: number): void {
    const gen = this.gen;
    const key = cacheKey(requestAt(this.view.state, opts, opts.cacheWindow ?? DEFAULT_CACHE_WINDOW), opts.cacheWindow);
    const hit = this.cache.get(key);
    if (hit) {
      // Served at once, without the debounce: the context was asked for before.
      queueMicrotask(() => {
        if (gen === this.gen) this.show(opts, hit, performance.now(), true);
      });
      return;
    }
    this.setStatus("waiting");
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.ask(opts, key, gen);
    }, delay);
  }

  async ask(opts: GhostTextOptions, key: string, gen: number): Promise<void> {
    const t0 = performance.now();
    const controller = new AbortController();
    this.controller = controller;
    this.setStatus("pending");
    const stale = () => gen !== this.gen || controller.signal.aborted;
    try {
      const result = await opts.completer(requestAt(this.view.state, opts), controller.signal);
      // An answer that comes after the abort may be cut short: neither cached nor shown.
      if (stale()) return;
      this.cache.set(key, result);
      this.controller = null;
      this.show(opts, result, t0, false);
    } catch (error) {
      if (stale()) return;
      this.controller = null;
      this.setStatus("error");
      opts.onError?.(error);
    } finally {
      if (this.controller === controller) this.controller = null;
    }
  }

  show(opts: GhostTextOptions, result: CompletionResult, t0: number, cached: boolean): void {
    const text = shapeSuggestion(result.text, opts.mode);
    if (text) this.view.dispatch({ effects: setGhost.of({ pos: this.view.state.selection.main.head, text }) });
    const t1 = performance.now();
    this.setStatus(text ? "shown" : "idle");
    const latency: SuggestionLatency = { ms: t1 - t0, t0, t1, cached, mode: opts.mode, chars: text.length };
    if (result.ms !== undefined) latency.modelMs = result.ms;
    if (result.tokens !== undefined) latency.tokens = result.tokens;
    opts.onLatency?.(latency);
  }

  cancel(): void {
    this.gen++;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.controller?.abort();
    this.controller = null;
  }

  setStatus(status: GhostStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.opts?.onStatus?.(status);
  }

  destroy(): void {
    this.cancel();
  }
}

const ghostPlugin = ViewPlugin.fromClass(GhostPlugin);

/** Tab: insert the whole suggestion. False (Tab indents) when none is shown. */
export function acceptGhost(view: EditorView): boolean {
  const g = currentGhost(view.state);
  if (!g) return false;
  view.dispatch({
    changes: { from: g.pos, insert: g.text },
    selection: { anchor: g.pos + g.text.length },
    effects: setGhost.of(null),
    userEvent: "input.complete",
    scrollIntoView: true,
  });
  return true;
}

/** Ctrl/Cmd+→: insert the suggestion's first word; the rest stays shown. */
export function acceptGhostWord(view: EditorView): boolean {
  const g = currentGhost(view.state);
  if (!g) return false;
  const n = nextWordLength(g.text);
  const rest = g.text.slice(n);
  view.dispatch({
    changes: { from: g.pos, insert: g.text.slice(0, n) },
    selection: { anchor: g.pos + n },
    effects: setGhost.of(rest ? { pos: g.pos + n, text: rest } : null),
    userEvent: "input.complete",
    scrollIntoView: true,
  });
  return true;
}

/** Esc: hide the suggestion and stop waiting for one. Handled (true) only when one was shown. */
export function dismissGhost(view: EditorView): boolean {
  const shown = currentGhost(view.state) !== null;
  if (!shown && !view.plugin(ghostPlugin)?.busy) return false;
  view.dispatch({ effects: [setGhost.of(null), cancelGhost.of(null)] });
  return shown;
}

/** Alt+\: ask for a suggestion now. */
export function requestGhost(view: EditorView): boolean {
  if (!view.state.selection.main.empty) return false;
  view.dispatch({ effects: [setGhost.of(null), triggerGhost.of(null)] });
  return true;
}

const ghostKeymap = keymap.of([
  { key: "Tab", run: acceptGhost },
  { key: "Escape", run: dismissGhost },
  { key: "Mod-ArrowRight", run: acceptGhostWord },
  { key: "Alt-\\", run: requestGhost },
]);

const ghostTheme = EditorView.baseTheme({
  ".cm-ghost-text": {
    color: "var(--ghost-text, #8a909c)",
    fontStyle: "italic",
    whiteSpace: "pre",
    pointerEvents: "none",
  },
});

/** The whole extension; reconfigure it (e.g. in a Compartment) to change completer, mode or language. */
export function ghostText(options: GhostTextOptions): Extension {
  return [ghostOptions.of(options), ghostField, ghostPlugin, Prec.highest(ghostKeymap), ghostTheme];
}
