// The WebGPU kernels' uniform parameters (src/lib/train/webgpu): each kernel's `struct Params` is generated from one
// field table in its driver (context.ts wgslStruct, dispatched through paramValues), never written in a .wgsl file.
// Checked here without a GPU, on the WGSL text: no kernel file declares a struct it binds as a uniform; every
// `<uniform>.<field>` a kernel file reads is a field of its table, and every field is read somewhere; the compiled text
// holds the struct generated from the table exactly once; no driver passes positional [kind, value] tuples.

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { wgslStruct, type ParamFields } from "../../../src/lib/train/webgpu/context.ts";
import * as attention from "../../../src/lib/train/webgpu/kernels/attention.ts";
import * as classifier from "../../../src/lib/train/webgpu/kernels/classifier.ts";
import * as elementwise from "../../../src/lib/train/webgpu/kernels/elementwise.ts";
import * as embedding from "../../../src/lib/train/webgpu/kernels/embedding.ts";
import * as matmul from "../../../src/lib/train/webgpu/kernels/matmul.ts";
import * as optim from "../../../src/lib/train/webgpu/kernels/optim.ts";
import * as rmsnorm from "../../../src/lib/train/webgpu/kernels/rmsnorm.ts";
import * as rope from "../../../src/lib/train/webgpu/kernels/rope.ts";
import * as ssm from "../../../src/lib/train/webgpu/kernels/ssm.ts";

const DIR = new URL("../../../src/lib/train/webgpu/kernels/", import.meta.url);
const read = (file: string): string => readFileSync(new URL(file, DIR), "utf8");
const uncommented = (wgsl: string): string => wgsl.replace(/\/\/.*$/gm, "");

/** One kernel: its .wgsl files, the text its driver compiles them into, and its uniform structs' field tables. */
interface Kernel {
  files: string[];
  compiled: string[];
  structs: Record<string, ParamFields>;
}

const attentionKernels = ["forward", "dq", "dkdv"] as const;
const KERNELS: Record<string, Kernel> = {
  attention: {
    files: ["attention_forward.wgsl", "attention_backward_dq.wgsl", "attention_backward_dkdv.wgsl"],
    compiled: attentionKernels.flatMap((k) => [16, 64].map((HS) => attention.attentionSource(k, HS))),
    structs: { Params: attention.ATTENTION_PARAMS },
  },
  matmul: {
    files: ["matmul.wgsl"],
    compiled: [matmul.MATMUL_WGSL],
    structs: { Params: matmul.GEMM_PARAMS, ColsumParams: matmul.COLSUM_PARAMS },
  },
  matvec: { files: ["matvec.wgsl"], compiled: [matmul.MATVEC_WGSL], structs: { Params: matmul.MATVEC_PARAMS } },
  rmsnorm: { files: ["rmsnorm.wgsl"], compiled: [rmsnorm.RMSNORM_WGSL], structs: { Params: rmsnorm.RMSNORM_PARAMS } },
  rope: { files: ["rope.wgsl"], compiled: [rope.ROPE_WGSL], structs: { Params: rope.ROPE_PARAMS } },
  elementwise: {
    files: ["elementwise.wgsl"], compiled: [elementwise.ELEMENTWISE_WGSL], structs: { Params: elementwise.ELEMENTWISE_PARAMS },
  },
  embedding: { files: ["embedding.wgsl"], compiled: [embedding.EMBEDDING_WGSL], structs: { Params: embedding.EMBEDDING_PARAMS } },
  optim: {
    files: ["optim.wgsl"],
    compiled: [optim.OPTIM_WGSL],
    structs: { AdamWParams: optim.ADAMW_PARAMS, SumParams: optim.SUM_PARAMS },
  },
  classifier_forward: {
    files: ["classifier_forward.wgsl"], compiled: [classifier.CLASSIFIER_FORWARD_WGSL], structs: { Params: classifier.CLASSIFIER_FORWARD_PARAMS },
  },
  classifier_backward: {
    files: ["classifier_backward.wgsl"], compiled: [classifier.CLASSIFIER_BACKWARD_WGSL], structs: { Params: classifier.CLASSIFIER_BACKWARD_PARAMS },
  },
  copy_columns: { files: ["copy_columns.wgsl"], compiled: [ssm.COPY_COLUMNS_WGSL], structs: { Params: ssm.COPY_COLUMNS_PARAMS } },
  conv1d: { files: ["conv1d.wgsl"], compiled: [ssm.CONV1D_WGSL], structs: { Params: ssm.CONV1D_PARAMS } },
  scan: {
    files: ["scan_common.wgsl", "scan_forward.wgsl", "scan_backward.wgsl"],
    compiled: [1, 16].flatMap((DS) => Object.values(ssm.scanSources(DS))),
    structs: { Params: ssm.SCAN_PARAMS },
  },
};

