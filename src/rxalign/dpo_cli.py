"""Commands `rxalign dpo`, `rxalign merge` and `rxalign quantize` (registered on the app in cli.py).

`rxalign dpo` takes every DPOConfig key as a flag in the quick start's spelling (`--learning_rate`) and the
dashed one (`--learning-rate`): aliases over the nested config (`QUICKSTART_FLAGS`: `--learning_rate` sets
`train.lr`), on top of `--config YAML` (nested keys, as `rxalign config dpo` prints); a flag wins over the file.
An error names a key as the user gave it: the flag, or the file's line and key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from rxalign import ui
from rxalign.config import deep_merge, load_config
from rxalign.errors import UserError
from rxalign.stages.dpo.config import QUICKSTART_FLAGS, DPOConfig, field_at


def _help(flag: str) -> str:
    info, default = field_at(QUICKSTART_FLAGS[flag])
    shown = "null" if default is None else str(default)
    return f"{info.description} (config key {QUICKSTART_FLAGS[flag]}; default: {shown})"


def _opt(name: str, **kw: Any) -> Any:
    """An option spelled --name_with_underscores and --name-with-dashes, help from the config's description."""
    decls = [f"--{name}"]
    if "_" in name:
        decls.append(f"--{name.replace('_', '-')}")
    return typer.Option(*decls, help=_help(name), show_default=False, **kw)


def _flag(name: str) -> Any:
    """A boolean option: --name / --no_name, in both spellings."""
    dashed = name.replace("_", "-")
    return typer.Option(
        f"--{name}/--no_{name}", f"--{dashed}/--no-{dashed}", help=_help(name), show_default=False
    )


def config_from(path: Path | None, flags: dict[str, Any]) -> DPOConfig:
    """The YAML at `path` (nested keys; None = the quick start's defaults) under the quick-start `flags` (flag
    name -> value). A flag's mistake names the flag; the config remembers which keys came from flags, so that
    the recipe's errors name them too (`--output_dir ...: holds another run`)."""
    base = load_config(DPOConfig, path, stage="dpo").model_dump(exclude_unset=True) if path else {}
    nested: dict = {}
    for flag, value in flags.items():
        *sections, name = QUICKSTART_FLAGS[flag].split(".")
        node = nested
        for part in sections:
            node = node.setdefault(part, {})
        node[name] = value
    names = {QUICKSTART_FLAGS[flag]: f"--{flag}" for flag in flags}
    try:
        cfg = DPOConfig.model_validate(deep_merge(base, nested))
    except ValidationError as e:
        err = e.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        if key in names:
            raise UserError(f"{names[key]}: {err['msg']} (got {err.get('input')!r})") from None
        # a section's own check (loss against label_smoothing): name the flags that set keys in it
        inside = [name for k, name in names.items() if k.startswith(f"{key}.") or not key]
        raise UserError(f"{', '.join(inside) or key or 'flags'}: {err['msg']}") from None
    return cfg.named_by(names)


