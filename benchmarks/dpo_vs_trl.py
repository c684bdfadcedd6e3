"""DPO wall time: `rxalign dpo` against TRL's DPOTrainer on the same model, pairs and settings.

Both arms: LoRA (r, alpha 2r, dropout 0, all linear layers) on the same base model, sigmoid loss, β 0.1, the same
learning rate with 10% warm-up then cosine decay to 10%, batch size, max_length and one epoch, reference log-probs
precomputed, fp32, no checkpoints, and the same tokens (the chat template renders prompt and response). TRL runs
no evaluation; rxalign always scores its validation pairs (4 here) at step 0 and at the end of each epoch, which
counts against it. Each arm runs `--repeats` times in a fresh process, alternating, so a busy machine slows both alike;
the figure is the median whole-process wall time (imports, loading, tokenising, the reference pass, training and
saving the adapter), next to each library's own training-time figure.
TRL must be installed (`pip install -e .[bench]`).

Run: OMP_NUM_THREADS=2 .venv/bin/python benchmarks/dpo_vs_trl.py --out runs/bench/dpo_vs_trl [--model DIR]
     [--preset tiny] [--pairs 64] [--repeats 3]
Writes OUT/dpo_vs_trl.json and OUT/dpo_vs_trl.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import RXALIGN, bundled_dpo_pairs, environment, header, model_dir, parameters, write_results

from rxalign.models.load import PRESETS


def trl_arm(args: argparse.Namespace) -> None:
    """The TRL arm, run in its own process: prints one JSON line with TRL's train_runtime."""
    import torch
    import trl
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32)
    rows = [json.loads(line) for line in (args.out / "train.jsonl").read_text().splitlines()]
    dataset = Dataset.from_list(
        [
            {
                "prompt": [{"role": "user", "content": r["prompt"]}],
                "chosen": [{"role": "assistant", "content": r["chosen"]}],
                "rejected": [{"role": "assistant", "content": r["rejected"]}],
            }
            for r in rows
        ]
    )
    config = trl.DPOConfig(
        output_dir=str(args.out / "runs" / "trl"),
        per_device_train_batch_size=args.batch_size,
        num_train_epochs=1,
        learning_rate=args.learning_rate,
        lr_scheduler_type="cosine_with_min_lr",  # rxalign's schedule: cosine to 10% after the warm-up
        lr_scheduler_kwargs={"min_lr_rate": 0.1},
        warmup_steps=0.1,  # transformers 5: a float below 1 is a ratio of the steps
        beta=0.1,
        loss_type=["sigmoid"],
        max_length=args.max_length,
        precompute_ref_log_probs=True,
        use_cpu=not torch.cuda.is_available(),
        bf16=False,
        fp16=False,
        eval_strategy="no",
        save_strategy="no",
        logging_steps=10,
        report_to=[],
        seed=0,
        disable_tqdm=True,
    )
    lora = LoraConfig(
        r=args.lora_r,
        lora_alpha=2 * args.lora_r,
        lora_dropout=0.0,
        target_modules="all-linear",
        task_type="CAUSAL_LM",
    )
    trainer = trl.DPOTrainer(
        model=model, args=config, train_dataset=dataset, processing_class=tokenizer, peft_config=lora
    )
    result = trainer.train()
    trainer.save_model(str(args.out / "runs" / "trl" / "final_model"))
    print(json.dumps({"train_seconds": result.metrics["train_runtime"], "train_loss": result.training_loss}))


def rxalign_arm(args: argparse.Namespace) -> list[str]:
    run_dir = args.out / "runs" / "rxalign"
    for stale in (run_dir, args.out / "cache"):
        shutil.rmtree(stale, ignore_errors=True)
    return [
        *RXALIGN, "dpo",
        "--sft_model_path", str(args.model), "--train_file", str(args.out / "train.jsonl"),
        "--val_file", str(args.out / "val.jsonl"), "--output_dir", str(run_dir),
        "--ref_cache_dir", str(args.out / "cache"), "--num_epochs", "1", "--batch_size", str(args.batch_size),
        "--max_length", str(args.max_length), "--learning_rate", str(args.learning_rate), "--beta", "0.1",
        "--loss", "sigmoid", "--use_lora", "--lora_r", str(args.lora_r), "--lora_alpha", str(2 * args.lora_r),
        "--precompute_ref", "--warmup_ratio", "0.1", "--samples", "0", "--save_steps", "1000000",
        "--eval_steps", "1000000", "--logging_steps", "10", "--quiet",
    ]  # fmt: skip


