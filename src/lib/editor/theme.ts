// theme.ts — the editor's look in the app's colours: an EditorView theme and a syntax highlight style that
// read CSS variables (app.css for the surfaces, --syn-* set by CodeEditor.svelte for light and dark), so the
// one theme follows prefers-color-scheme. The fallbacks are the light colours.

import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import type { Extension } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { tags as t } from "@lezer/highlight";

const v = (name: string, fallback: string) => `var(--${name}, ${fallback})`;

const editorTheme = EditorView.theme({
  "&": {
    color: v("text", "#1b1e24"),
    backgroundColor: v("surface", "#ffffff"),
    border: `1px solid ${v("border", "#d3d7df")}`,
    borderRadius: v("radius", "6px"),
    fontSize: "13px",
  },
  "&.cm-focused": {
    outline: `3px solid ${v("focus", "#1f6feb")}`,
    outlineOffset: "2px",
  },
  ".cm-scroller": { fontFamily: v("mono", "monospace"), lineHeight: "1.5" },
  ".cm-content": { caretColor: v("text", "#1b1e24") },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: v("text", "#1b1e24") },
  ".cm-gutters": {
    backgroundColor: v("surface-2", "#eef0f4"),
    color: v("text-muted", "#565d6b"),
    borderRight: `1px solid ${v("border", "#d3d7df")}`,
  },
  ".cm-activeLine": { backgroundColor: "color-mix(in srgb, var(--accent, #2f5fd0) 6%, transparent)" },
  ".cm-activeLineGutter": { backgroundColor: "color-mix(in srgb, var(--accent, #2f5fd0) 12%, transparent)" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, ::selection": {
    backgroundColor: "color-mix(in srgb, var(--accent, #2f5fd0) 28%, transparent)",
  },
  ".cm-matchingBracket": { outline: `1px solid ${v("text-muted", "#565d6b")}` },
});

const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.controlKeyword, t.moduleKeyword, t.operatorKeyword], color: v("syn-keyword", "#8a2c9e") },
  { tag: [t.string, t.special(t.string), t.regexp, t.character], color: v("syn-string", "#2a7a2a") },
  { tag: [t.number, t.bool, t.null, t.atom], color: v("syn-number", "#a04b00") },
  { tag: [t.comment, t.lineComment, t.blockComment, t.docComment], color: v("syn-comment", "#6b7280"), fontStyle: "italic" },
  { tag: [t.function(t.variableName), t.function(t.propertyName), t.definition(t.function(t.variableName))], color: v("syn-function", "#1f5fbf") },
  { tag: [t.typeName, t.className, t.namespace, t.standard(t.typeName)], color: v("syn-type", "#0f7a86") },
  { tag: [t.definition(t.variableName), t.propertyName, t.attributeName], color: v("syn-name", "#9a3b16") },
  { tag: [t.meta, t.annotation, t.processingInstruction, t.tagName], color: v("syn-meta", "#7a5c00") },
  { tag: t.invalid, color: v("danger", "#b3261e") },
]);

export const appEditorTheme: Extension = [editorTheme, syntaxHighlighting(highlight)];
