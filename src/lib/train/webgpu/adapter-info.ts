// adapter-info.ts — a WebGPU adapter in words: its name from GPUAdapterInfo, and whether it is a software rasterizer
// (SwiftShader, llvmpipe, lavapipe, WARP, or any adapter the browser flags as its fallback). WebGPU on a software
// adapter runs on the CPU, through a GPU emulation: far slower than the engine's own CPU backend.

/** What GPUAdapterInfo says (all optional: browsers fill in what they choose). */
export interface AdapterFacts {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  /** GPUAdapterInfo.isFallbackAdapter (or the older GPUAdapter.isFallbackAdapter). */
  isFallbackAdapter?: boolean;
}

export interface AdapterDescription {
  /** The adapter's name: its description, else the software rasterizer it is, else vendor and architecture. */
  name: string;
  software: boolean;
  /** The name, with "(software)" after it for a software adapter. */
  label: string;
}

/** Software rasterizers, as their GPUAdapterInfo names them, with the name to show. */
const SOFTWARE: readonly { match: RegExp; name: string }[] = [
  { match: /swiftshader/i, name: "SwiftShader" },
  { match: /llvmpipe/i, name: "llvmpipe" },
  { match: /lavapipe/i, name: "lavapipe" },
  { match: /softpipe/i, name: "softpipe" },
  { match: /microsoft basic render|\bwarp\b/i, name: "Microsoft WARP" },
  { match: /\bsoftware\b/i, name: "a software renderer" }, // any other that says what it is
];

export function describeAdapter(a: AdapterFacts): AdapterDescription {
  const facts = [a.description, a.vendor, a.architecture, a.device].filter(Boolean).join(" ");
  const known = SOFTWARE.find((s) => s.match.test(facts));
  const name = a.description?.trim() || known?.name || [a.vendor, a.architecture].filter(Boolean).join(" ") || "WebGPU adapter";
  const software = known !== undefined || a.isFallbackAdapter === true;
  return { name, software, label: software ? `${name} (software)` : name };
}

/** The facts of a GPUAdapter (GPUAdapterInfo's fields are getters on its prototype: a spread would copy nothing). */
export function adapterFacts(a: GPUAdapter): AdapterFacts {
  const i = a.info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined;
  return {
    vendor: i?.vendor, architecture: i?.architecture, device: i?.device, description: i?.description,
    isFallbackAdapter: i?.isFallbackAdapter ?? (a as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter,
  };
}
