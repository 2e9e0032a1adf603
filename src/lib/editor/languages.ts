// languages.ts — the editor's syntax mode for each language id of src/lib/fim/languages.ts, as one table of
// lazy loaders (each package is its own chunk, loaded when a file of that language is opened): the Lezer
// grammars of @codemirror/lang-* where one exists, the stream parsers of @codemirror/legacy-modes otherwise.
// Languages not in the table are edited as plain text. Highlighting colours live in theme.ts.

import { StreamLanguage, type StreamParser } from "@codemirror/language";
import type { Extension } from "@codemirror/state";
import { detectLanguage } from "../fim/languages.ts";

type Loader = () => Promise<Extension>;

const legacy = (parser: Promise<StreamParser<unknown>>): Promise<Extension> =>
  parser.then((p) => StreamLanguage.define(p));

/** Language id → its mode. One row per language; aliases (cuda → C++) are rows too. */
const MODES: Record<string, Loader> = {
  python: () => import("@codemirror/lang-python").then((m) => m.python()),
  javascript: () => import("@codemirror/lang-javascript").then((m) => m.javascript({ jsx: true })),
  typescript: () => import("@codemirror/lang-javascript").then((m) => m.javascript({ jsx: true, typescript: true })),
  rust: () => import("@codemirror/lang-rust").then((m) => m.rust()),
  go: () => import("@codemirror/lang-go").then((m) => m.go()),
  java: () => import("@codemirror/lang-java").then((m) => m.java()),
  c: () => import("@codemirror/lang-cpp").then((m) => m.cpp()),
  cpp: () => import("@codemirror/lang-cpp").then((m) => m.cpp()),
  cuda: () => import("@codemirror/lang-cpp").then((m) => m.cpp()),
  php: () => import("@codemirror/lang-php").then((m) => m.php()),
  sql: () => import("@codemirror/lang-sql").then((m) => m.sql()),
  css: () => import("@codemirror/lang-css").then((m) => m.css()),
  html: () => import("@codemirror/lang-html").then((m) => m.html()),
  svelte: () => import("@codemirror/lang-html").then((m) => m.html()),
  vue: () => import("@codemirror/lang-html").then((m) => m.html()),
  csharp: () => legacy(import("@codemirror/legacy-modes/mode/clike").then((m) => m.csharp)),
  kotlin: () => legacy(import("@codemirror/legacy-modes/mode/clike").then((m) => m.kotlin)),
  scala: () => legacy(import("@codemirror/legacy-modes/mode/clike").then((m) => m.scala)),
  dart: () => legacy(import("@codemirror/legacy-modes/mode/clike").then((m) => m.dart)),
  "objective-c": () => legacy(import("@codemirror/legacy-modes/mode/clike").then((m) => m.objectiveC)),
  glsl: () => legacy(import("@codemirror/legacy-modes/mode/clike").then((m) => m.shader)),
  groovy: () => legacy(import("@codemirror/legacy-modes/mode/groovy").then((m) => m.groovy)),
  swift: () => legacy(import("@codemirror/legacy-modes/mode/swift").then((m) => m.swift)),
  ruby: () => legacy(import("@codemirror/legacy-modes/mode/ruby").then((m) => m.ruby)),
  lua: () => legacy(import("@codemirror/legacy-modes/mode/lua").then((m) => m.lua)),
  perl: () => legacy(import("@codemirror/legacy-modes/mode/perl").then((m) => m.perl)),
  r: () => legacy(import("@codemirror/legacy-modes/mode/r").then((m) => m.r)),
  julia: () => legacy(import("@codemirror/legacy-modes/mode/julia").then((m) => m.julia)),
  haskell: () => legacy(import("@codemirror/legacy-modes/mode/haskell").then((m) => m.haskell)),
  erlang: () => legacy(import("@codemirror/legacy-modes/mode/erlang").then((m) => m.erlang)),
  clojure: () => legacy(import("@codemirror/legacy-modes/mode/clojure").then((m) => m.clojure)),
  ocaml: () => legacy(import("@codemirror/legacy-modes/mode/mllike").then((m) => m.oCaml)),
  fsharp: () => legacy(import("@codemirror/legacy-modes/mode/mllike").then((m) => m.fSharp)),
  scheme: () => legacy(import("@codemirror/legacy-modes/mode/scheme").then((m) => m.scheme)),
  lisp: () => legacy(import("@codemirror/legacy-modes/mode/commonlisp").then((m) => m.commonLisp)),
  shell: () => legacy(import("@codemirror/legacy-modes/mode/shell").then((m) => m.shell)),
  powershell: () => legacy(import("@codemirror/legacy-modes/mode/powershell").then((m) => m.powerShell)),
  cmake: () => legacy(import("@codemirror/legacy-modes/mode/cmake").then((m) => m.cmake)),
  dockerfile: () => legacy(import("@codemirror/legacy-modes/mode/dockerfile").then((m) => m.dockerFile)),
  protobuf: () => legacy(import("@codemirror/legacy-modes/mode/protobuf").then((m) => m.protobuf)),
  verilog: () => legacy(import("@codemirror/legacy-modes/mode/verilog").then((m) => m.verilog)),
  vhdl: () => legacy(import("@codemirror/legacy-modes/mode/vhdl").then((m) => m.vhdl)),
  json: () => legacy(import("@codemirror/legacy-modes/mode/javascript").then((m) => m.json)),
  yaml: () => legacy(import("@codemirror/legacy-modes/mode/yaml").then((m) => m.yaml)),
  toml: () => legacy(import("@codemirror/legacy-modes/mode/toml").then((m) => m.toml)),
  xml: () => legacy(import("@codemirror/legacy-modes/mode/xml").then((m) => m.xml)),
};

/** The language ids that have a syntax mode, sorted (e.g. for a language picker). */
export const EDITOR_LANGUAGES: readonly string[] = Object.keys(MODES).sort();

export function hasEditorMode(language: string): boolean {
  return Object.hasOwn(MODES, language);
}

/** The mode of `language`, or no extension (plain text) for a language without one. */
export async function loadLanguage(language: string): Promise<Extension> {
  return hasEditorMode(language) ? MODES[language]!() : [];
}

/** The language id of a file for the editor and the completer: by name, then shebang; "text" when unknown. */
export function editorLanguage(path: string, text = ""): string {
  return detectLanguage(path, text) ?? "text";
}
