// Language detection by file name (extension or exact name) and shebang, as tables.
// Language ids are lower-case names; the data formats the seeds exclude are listed here too.

/** Extension (lower case, without dot) → language. */
const BY_EXTENSION: Record<string, string> = {
  py: "python", pyw: "python", pyi: "python",
  js: "javascript", mjs: "javascript", cjs: "javascript", jsx: "javascript",
  ts: "typescript", mts: "typescript", cts: "typescript", tsx: "typescript",
  svelte: "svelte", vue: "vue",
  c: "c", h: "c",
  cc: "cpp", cpp: "cpp", cxx: "cpp", hpp: "cpp", hh: "cpp", hxx: "cpp", cu: "cuda",
  cs: "csharp", java: "java", kt: "kotlin", kts: "kotlin", scala: "scala", groovy: "groovy",
  go: "go", rs: "rust", swift: "swift", m: "objective-c", mm: "objective-c", dart: "dart",
  rb: "ruby", php: "php", pl: "perl", pm: "perl", lua: "lua", r: "r", jl: "julia",
  ex: "elixir", exs: "elixir", erl: "erlang", hrl: "erlang", hs: "haskell", ml: "ocaml", mli: "ocaml",
  fs: "fsharp", fsx: "fsharp", clj: "clojure", cljs: "clojure", lisp: "lisp", el: "lisp", scm: "scheme",
  zig: "zig", nim: "nim", v: "verilog", sv: "verilog", vhd: "vhdl", vhdl: "vhdl",
  sh: "shell", bash: "shell", zsh: "shell", fish: "fish", ps1: "powershell", bat: "batch", cmd: "batch",
  wgsl: "wgsl", glsl: "glsl", vert: "glsl", frag: "glsl", hlsl: "hlsl", metal: "metal",
  sol: "solidity", tf: "hcl", hcl: "hcl", proto: "protobuf", graphql: "graphql", gql: "graphql",
  html: "html", htm: "html", css: "css", scss: "scss", sass: "sass", less: "less",
  cmake: "cmake", mk: "makefile", gradle: "groovy", nix: "nix", asm: "assembly", s: "assembly",
  // Data formats and prose: detected so they can be counted and excluded by name.
  csv: "csv", tsv: "csv", json: "json", jsonl: "json", json5: "json", yaml: "yaml", yml: "yaml",
  xml: "xml", xsd: "xml", xsl: "xml", plist: "xml", svg: "svg", sql: "sql", md: "markdown",
  markdown: "markdown", rst: "restructuredtext", txt: "text", ipynb: "jupyter", ttl: "turtle",
  apib: "api-blueprint", toml: "toml", ini: "ini", cfg: "ini", lock: "lockfile",
};

/** Exact file names (lower case) that have no telling extension. */
const BY_NAME: Record<string, string> = {
  makefile: "makefile", gnumakefile: "makefile", dockerfile: "dockerfile", "cmakelists.txt": "cmake",
  rakefile: "ruby", gemfile: "ruby", justfile: "makefile", "build.gradle": "groovy",
};

/** Interpreter named in a shebang (basename, version digits stripped) → language. */
const BY_INTERPRETER: Record<string, string> = {
  python: "python", node: "javascript", deno: "typescript", bun: "javascript", tsx: "typescript",
  sh: "shell", bash: "shell", dash: "shell", zsh: "shell", ksh: "shell", fish: "fish",
  perl: "perl", ruby: "ruby", php: "php", lua: "lua", rscript: "r", julia: "julia", elixir: "elixir",
};

/**
 * Data, prose and configuration: never code, excluded for every format. Holds the ctx seed's banned list
 * ("CSV, JSON, YAML, XML, SVG, SQL, Markdown, Jupyter notebooks, Turtle, API Blueprint") except SQL, which the
 * pipeline seed trains on, plus plain text, reStructuredText, lock files, TOML and INI.
 */
export const DATA_FORMAT_LANGUAGES: readonly string[] = [
  "csv", "json", "yaml", "xml", "svg", "markdown", "jupyter", "turtle", "api-blueprint",
  "text", "restructuredtext", "lockfile", "toml", "ini",
];

/** seeds/fim-format-ctx.md "Language Filtering": the data formats and SQL. */
export const CTX_BANNED_LANGUAGES: readonly string[] = [...DATA_FORMAT_LANGUAGES, "sql"];

/** Language from the path alone, or undefined. */
export function languageFromPath(path: string): string | undefined {
  const base = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  const named = BY_NAME[base];
  if (named) return named;
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return undefined; // no extension, or a dotfile like ".bashrc"
  return BY_EXTENSION[base.slice(dot + 1)];
}

/** Language from a "#!" first line, e.g. "#!/usr/bin/env python3" → "python". */
export function languageFromShebang(text: string): string | undefined {
  if (!text.startsWith("#!")) return undefined;
  const end = text.indexOf("\n");
  const words = text.slice(2, end < 0 ? undefined : end).trim().split(/\s+/);
  // "/usr/bin/env -S node --flags" → skip env and its options
  let i = 0;
  if (words[0]?.endsWith("/env")) {
    i = 1;
    while (words[i]?.startsWith("-")) i++;
  }
  const prog = words[i]?.slice(words[i]!.lastIndexOf("/") + 1).toLowerCase();
  if (!prog) return undefined;
  return BY_INTERPRETER[prog.replace(/[\d.]+$/, "")];
}

/** Extension or exact name first, then the shebang. */
export function detectLanguage(path: string, text: string): string | undefined {
  return languageFromPath(path) ?? languageFromShebang(text);
}
