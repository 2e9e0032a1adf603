// languages.test.ts — every editor language mode loads to a CodeMirror extension, languages without one load
// as plain text, and editorLanguage() reuses the FIM language detection.
import { describe, expect, test } from "vitest";
import { EditorState } from "@codemirror/state";
import { language as languageFacet } from "@codemirror/language";
import { EDITOR_LANGUAGES, editorLanguage, hasEditorMode, loadLanguage } from "../../../src/lib/editor/languages.ts";

describe("editor languages", () => {
  test("the common languages have a mode", () => {
    for (const id of ["python", "javascript", "typescript", "rust", "go", "java", "c", "cpp", "shell", "ruby", "csharp"]) {
      expect(hasEditorMode(id), id).toBe(true);
    }
  });

  test.each(EDITOR_LANGUAGES)("%s loads to a language of the state", async (id) => {
    const state = EditorState.create({ doc: "x = 1\n", extensions: await loadLanguage(id) });
    expect(state.facet(languageFacet), id).not.toBeNull();
  });

  test("an unknown language is plain text", async () => {
    expect(hasEditorMode("brainfuck++")).toBe(false);
    expect(hasEditorMode("toString")).toBe(false);
    const state = EditorState.create({ extensions: await loadLanguage("brainfuck++") });
    expect(state.facet(languageFacet)).toBeNull();
  });

  test("editorLanguage: by file name, then shebang, else text", () => {
    expect(editorLanguage("src/app.tsx")).toBe("typescript");
    expect(editorLanguage("Makefile")).toBe("makefile");
    expect(editorLanguage("run", "#!/usr/bin/env python3\nprint(1)\n")).toBe("python");
    expect(editorLanguage("notes")).toBe("text");
  });
});
