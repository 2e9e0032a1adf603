// Language detection by extension, exact file name and shebang.

import { describe, expect, it } from "vitest";
import { detectLanguage, languageFromPath, languageFromShebang } from "../../../src/lib/fim/index.ts";

describe("language detection", () => {
  it.each([
    ["src/a.py", "python"], ["A.PY", "python"], ["x/y.tsx", "typescript"], ["lib.rs", "rust"], ["Makefile", "makefile"],
    ["docker/Dockerfile", "dockerfile"], ["k.ipynb", "jupyter"], ["d.yml", "yaml"], ["q.sql", "sql"], ["s.svg", "svg"],
    ["README.md", "markdown"], ["shader.wgsl", "wgsl"], ["x.min.js", "javascript"],
  ])("%s → %s", (path, lang) => expect(languageFromPath(path)).toBe(lang));
  it("no extension, dotfiles and unknown extensions give nothing", () => {
    expect(languageFromPath("bin/tool")).toBeUndefined();
    expect(languageFromPath(".bashrc")).toBeUndefined();
    expect(languageFromPath("a.unknownext")).toBeUndefined();
  });
  it.each([
    ["#!/usr/bin/env python3\nprint(1)", "python"], ["#!/usr/bin/python3.11\n", "python"], ["#!/bin/bash\n", "shell"],
    ["#!/usr/bin/env -S node --no-warnings\n", "javascript"], ["#!/usr/bin/perl -w\n", "perl"], ["#!/usr/bin/env ruby", "ruby"],
  ])("shebang %j → %s", (text, lang) => expect(languageFromShebang(text)).toBe(lang));
  it("the extension wins over the shebang; the shebang serves files without one", () => {
    expect(detectLanguage("tool.js", "#!/usr/bin/env python\n")).toBe("javascript");
    expect(detectLanguage("tool", "#!/usr/bin/env python\n")).toBe("python");
    expect(detectLanguage("tool", "no shebang")).toBeUndefined();
  });
});
