// python.ts — the kit's two Python scripts, as text (the browser writes them too). Both read fim-kit.json beside
// them, so the settings live in one file: prepare.py tokenizes the samples exactly as FIM Studio trains on them
// (src/lib/train/data.ts tokenizeSample: [BOS if the tokenizer adds one] + prompt + completion, the two tokenized
// apart, loss mask on the completion), for both trainers; train_trl.py is the plain PEFT + TRL + accelerate run.
// tests/unit/kit runs them with python3 against stand-in modules (no torch needed) and checks every keyword they
// pass against the documented key sets.

export const PREPARE_PY = `#!/usr/bin/env python3
"""prepare.py, written by FIM Studio's training kit.

Tokenizes data/train.jsonl and data/eval.jsonl with the base model's tokenizer exactly as FIM Studio trains on
them: [BOS, when the tokenizer adds one] + prompt + completion, prompt and completion tokenized apart, nothing else
added (the completion already ends with the format's end token, if it has one). Labels are -100 on the BOS and the
prompt when the loss is on the middle only. A row longer than the context is dropped (a plain, left-to-right row is
cut instead), and counted. Writes data/tokenized/{train,eval}.jsonl (input_ids, attention_mask, labels): Axolotl
reads them as a pre-tokenized dataset, train_trl.py as a processed one.

Usage: python prepare.py        (needs: pip install -r requirements.txt)
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def tokenize_row(row, encode, bos, context, loss_on):
    """One {prompt, completion} row -> {input_ids, attention_mask, labels}, or None when it does not fit."""
    prompt = encode(row["prompt"]) if row["prompt"] else []
    ids = bos + prompt + encode(row["completion"])
    if len(ids) > context:
        if row["prompt"]:
            return None
        ids = ids[:context]  # a plain row is cut to the context, as FIM Studio cuts it
    first = len(bos) + len(prompt) if loss_on == "middle" and row["prompt"] else 0
    return {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": [-100] * first + ids[first:]}


def tokenize_file(src, dst, encode, bos, context, loss_on):
    kept = dropped = tokens = 0
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    tmp = dst + ".partial"
    with open(src, encoding="utf-8") as f, open(tmp, "w", encoding="utf-8") as out:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row.get("prompt"), str) or not isinstance(row.get("completion"), str):
                sys.exit(f"prepare.py: {src}:{n}: a row needs string fields prompt and completion")
            t = tokenize_row(row, encode, bos, context, loss_on)
            if t is None:
                dropped += 1
                continue
            kept += 1
            tokens += len(t["input_ids"])
            out.write(json.dumps(t) + "\\n")
    os.replace(tmp, dst)
    return kept, dropped, tokens


def main():
    kit = json.load(open(os.path.join(HERE, "fim-kit.json"), encoding="utf-8"))
    s = kit["settings"]
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(s["baseModel"])
    encode = lambda text: tok(text, add_special_tokens=False)["input_ids"]
    bos = tok("", add_special_tokens=True)["input_ids"]
    split = [m for m in kit["markers"] if len(encode(m)) != 1]
    if split:
        print(f"prepare.py: warning: {s['baseModel']} splits the {kit['format']} markers {split} into several tokens: "
              "pick a FIM format this model was trained with (or expect a weak adapter)", file=sys.stderr)
    for name in ("train", "eval"):
        src = os.path.join(HERE, "data", f"{name}.jsonl")
        dst = os.path.join(HERE, "data", "tokenized", f"{name}.jsonl")
        kept, dropped, tokens = tokenize_file(src, dst, encode, bos, s["contextLength"], s["lossOn"])
        note = f", {dropped} longer than the context dropped" if dropped else ""
        print(f"prepare.py: {name}: {kept} rows, {tokens} tokens{note} -> {os.path.relpath(dst, HERE)}")
        if dropped > 0.05 * max(1, kept + dropped):
            print("prepare.py: warning: many rows did not fit: write the kit again with the model's tokenizer "
                  "(fim kit --tokenizer) so prompts are cut to fit", file=sys.stderr)


if __name__ == "__main__":
    main()
`;

export const TRAIN_TRL_PY = `#!/usr/bin/env python3
"""train_trl.py, written by FIM Studio's training kit: LoRA with PEFT + TRL's SFTTrainer, launched by accelerate.

The settings are FIM Studio's, from fim-kit.json ("trl": SFTConfig arguments, "peft": LoraConfig arguments). The
data is data/tokenized/*.jsonl from prepare.py; its labels carry the loss mask, which TRL's collator applies as
completion_mask. The adapter (adapter_config.json + adapter_model.safetensors, PEFT's layout) is written to
out/trl/adapter: open that folder in FIM Studio's Playground, Train comparison or Export, or \`fim export --adapter\`.

  one GPU:      accelerate launch train_trl.py
  several GPUs: accelerate launch --config_file accelerate/<deepspeed_zero2|fsdp2>.yaml --num_processes N train_trl.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    kit = json.load(open(os.path.join(HERE, "fim-kit.json"), encoding="utf-8"))
    import torch
    from datasets import load_dataset
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    files = {name: os.path.join(HERE, "data", "tokenized", f"{name}.jsonl") for name in ("train", "eval")}
    for path in files.values():
        if not os.path.exists(path):
            raise SystemExit(f"train_trl.py: {path} is missing: run python prepare.py first")
    data = load_dataset("json", data_files=files)
    # the loss mask as TRL's collator takes it: 1 where a label is kept
    data = data.map(lambda r: {"completion_mask": [0 if x == -100 else 1 for x in r["labels"]]}, remove_columns=["labels"])
    bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    args = SFTConfig(
        output_dir=os.path.join(HERE, "out", "trl"),
        **kit["trl"],
        completion_only_loss=True,  # with the mask above: the middle only, or every token (a mask of ones)
        dataset_kwargs={"skip_prepare_dataset": True},  # tokenized already: no EOS or truncation added
        packing=False,
        loss_type="nll",
        bf16=bf16,
        model_init_kwargs={"dtype": torch.bfloat16 if bf16 else torch.float32},
        eval_strategy="steps",
        eval_steps=max(1, kit["evalEvery"]),
        save_strategy="epoch",
        logging_steps=10,
        report_to="none",
    )
    trainer = SFTTrainer(
        model=kit["settings"]["baseModel"],
        args=args,
        train_dataset=data["train"],
        eval_dataset=data["eval"],
        peft_config=LoraConfig(**kit["peft"], task_type="CAUSAL_LM", bias="none"),
    )
    trainer.train()
    out = os.path.join(HERE, "out", "trl", "adapter")
    trainer.save_model(out)
    if trainer.accelerator.is_main_process:
        print(f"train_trl.py: adapter written to {out}")


if __name__ == "__main__":
    main()
`;
