// readme.ts — the kit's README.md: what is in the folder, the commands for one GPU and for several with each
// trainer, how the settings map (read off settings.ts settingRows), and how the adapter comes back. Pure.

import { ACCELERATE_DIR, ACCELERATE_FILE } from "./accelerate.ts";
import { AXOLOTL_DIR } from "./axolotl.ts";
import { KIT_VERSIONS, settingRows, type KitSettings } from "./settings.ts";

export interface ReadmeInputs {
  s: KitSettings;
  train: number;
  eval: number;
  dropped: number;
  /** "tokenizer": prompts cut with the model's own tokenizer; else an estimate of characters a token. */
  measured: "tokenizer" | { charsPerToken: number };
}

const show = (v: unknown) => (Array.isArray(v) ? v.join(", ") : String(v));

export function kitReadme(i: ReadmeInputs): string {
  const { s } = i;
  const multi = s.multiGpu === "deepspeed" ? "DeepSpeed ZeRO-2" : "FSDP2";
  const rows = settingRows(s).map((r) => `| ${r.ours} | ${show(r.value)} | ${r.axolotl ? `\`${r.axolotl}: ${show(r.axolotlValue ?? r.value)}\`` : ""} | ${r.trl ? `\`${r.trl}\`` : r.peft ? `\`LoraConfig(${r.peft})\`` : ""} |${r.note ? ` ${r.note}` : ""}`);
  return `# FIM Studio training kit: LoRA on ${s.baseModel}

This folder hands a FIM Studio training run to a trainer that runs on GPU machines: [Axolotl](https://github.com/axolotl-ai-cloud/axolotl)
or a plain [PEFT](https://github.com/huggingface/peft) + [TRL](https://github.com/huggingface/trl) + accelerate script. Both train on the same
samples with the same settings as FIM Studio would, and both write a PEFT adapter that FIM Studio opens again.

- \`data/train.jsonl\` (${i.train} rows), \`data/eval.jsonl\` (${i.eval} rows): the FIM samples (format \`${s.format}\`) as FIM Studio trains on them,
  one \`{"prompt", "completion"}\` per line: the prompt cut to the ${s.contextLength}-token context ${i.measured === "tokenizer" ? "with the model's own tokenizer" : `by an estimate of ${i.measured.charsPerToken} characters a token (prepare.py drops the rows the real tokenizer finds too long)`}, the completion the middle and its end token.${i.dropped ? ` ${i.dropped} samples whose middle alone does not fit were left out.` : ""}
- \`prepare.py\`: tokenizes them with the base model's tokenizer exactly as FIM Studio does ([BOS] + prompt + completion, the two
  tokenized apart; labels -100 on the prompt when the loss is on the middle) into \`data/tokenized/\`. Run it first, for either trainer.
- \`${AXOLOTL_DIR}/config.yml\` (one GPU) and \`${AXOLOTL_DIR}/config-multi-gpu.yml\` (${multi}${s.multiGpu === "deepspeed" ? `, with \`${AXOLOTL_DIR}/deepspeed_zero2.json\`` : ""}).
- \`train_trl.py\` with \`requirements.txt\`, and \`${ACCELERATE_DIR}/${ACCELERATE_FILE[s.multiGpu]}\` for several GPUs.
- \`fim-kit.json\`: every setting, read by both scripts.

Written for Axolotl ${KIT_VERSIONS.axolotl}, TRL ${KIT_VERSIONS.trl}, transformers ${KIT_VERSIONS.transformers}, PEFT ${KIT_VERSIONS.peft}, accelerate ${KIT_VERSIONS.accelerate}.

## Run it

Run every command from this folder, on a machine with CUDA GPUs and the model's weights reachable (the Hugging Face Hub, or set
\`base_model\` / \`baseModel\` to a local path).

With Axolotl (installed as its docs say, e.g. \`pip install axolotl\`):

    python prepare.py
    axolotl train ${AXOLOTL_DIR}/config.yml                                   # one GPU
    axolotl train ${AXOLOTL_DIR}/config-multi-gpu.yml -- --num_processes 4     # several GPUs on one machine (here 4)

The adapter lands in \`out/axolotl/\`.

With PEFT + TRL:

    pip install -r requirements.txt
    python prepare.py
    accelerate launch train_trl.py                                                          # one GPU
    accelerate launch --config_file ${ACCELERATE_DIR}/${ACCELERATE_FILE[s.multiGpu]} --num_processes 4 train_trl.py     # several GPUs (here 4)

The adapter lands in \`out/trl/adapter/\`.

On N GPUs each optimizer step sees N times the batch (${s.batchSize} per GPU × ${s.gradAccum} accumulated × N)${s.steps === undefined ? ", so an epoch takes N times fewer steps" : ""}. To keep FIM Studio's
effective batch, divide the gradient accumulation by N (in the config, or \`trl.gradient_accumulation_steps\` in fim-kit.json).

## Settings

| FIM Studio | value | Axolotl | TRL / PEFT | |
|---|---|---|---|---|
${rows.join("\n")}

## Bring the adapter back

The folder with \`adapter_config.json\` and \`adapter_model.safetensors\` opens in FIM Studio's Playground, the Train page's comparison and
Export, as any adapter does, with the base model loaded (${s.baseModel}); the command line takes it too:

    fim export --model <the base model's folder> --adapter out/trl/adapter --quant q4_0 --out model.gguf

An adapter for another base model is refused, naming the tensor whose shape does not fit.
`;
}