def timed(cmd: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return time.perf_counter() - started, done.stdout


def _seconds(runs: list[dict], key: str) -> str:
    return ", ".join(f"{r[key]:.1f}" for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/bench/dpo_vs_trl"))
    parser.add_argument(
        "--model", type=Path, default=None, help="a local HF causal-LM directory (default: random)"
    )
    parser.add_argument(
        "--preset", choices=sorted(PRESETS), default="tiny", help="random model size (no --model)"
    )
    parser.add_argument("--pairs", type=int, default=64, help="training pairs (one epoch)")
    parser.add_argument("--batch_size", type=int, default=4)
    parser.add_argument("--max_length", type=int, default=640)
    parser.add_argument("--learning_rate", type=float, default=2e-4)
    parser.add_argument("--lora_r", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trl-arm", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.trl_arm:
        trl_arm(args)
        return
    try:
        import trl
    except ImportError:
        sys.exit("dpo_vs_trl: TRL is not installed; pip install -e .[bench]")

    args.out.mkdir(parents=True, exist_ok=True)
    bundled_dpo_pairs(args.out, args.pairs, 4)
    args.model = model_dir(args.out, args.preset, args.model)
    trl_cmd = [sys.executable, __file__, "--trl-arm", *sys.argv[1:], "--model", str(args.model)]
    runs: dict[str, list[dict]] = {"rxalign": [], "trl": []}
    for repeat in range(args.repeats):
        for arm in ("rxalign", "trl"):
            wall, stdout = timed(rxalign_arm(args) if arm == "rxalign" else trl_cmd)
            if arm == "rxalign":
                own = json.loads((args.out / "runs" / "rxalign" / "summary.json").read_text())[
                    "train_seconds"
                ]
            else:
                own = json.loads(stdout.strip().splitlines()[-1])["train_seconds"]
            runs[arm].append({"wall_seconds": wall, "train_seconds": own})
            print(
                f"repeat {repeat} · {arm}: {wall:.1f} s wall, {own:.1f} s training (own figure)", flush=True
            )

    median = {arm: statistics.median(r["wall_seconds"] for r in rs) for arm, rs in runs.items()}
    env = environment()
    config = json.loads((args.model / "config.json").read_text())
    md = [
        "# DPO: rxalign vs TRL DPOTrainer, same model, pairs and settings",
        "",
        header(env) + f" · trl {trl.__version__}",
        "",
        f"Command: `{env['command']}` · model {args.model} ({config.get('model_type')}, "
        f"{parameters(args.model) / 1e6:.2f}M parameters) · {args.pairs} pairs, 1 epoch, batch {args.batch_size}, "
        f"max_length {args.max_length}, LoRA r {args.lora_r}, reference precomputed · {args.repeats} alternating "
        "repeats, fresh process each",
        "",
        "| arm | median wall s (whole process) | wall s, each run | training s, each run (the library's own figure) |",
        "|---|---|---|---|",
        *(
            f"| {arm} | {median[arm]:.1f} | {_seconds(rs, 'wall_seconds')} | {_seconds(rs, 'train_seconds')} |"
            for arm, rs in runs.items()
        ),
        "",
        f"rxalign takes {median['rxalign'] / median['trl']:.2f}× TRL's wall time. TRL's training figure includes its "
        "reference pass; rxalign's does not (it runs before the loop).",
    ]
    report = {"environment": env, "trl": trl.__version__, "runs": runs, "median_wall_seconds": median}
    write_results(args.out, "dpo_vs_trl", report, md)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
