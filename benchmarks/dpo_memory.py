"""Peak memory and time of DPO with and without `--precompute_ref`, full fine-tuning and LoRA.

Every arm is `rxalign dpo` in a fresh process on the same model, pairs and settings, with an empty reference cache
(so the precompute pass is paid for, not reused). The peak is what the run logs as `peak_memory_mb`, measured from
the start of the training loop: torch's peak allocated memory on a GPU, the peak resident set size on CPU (with
glibc's mmap threshold fixed, so that freed tensors leave the resident set; that slows CPU training, so the times
here are for comparing the arms with each other only).
Full fine-tuning keeps a frozen copy of the SFT model as the reference unless the log-probs are precomputed; under
LoRA the reference is the adapter-off policy, so precomputing saves reference forwards (time), not a copy.

Run: .venv/bin/python benchmarks/dpo_memory.py --out runs/bench/dpo_memory [--preset base] [--pairs 16]
     [--model DIR] [--repeats 3]
Writes OUT/model/ (unless --model), OUT/runs/<arm>/, OUT/dpo_memory.json and OUT/dpo_memory.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
from pathlib import Path

from common import RXALIGN, bundled_dpo_pairs, environment, header, model_dir, parameters, write_results

from rxalign.models.load import PRESETS


def run_arm(out: Path, model: Path, lora: bool, precompute: bool, args: argparse.Namespace) -> dict:
    name = f"{'lora' if lora else 'full'}-{'precompute_ref' if precompute else 'ref_model'}"
    run_dir = out / "runs" / name
    cmd = [
        *RXALIGN, "dpo", "--sft_model_path", str(model),
        "--train_file", str(out / "train.jsonl"), "--val_file", str(out / "val.jsonl"),
        "--output_dir", str(run_dir), "--ref_cache_dir", str(out / "cache" / name),
        "--num_epochs", "1", "--batch_size", str(args.batch_size), "--max_length", str(args.max_length),
        "--learning_rate", "1e-4", "--samples", "0", "--logging_steps", "1", "--save_steps", "100000",
        "--use_lora" if lora else "--no_use_lora", "--precompute_ref" if precompute else "--no_precompute_ref",
        "--quiet",
    ]  # fmt: skip
    for stale in (run_dir, out / "cache" / name):
        shutil.rmtree(stale, ignore_errors=True)
    # glibc otherwise raises its mmap threshold after the first large free and keeps freed tensors resident, so the
    # resident-set peak would count memory the run no longer uses; a fixed threshold returns large frees at once.
    subprocess.run(cmd, check=True, env={**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536"})
    summary = json.loads((run_dir / "summary.json").read_text())
    row = {
        "arm": name,
        "lora": lora,
        "precompute_ref": precompute,
        "peak_memory_mb": summary["peak_memory_mb"],
        "train_seconds": summary["train_seconds"],
        "stage_seconds": summary["stage_seconds"],
    }
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/bench/dpo_memory"))
    parser.add_argument(
        "--preset", choices=sorted(PRESETS), default="base", help="random model size (no --model)"
    )
    parser.add_argument("--model", type=Path, default=None, help="a local HF causal-LM directory instead")
    parser.add_argument("--pairs", type=int, default=16, help="training pairs (one epoch)")
    parser.add_argument("--batch_size", type=int, default=2)
    parser.add_argument("--max_length", type=int, default=384)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    bundled_dpo_pairs(args.out, args.pairs, 4)
    model = model_dir(args.out, args.preset, args.model)
    config = json.loads((model / "config.json").read_text())
    arms = [(lora, pre) for lora in (False, True) for pre in (False, True)]
    # Alternating repeats: a resident-set peak moves by tens of MB from run to run with the allocator's luck.
    runs = [run_arm(args.out, model, lora, pre, args) for _ in range(args.repeats) for lora, pre in arms]
    by = {arm: [r for r in runs if (r["lora"], r["precompute_ref"]) == arm] for arm in arms}
    median = {
        arm: {k: statistics.median(r[k] for r in rs) for k in ("peak_memory_mb", "train_seconds")}
        for arm, rs in by.items()
    }
    env = environment()
    md = [
        "# DPO peak memory and time: `--precompute_ref` vs a reference model",
        "",
        header(env),
        "",
        f"Command: `{env['command']}` · model {model} ({config.get('model_type')}, hidden "
        f"{config.get('hidden_size')}, {config.get('num_hidden_layers')} layers, "
        f"{parameters(model) / 1e6:.1f}M parameters) · {args.pairs} pairs, 1 epoch, batch {args.batch_size}, "
        f"max_length {args.max_length} · {args.repeats} alternating repeats, fresh process each",
        "",
        "| arm | median peak memory during training (MB) | each run (MB) | median train s |",
        "|---|---|---|---|",
        *(
            f"| {rs[0]['arm']} | {median[arm]['peak_memory_mb']:.0f} | "
            f"{', '.join(str(round(r['peak_memory_mb'])) for r in rs)} | {median[arm]['train_seconds']:.1f} |"
            for arm, rs in by.items()
        ),
        "",
    ]
    for lora, label in ((False, "full fine-tuning"), (True, "LoRA")):
        ref, pre = median[(lora, False)], median[(lora, True)]
        md.append(
            f"- {label}: precompute_ref changes the median peak by "
            f"{pre['peak_memory_mb'] - ref['peak_memory_mb']:+.0f} MB and the median training time by "
            f"{pre['train_seconds'] / ref['train_seconds'] - 1:+.0%}."
        )
    write_results(args.out, "dpo_memory", {"environment": env, "runs": runs}, md)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