/** The names `wgsl` gives a value of one of `structs`' types (uniform variables, function parameters), with the type. */
function typedNames(wgsl: string, structs: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of wgsl.matchAll(/\b(\w+)\s*:\s*(\w+)\b/g)) {
    const [, name, type] = m;
    if (!structs.includes(type!)) continue;
    expect(names.get(name!) ?? type, `${name} has two struct types`).toBe(type);
    names.set(name!, type!);
  }
  return names;
}

describe("WebGPU kernel params", () => {
  const wgslFiles = readdirSync(DIR).filter((f) => f.endsWith(".wgsl"));

  it("no kernel file declares its params struct: every uniform's type comes from a table", () => {
    expect(wgslFiles.length).toBeGreaterThan(10);
    for (const file of wgslFiles) {
      const code = uncommented(read(file));
      expect(code.match(/\bstruct\s+\w*Params\b/)?.[0], file).toBeUndefined();
      const declared = [...code.matchAll(/\bstruct\s+(\w+)/g)].map((m) => m[1]);
      const uniforms = [...code.matchAll(/var<uniform>\s+\w+\s*:\s*(\w+)/g)].map((m) => m[1]!);
      for (const type of uniforms) expect(declared, `${file}: ${type}`).not.toContain(type);
      if (uniforms.length > 0) {
        const owners = Object.entries(KERNELS).filter(([, k]) => k.files.includes(file));
        expect(owners.length, `${file} belongs to one kernel here`).toBe(1);
        for (const type of uniforms) expect(Object.keys(owners[0]![1].structs), `${file}: ${type}`).toContain(type);
      }
    }
  });

  for (const [name, kernel] of Object.entries(KERNELS)) {
    it(`${name}: the WGSL reads only fields of its table, and every field`, () => {
      const types = Object.keys(kernel.structs);
      const read_ = new Map<string, Set<string>>(types.map((t) => [t, new Set()]));
      for (const file of kernel.files) {
        const code = uncommented(read(file));
        // scan_forward / _backward use scan_common's functions, which take a Params
        const names = typedNames(file.startsWith("scan_") ? uncommented(read("scan_common.wgsl")) + code : code, types);
        expect(names.size, `${file} names a params value`).toBeGreaterThan(0);
        for (const m of code.matchAll(/\b(\w+)\.(\w+)\b/g)) {
          const type = names.get(m[1]!);
          if (!type) continue;
          const fields = kernel.structs[type]!.map(([f]) => f);
          expect(fields, `${file}: ${m[0]} (${type})`).toContain(m[2]);
          read_.get(type)!.add(m[2]!);
        }
      }
      for (const type of types) {
        expect([...read_.get(type)!].sort(), `${name}: fields of ${type} read`).toEqual(kernel.structs[type]!.map(([f]) => f).sort());
      }
    });

    it(`${name}: the compiled text declares each struct once, as the table makes it`, () => {
      for (const code of kernel.compiled) {
        for (const [type, fields] of Object.entries(kernel.structs)) {
          expect(code.split(wgslStruct(type, fields)).length - 1).toBe(1);
          expect([...uncommented(code).matchAll(new RegExp(`\\bstruct\\s+${type}\\b`, "g"))].length).toBe(1);
        }
      }
    });
  }

  it("field names are unique within a table, kinds 4-byte scalars", () => {
    for (const kernel of Object.values(KERNELS)) {
      for (const fields of Object.values(kernel.structs)) {
        const names = fields.map(([f]) => f);
        expect(new Set(names).size).toBe(names.length);
        for (const [, kind] of fields) expect(["u32", "i32", "f32"]).toContain(kind);
      }
    }
  });

  it("no driver dispatches positional [kind, value] params", () => {
    const drivers = readdirSync(DIR).filter((f) => f.endsWith(".ts"));
    expect(drivers.length).toBeGreaterThan(5);
    for (const file of drivers) expect(read(file), file).not.toMatch(/\[\s*"(u32|f32|i32)"\s*,/);
  });
});