def dpo(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="YAML with the nested config keys named below each flag (unknown keys and wrong types are "
            "rejected with file:line). Flags override it. Without it the defaults are the quick start's, meant for "
            "multi-billion-parameter models; the bundled tiny-CPU config is printed by `rxalign config dpo`.",
        ),
    ] = None,
    sft_model_path: Annotated[Path | None, _opt("sft_model_path")] = None,
    train_file: Annotated[Path | None, _opt("train_file")] = None,
    val_file: Annotated[Path | None, _opt("val_file")] = None,
    val_fraction: Annotated[float | None, _opt("val_fraction")] = None,
    output_dir: Annotated[Path | None, _opt("output_dir")] = None,
    num_epochs: Annotated[int | None, _opt("num_epochs")] = None,
    learning_rate: Annotated[float | None, _opt("learning_rate")] = None,
    beta: Annotated[float | None, _opt("beta")] = None,
    batch_size: Annotated[int | None, _opt("batch_size")] = None,
    gradient_accumulation_steps: Annotated[int | None, _opt("gradient_accumulation_steps")] = None,
    loss: Annotated[str | None, _opt("loss")] = None,
    label_smoothing: Annotated[float | None, _opt("label_smoothing")] = None,
    rpo_alpha: Annotated[float | None, _opt("rpo_alpha")] = None,
    use_lora: Annotated[bool | None, _flag("use_lora")] = None,
    lora_r: Annotated[int | None, _opt("lora_r")] = None,
    lora_alpha: Annotated[int | None, _opt("lora_alpha")] = None,
    precompute_ref: Annotated[bool | None, _flag("precompute_ref")] = None,
    ref_cache_dir: Annotated[Path | None, _opt("ref_cache_dir")] = None,
    max_length: Annotated[int | None, _opt("max_length")] = None,
    warmup_ratio: Annotated[float | None, _opt("warmup_ratio")] = None,
    max_grad_norm: Annotated[float | None, _opt("max_grad_norm")] = None,
    logging_steps: Annotated[int | None, _opt("logging_steps")] = None,
    eval_steps: Annotated[int | None, _opt("eval_steps")] = None,
    save_steps: Annotated[int | None, _opt("save_steps")] = None,
    samples: Annotated[int | None, _opt("samples")] = None,
    sample_max_new_tokens: Annotated[int | None, _opt("sample_max_new_tokens")] = None,
    precision: Annotated[str | None, _opt("precision")] = None,
    seed: Annotated[int | None, _opt("seed")] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue the run in --output_dir from its newest checkpoint; the config must be unchanged.",
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="No progress bar or info lines; warnings and errors still print."),
    ] = False,
) -> None:
    """Stage B: DPO with LoRA on (prompt, chosen, rejected) triplets: prefer the factual summary over the one
    with a hallucinated detail, staying close (β) to the SFT reference.

    Logs per step and per epoch: train and validation loss, chosen preference (pairs whose implicit reward
    favours the chosen response), rewards chosen / rejected / margin and log-probs chosen / rejected; the step-0
    validation loss is ln 2. Writes OUTPUT_DIR/final_model (adapter + tokenizer + dpo_config.json),
    checkpoint_epoch_N/ and dpo_training_stats.json. Research and education software, NOT for clinical use.
    """
    from rxalign.stages import dpo as stage

    ui.set_quiet(quiet)
    cfg = config_from(config, {k: v for k, v in locals().items() if k in QUICKSTART_FLAGS and v is not None})
    summary = stage.run(cfg, resume=resume)
    if not quiet:
        first, last = summary["chosen_preference_first"], summary["chosen_preference"]
        ui.console.print(
            f"[bold green]DPO Training completed![/bold green] Model saved to {cfg.out / cfg.final_dir} · "
            f"val loss {summary['val_loss_first']:.4f} → {summary['val_loss']:.4f} · chosen preference "
            f"{first:.1%} → {last:.1%}"
        )


def merge(
    adapter_dir: Annotated[Path, typer.Argument(help="LoRA adapter directory (adapter_config.json).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for the merged model; must be new or empty.")
    ],
    base: Annotated[
        Path | None,
        typer.Option(
            "--base", help="Base model directory; default: base_model_name_or_path in adapter_config.json."
        ),
    ] = None,
) -> None:
    """Merge a LoRA adapter into its base model: a plain Hugging Face directory (safetensors and the tokenizer)
    that `from_pretrained` loads without peft or rxalign. Checks that its logits equal the adapter model's."""
    from rxalign.models.export import merge_adapter

    report = merge_adapter(adapter_dir, out, base)
    verdict = "ok" if report.logits_max_abs_diff <= 1e-4 else "LARGER THAN 1e-4"
    typer.echo(
        f"merged {adapter_dir} into {report.base} -> {report.out} · logits vs the adapter model: "
        f"max |Δ| {report.logits_max_abs_diff:.2e} ({verdict})"
    )


def quantize(
    model_dir: Annotated[
        Path, typer.Argument(help="A Hugging Face causal-LM directory (merge an adapter first).")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for the quantised model; must be new or empty.")
    ],
    bits: Annotated[int, typer.Option("--bits", help="8 or 4 (4 needs bitsandbytes).")] = 8,
    backend: Annotated[
        str,
        typer.Option(
            "--backend",
            help="auto = bitsandbytes when installed, else torch int8 dynamic quantisation; or force bitsandbytes / torch.",
        ),
    ] = "auto",
) -> None:
    """Quantise a model to 8 or 4 bits and print its size before and after and the logit drift (max and mean
    absolute difference of the logits against the original on a few prompts). Never pickles: bitsandbytes output
    is a Hugging Face directory; torch int8 output is safetensors + quantization.json (load_quantized)."""
    from rxalign.errors import UserError
    from rxalign.models.export import TORCH_BACKEND, quantize_model

    backends = {"auto": "auto", "bitsandbytes": "bitsandbytes", "torch": TORCH_BACKEND}
    if backend not in backends:
        raise UserError(f"--backend: expected one of {', '.join(backends)}, got {backend!r}")
    r = quantize_model(model_dir, bits, out, backend=backends[backend])
    ratio = r.size_before_mb / r.size_after_mb if r.size_after_mb else float("inf")
    typer.echo(
        f"quantised {model_dir} to {r.bits} bits ({r.backend}) -> {r.out}\n"
        f"size: {r.size_before_mb:.2f} MB -> {r.size_after_mb:.2f} MB ({ratio:.1f}x smaller)\n"
        f"logit drift on {r.prompts} prompts: max |Δ| {r.logits_max_abs_diff:.4f}, mean |Δ| {r.logits_mean_abs_diff:.4f}"
    )
