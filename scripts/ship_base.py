"""Ship a trained testbed base into the package: `python scripts/ship_base.py runs/testbed-base`.

Copies the run's final/ (a plain Hugging Face directory) to src/rxalign/resources/base/, probes it
(`rxalign probe`), and writes its model card beside it: card.json (command, config, corpus fingerprint, tokens
seen, validation loss, probe figures, weights sha256) and README.md (the same, for people). The previous base is
replaced only once the new one is complete.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from rxalign.data.corpus import fingerprint
from rxalign.data.generate import GenerateConfig, testbed_corpus
from rxalign.eval.probe import headline, probe, table
from rxalign.io import write_json, write_text
from rxalign.models.base import base_dir, weights_sha256

MAX_BYTES = 40 * 2**20
COMMAND = "rxalign pretrain -c configs/testbed-base.yaml"


def card_markdown(card: dict, probe_table: str) -> str:
    s = card["training"]
    return f"""# rxalign testbed base ({card["parameters"] / 1e6:.2f}M-parameter Llama)

A small causal language model pretrained from scratch on rxalign's synthetic pharmacy corpus: drug monographs
built from the bundled knowledge base (every fact in several templates and permuted orders, each interaction
in both drugs' monographs), question-and-answer sheets for training-side drugs only (never a held-out drug),
and synthetic clinical notes with their handover summaries. It is the starting point of `rxalign pipeline`.
Research and education only: NOT for clinical use.

It is a plain Hugging Face directory (safetensors, a byte-level BPE tokenizer with a chat template) that loads
without rxalign: `AutoModelForCausalLM.from_pretrained(DIR)`, `AutoTokenizer.from_pretrained(DIR)`.

| | |
| --- | --- |
| command | `{card["command"]}` (config: `configs/testbed-base.yaml`) |
| corpus | {card["corpus"]["documents"]} documents, fingerprint `{card["corpus_fingerprint"][:16]}…` |
| tokens seen | {s["tokens"] / 1e6:.1f}M ({s["steps"]} steps) |
| validation loss | {s["val_loss"]:.3f} nats/token (perplexity {s["val_ppl"]:.2f}) |
| training time | {s["train_seconds"] / 60:.0f} min on {card["trained_on"]} |
| weights | `model.safetensors`, sha256 `{card["weights_sha256"][:16]}…` |

## Probes (`rxalign probe`; log-probability ranking, no generation)

{probe_table}
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path, help="the pretrain run directory (holds final/ and summary.json)")
    ap.add_argument(
        "--dest", type=Path, default=base_dir(), help="where the base goes (default: the package's)"
    )
    args = ap.parse_args()
    final, summary_path = args.run_dir / "final", args.run_dir / "summary.json"
    if not (final / "model.safetensors").is_file() or not summary_path.is_file():
        print(
            f"ship_base: {args.run_dir}: no finished pretrain run (final/ and summary.json)", file=sys.stderr
        )
        return 2
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    config = yaml.safe_load((args.run_dir / "config.yaml").read_text(encoding="utf-8"))
    if config["data"]["corpus"] is not None:
        print(
            "ship_base: the run did not train on the bundled testbed corpus (data.corpus is set)",
            file=sys.stderr,
        )
        return 2
    docs = testbed_corpus(GenerateConfig())
    corpus_fp = fingerprint(docs)
    if summary.get("corpus_fingerprint") != corpus_fp:
        print("ship_base: the generator no longer makes the corpus this run trained on", file=sys.stderr)
        return 2
    size = (final / "model.safetensors").stat().st_size
    if size > MAX_BYTES:
        print(f"ship_base: model.safetensors is {size / 2**20:.1f} MiB, over 40 MiB", file=sys.stderr)
        return 2

    tmp = args.dest.with_name(args.dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(final, tmp)
    result = probe(tmp)
    result["model"] = "rxalign/resources/base"
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    card = {
        "name": "rxalign-testbed-base",
        "command": COMMAND,
        "config": config,
        "corpus_fingerprint": corpus_fp,
        "corpus": {"documents": len(docs), "generate_config": GenerateConfig().model_dump(mode="json")},
        "training": {
            k: summary.get(k)
            for k in ("steps", "tokens", "val_loss", "val_ppl", "train_loss", "train_seconds", "precision")
        },
        "parameters": summary["parameters"],
        "vocab_size": summary["vocab_size"],
        "trained_on": f"{summary.get('world_size', 1)} process(es), {platform.processor() or platform.machine()}",
        "weights_sha256": weights_sha256(tmp),
        "weights_bytes": size,
        "probe": headline(result),
        "probe_full": result,
        "shipped": dt.date.today().isoformat(),
        "commit": commit,
    }
    write_json(tmp / "card.json", card)
    write_text(tmp / "README.md", card_markdown(card, table(result)))
    shutil.rmtree(args.dest, ignore_errors=True)
    tmp.replace(args.dest)
    print(table(result))
    print(f"shipped {args.dest} ({size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
