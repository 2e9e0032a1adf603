// The kit's Python, run by python3 against stand-in modules (no torch or transformers here):
// - prepare.py with a stand-in tokenizer that answers with FIM Studio's own tokenizer's ids: its input_ids and
//   labels are exactly the ids and loss targets of src/lib/train/data.ts tokenizeSample, for a tokenizer without a
//   BOS (Qwen) and one with (Llama 3), loss on the middle and on every token;
// - train_trl.py with stand-in datasets/peft/trl/torch that record their arguments: every keyword it passes is a
//   documented SFTConfig / TrainingArguments, LoraConfig or SFTTrainer argument, with the kit's values.

import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildKit, KIT_MANIFEST } from "../../../src/lib/kit/kit.ts";
import { tokenizeSample } from "../../../src/lib/train/data.ts";
import { hasPython, PEFT, python, samples, settings, tokenizer, TRL } from "./kit-helpers.ts";

const root = mkdtempSync(join(tmpdir(), "fim-kit-py-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function writeKit(dir: string, files: Map<string, Uint8Array>): void {
  for (const [name, bytes] of files) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), bytes);
  }
}

describe.skipIf(!hasPython)("the kit's Python scripts (python3)", () => {
  it("both compile", () => {
    const dir = join(root, "compile");
    mkdirSync(dir);
    return samples("qwen").then(({ train, eval: held }) => {
      writeKit(dir, buildKit({ settings: settings(), train, eval: held, measure: { charsPerToken: 3 } }));
      python("import py_compile; py_compile.compile('prepare.py', doraise=True); py_compile.compile('train_trl.py', doraise=True)", dir);
    });
  });

  for (const source of ["qwen3", "llama3"] as const) {
    for (const lossOn of ["middle", "all"] as const) {
      it(`prepare.py tokenizes as FIM Studio trains (${source}, loss on ${lossOn})`, async () => {
        const tk = tokenizer(source);
        const { train, eval: held } = await samples("qwen");
        const encode = (s: string) => tk.encode(s, { addSpecialTokens: false });
        const bos = tk.encode("", { addSpecialTokens: true });
        const s = settings({ lossOn, contextLength: 192 });
        const files = buildKit({ settings: s, train, eval: held, measure: { tokenizer: encode, reserved: bos.length } });
        const dir = join(root, `prepare-${source}-${lossOn}`);
        writeKit(dir, files);
        // the stand-in tokenizer: FIM Studio's ids for every text the kit holds
        const ids: Record<string, number[]> = {};
        for (const f of ["data/train.jsonl", "data/eval.jsonl"]) {
          for (const line of new TextDecoder().decode(files.get(f)).split("\n").filter(Boolean)) {
            const r = JSON.parse(line) as { prompt: string; completion: string };
            ids[r.prompt] = encode(r.prompt);
            ids[r.completion] = encode(r.completion);
          }
        }
        for (const m of JSON.parse(new TextDecoder().decode(files.get(KIT_MANIFEST))).markers as string[]) ids[m] = encode(m);
        writeFileSync(join(dir, "ids.json"), JSON.stringify({ ids, bos }));
        mkdirSync(join(dir, "stubs"));
        writeFileSync(join(dir, "stubs", "transformers.py"), `import json
_t = json.load(open("ids.json"))
class _Tok:
    def __call__(self, text, add_special_tokens=True):
        return {"input_ids": list(_t["bos"]) if add_special_tokens and text == "" else list(_t["ids"][text])}
class AutoTokenizer:
    @staticmethod
    def from_pretrained(name):
        assert name == ${JSON.stringify(s.baseModel)}
        return _Tok()
`);
        python("import sys; sys.path.insert(0, 'stubs'); import runpy; runpy.run_path('prepare.py', run_name='__main__')", dir);
        const got = readFileSync(join(dir, "data/tokenized/train.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { input_ids: number[]; attention_mask: number[]; labels: number[] });
        const want = train.map((r) => tokenizeSample(r, tk, { contextLength: 192, lossOn })).filter((t) => t !== undefined);
        expect(got.length).toBe(want.length);
        got.forEach((g, i) => {
          expect(g.input_ids).toEqual([...want[i]!.ids]);
          expect(g.attention_mask).toEqual(g.input_ids.map(() => 1));
          // a label at t is what FIM Studio's loss predicts from t-1
          const targets = g.input_ids.map((_, t) => (t + 1 < g.labels.length && g.labels[t + 1] !== -100 ? g.labels[t + 1]! : -1));
          expect(targets).toEqual([...want[i]!.targets]);
        });
        if (bos.length && lossOn === "middle") expect(got[0]!.labels[0]).toBe(-100);
      });
    }
  }

  it("train_trl.py passes only documented arguments, with the kit's values", async () => {
    const { train, eval: held } = await samples("qwen");
    const s = settings({ steps: 120, lr: 5e-4, r: 8, alpha: 16, multiGpu: "fsdp" });
    const dir = join(root, "trl");
    writeKit(dir, buildKit({ settings: s, train, eval: held, measure: { charsPerToken: 3 } }));
    mkdirSync(join(dir, "data/tokenized"), { recursive: true });
    for (const n of ["train", "eval"]) writeFileSync(join(dir, `data/tokenized/${n}.jsonl`), '{"input_ids":[1,2],"attention_mask":[1,1],"labels":[-100,2]}\n');
    mkdirSync(join(dir, "stubs"));
    const stub = (name: string, body: string) => writeFileSync(join(dir, "stubs", `${name}.py`), body);
    stub("rec", "calls = {}\n");
    stub("torch", "bfloat16 = 'bf16'\nfloat32 = 'f32'\nclass cuda:\n    is_available = staticmethod(lambda: False)\n    is_bf16_supported = staticmethod(lambda: False)\n");
    stub("datasets", `import json, rec
class _D(dict):
    def map(self, fn, remove_columns=()):
        out = _D()
        for k, rows in self.items():
            out[k] = [{**{c: v for c, v in r.items() if c not in remove_columns}, **fn(r)} for r in rows]
        return out
def load_dataset(kind, data_files):
    rec.calls["load_dataset"] = {"kind": kind, "files": sorted(data_files)}
    return _D({k: [json.loads(l) for l in open(p)] for k, p in data_files.items()})
`);
    stub("peft", "import rec\nclass LoraConfig:\n    def __init__(self, **kw):\n        rec.calls['LoraConfig'] = kw\n");
    stub("trl", `import rec
class SFTConfig:
    def __init__(self, **kw):
        rec.calls["SFTConfig"] = {k: (v if isinstance(v, (int, float, str, bool, list, dict, type(None))) else str(v)) for k, v in kw.items()}
class _Acc:
    is_main_process = True
class SFTTrainer:
    def __init__(self, **kw):
        rec.calls["SFTTrainer"] = sorted(kw)
        rec.calls["train_rows"] = kw["train_dataset"]
        self.accelerator = _Acc()
    def train(self):
        rec.calls["trained"] = True
    def save_model(self, out):
        rec.calls["saved"] = out
`);
    const out = python("import sys, json; sys.path.insert(0, 'stubs'); import runpy, rec; runpy.run_path('train_trl.py', run_name='__main__'); print(json.dumps(rec.calls))", dir);
    const calls = JSON.parse(out.trim().split("\n").pop()!) as Record<string, unknown>;
    const cfg = calls.SFTConfig as Record<string, unknown>;
    const documented = new Set([...TRL.sftConfigKeys, ...TRL.trainingArgumentsKeys]);
    expect(Object.keys(cfg).filter((k) => !documented.has(k))).toEqual([]);
    expect(Object.keys(calls.LoraConfig as object).filter((k) => !PEFT.loraConfigKeys.includes(k))).toEqual([]);
    expect((calls.SFTTrainer as string[]).filter((k) => !TRL.sftTrainerInit.includes(k))).toEqual([]);
    expect(cfg).toMatchObject({ learning_rate: 5e-4, max_steps: 120, max_length: 256, completion_only_loss: true, packing: false, dataset_kwargs: { skip_prepare_dataset: true } });
    expect(calls.LoraConfig).toMatchObject({ r: 8, lora_alpha: 16, task_type: "CAUSAL_LM", lora_dropout: 0 });
    // the mask TRL's collator applies: 0 where prepare.py put -100
    expect(calls.train_rows).toEqual([{ input_ids: [1, 2], attention_mask: [1, 1], completion_mask: [0, 1] }]);
    expect(calls.trained).toBe(true);
    expect(String(calls.saved)).toMatch(/out\/trl\/adapter$/);
  });
});
