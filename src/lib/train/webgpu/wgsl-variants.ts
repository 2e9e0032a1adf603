// wgsl-variants.ts — one kernel text for the adapter's optional features. A kernel marks the lines a feature changes:
//
//   #if SUBGROUPS
//   ... lines kept when the device has subgroups
//   #else
//   ... lines kept when it has not
//   #endif
//
// and GpuContext.pipeline compiles the variant its device takes (variantText), with the `enable` directive the
// feature needs in front. Dropped and directive lines become empty lines, so WGSL error positions stay those of the
// file. Both variants of every kernel are compiled and run by the tests (the software adapter offers subgroups).

/** The features a kernel text may branch on, and the `enable` directive each one needs. */
export const WGSL_FEATURES = { SUBGROUPS: "enable subgroups;" } as const;
export type WgslFeature = keyof typeof WGSL_FEATURES;
/** Which features a device's kernels use. */
export type WgslVariant = Readonly<Record<WgslFeature, boolean>>;

const DIRECTIVE = /^\s*#(if|else|endif)\b\s*(\S*)\s*$/;

/** Whether `code` branches on any feature (its pipelines then differ by variant). */
export function hasVariants(code: string): boolean {
  return code.split("\n").some((line) => DIRECTIVE.test(line));
}

/**
 * `code` with the `#if` / `#else` / `#endif` blocks resolved for `variant` (blocks nest), the `enable` directives of
 * the features that are on and used put in front. Throws on an unknown feature or an unbalanced block, naming the line.
 */
export function variantText(code: string, variant: WgslVariant, label = "kernel"): string {
  const lines = code.split("\n");
  const stack: { keep: boolean; sawElse: boolean; line: number }[] = [];
  const used = new Set<WgslFeature>();
  const out = lines.map((line, i) => {
    const m = DIRECTIVE.exec(line);
    const where = `${label}:${i + 1}`;
    if (m) {
      const [, word, arg] = m;
      const outer = stack.every((s) => s.keep);
      if (word === "if") {
        if (!Object.hasOwn(WGSL_FEATURES, arg!)) throw new Error(`${where}: #if of an unknown feature "${arg}" (known: ${Object.keys(WGSL_FEATURES).join(", ")})`);
        const feature = arg as WgslFeature;
        if (outer && variant[feature]) used.add(feature);
        stack.push({ keep: variant[feature], sawElse: false, line: i + 1 });
      } else {
        const top = stack.at(-1);
        if (!top || arg) throw new Error(`${where}: #${word}${arg ? ` ${arg}` : ""} without an open #if`);
        if (word === "else") {
          if (top.sawElse) throw new Error(`${where}: a second #else for the #if of line ${top.line}`);
          top.sawElse = true;
          top.keep = !top.keep;
        } else {
          stack.pop();
        }
      }
      return "";
    }
    return stack.every((s) => s.keep) ? line : "";
  });
  if (stack.length > 0) throw new Error(`${label}:${stack.at(-1)!.line}: #if without #endif`);
  // the enable directives share the first line (which is a comment in every kernel file) so line numbers stay put
  const enables = [...used].map((f) => WGSL_FEATURES[f]).join(" ");
  return enables ? `${enables} ${out.join("\n")}` : out.join("\n");
}
