"""`rxalign pipeline`: data → pretrain (tokenizer + model) → SFT → reward ensemble → PPO → DPO → eval → report,
each stage's own recipe run into one directory, `<run>/<stage>/`.

Caching: a stage's key is the fingerprint of its resolved config (run-directory paths written relative to the
run, so a moved run keeps its keys) chained with the keys of the stages it reads. A finished stage whose key is
unchanged is skipped; `--from STAGE` reruns it and every later stage. A stage interrupted mid-way is resumed
from its newest checkpoint when started again with the same key, and started afresh when its key changed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

from pydantic import BaseModel, Field

from rxalign import ui
from rxalign.config import (
    PPOConfig,
    PretrainConfig,
    RewardConfig,
    SFTConfig,
    Strict,
    bundled_config_data,
    load_config,
    read_yaml,
)
from rxalign.data.corpus import fingerprint as corpus_fingerprint
from rxalign.data.generate import GenerateConfig, testbed_corpus
from rxalign.errors import UserError
from rxalign.eval.run import BUNDLED_SETS, EvalConfig
from rxalign.io import write_json
from rxalign.models.base import base_dir, check_corpus, read_card
from rxalign.models.load import check_model_dir
from rxalign.stages.dpo import DPOConfig
from rxalign.stages.registry import STAGES as REGISTRY

STAGES = tuple(REGISTRY)
READS = {name: stage.reads for name, stage in REGISTRY.items()}
# Sections whose defaults are the bundled stage configs (`rxalign config STAGE`).
SECTIONS = {name: stage.bundled for name, stage in REGISTRY.items() if stage.bundled is not None}
# Keys the pipeline sets itself (paths between stages): a user setting one would be silently overridden.
WIRED = {name: tuple(key for key, _ in stage.wiring) for name, stage in REGISTRY.items() if stage.wiring}


SHIPPED, SCRATCH = "shipped", "scratch"


class PipelineConfig(Strict):
    name: str = Field("default", description="run name: the run directory is runs/<name> unless `out` is set")
    out: Path | None = Field(None, description="run directory (null = runs/<name>)")
    base_model: str = Field(
        SHIPPED,
        min_length=1,
        description="where SFT starts: `shipped` = the testbed base model that ships with rxalign (pretrained once "
        "on the default corpus; its card is in the README), `scratch` = pretrain a new model on the generated "
        "corpus (the `pretrain` section), or a local Hugging Face causal-LM directory with a chat template; "
        "pretraining runs only with `scratch`",
    )
    data: GenerateConfig = Field(description="the generated testbed (`rxalign config generate`)")
    pretrain: PretrainConfig = Field(description="Stage 1 (`rxalign config pretrain`)")
    sft: SFTConfig = Field(description="Stage 2 (`rxalign config sft`)")
    reward: RewardConfig = Field(description="Stage 3 (`rxalign config reward`)")
    ppo: PPOConfig = Field(description="Stage 4 (`rxalign config ppo`)")
    dpo: DPOConfig = Field(description="Stage B (`rxalign config dpo`)")
    eval: EvalConfig = Field(EvalConfig(), description="evaluation of the SFT, PPO and DPO models")

    @property
    def run_dir(self) -> Path:
        return Path(self.out) if self.out is not None else Path("runs") / self.name

    @property
    def start(self) -> Path:
        """The model SFT starts from."""
        if self.base_model == SHIPPED:
            return base_dir()
        if self.base_model == SCRATCH:
            return self.run_dir / "pretrain" / "final"
        return Path(self.base_model)


def load_pipeline_config(path: Path | None, overrides: list[str] | None = None) -> PipelineConfig:
    """The bundled stage configs, under the pipeline YAML (`path`, None = bundled), under `--set` overrides."""
    wired = {(section, *key.split(".")) for section, keys in WIRED.items() for key in keys}
    why = "is set by the pipeline (the previous stage's output in the run directory); run the stage on its own to point it elsewhere"
    if path is not None:
        data, lines = read_yaml(Path(path))
        for loc in sorted(wired):
            node = data
            for part in loc:
                node = node.get(part) if isinstance(node, dict) else None
            if node is not None:
                raise UserError(f"{path}:{lines.get(loc, 1)}: {'.'.join(loc)} {why}")
    for item in overrides or []:
        if tuple(item.partition("=")[0].strip().split(".")) in wired:
            raise UserError(f"--set {item}: {item.partition('=')[0]} {why}")
    base = {section: bundled_config_data(stage) for section, stage in SECTIONS.items()}
    cfg = load_config(PipelineConfig, path, overrides, stage="pipeline", base=base)
    if cfg.base_model != SCRATCH:  # a pretrain section would be ignored: say so rather than drop it silently
        unused = f"pretrain is set but base_model is {cfg.base_model!r}; pretraining runs only with base_model: scratch"
        if path is not None and data.get("pretrain"):
            raise UserError(f"{path}:{lines.get(('pretrain',), 1)}: {unused}")
        for item in overrides or []:
            if item.partition("=")[0].strip().split(".")[0] == "pretrain":
                raise UserError(f"--set {item}: {unused}")
    return cfg


def _set(cfg: BaseModel, dotted: str, value) -> BaseModel:
    """A copy of `cfg` with the nested key `dotted` (e.g. "data.train_file") set to `value`."""
    head, _, rest = dotted.partition(".")
    return cfg.model_copy(update={head: _set(getattr(cfg, head), rest, value) if rest else value})


def stage_configs(cfg: PipelineConfig) -> dict[str, BaseModel]:
    """Each stage's config with the paths between stages (the registry's wiring) pointing inside the run."""
    run, start = cfg.run_dir, cfg.start
    configs: dict[str, BaseModel] = {}
    for name, stage in REGISTRY.items():
        section = getattr(cfg, name) if name != "report" else cfg.eval  # the report's key is what it reads
        for key, where in stage.wiring:
            section = _set(section, key, start if where == "{start}" else run / where)
        configs[name] = section
    return configs


def stage_keys(cfg: PipelineConfig, configs: dict[str, BaseModel]) -> dict[str, str]:
    """Each stage's cache key: its config (run paths made relative) chained with the keys of what it reads."""
    run = str(cfg.run_dir)
    keys: dict[str, str] = {}
    for stage in STAGES:
        text = json.dumps(configs[stage].model_dump(mode="json"), sort_keys=True).replace(run, "<run>")
        if stage == "sft":  # which weights it starts from: a re-shipped base is another start
            text += cfg.base_model + (read_card()["weights_sha256"] if cfg.base_model == SHIPPED else "")
        upstream = "".join(keys[s] for s in READS[stage] if s in keys)
        keys[stage] = hashlib.sha256((stage + text + upstream).encode()).hexdigest()[:16]
    return keys


def stage_dir(run: Path, stage: str) -> Path:
    return run / stage if stage != "report" else run / "report.html"


def run(cfg: PipelineConfig, from_stage: str | None = None) -> dict:
    """Run (or skip, or resume) every stage in order; write `<run>/summary.json` and return it."""
    if from_stage is not None and from_stage not in STAGES:
        raise UserError(f"--from: unknown stage {from_stage!r} (expected one of: {', '.join(STAGES)})")
    run_dir = cfg.run_dir
    if run_dir.is_dir() and any(run_dir.iterdir()) and not (run_dir / "pipeline.json").is_file():
        raise UserError(f"--out {run_dir}: directory is not empty and holds no rxalign pipeline run")
    if cfg.base_model == SHIPPED:  # the shipped base must have read the corpus these data settings make
        check_corpus(corpus_fingerprint(testbed_corpus(cfg.data)), "data")
    elif cfg.base_model != SCRATCH:
        check_model_dir(cfg.start, "base_model")
    if from_stage == "pretrain" and cfg.base_model != SCRATCH:
        raise UserError(
            f"--from pretrain: base_model is {cfg.base_model!r}; pretraining runs only with base_model: scratch"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(_dump(cfg), encoding="utf-8")
    state_path = run_dir / "pipeline.json"
    saved = json.loads(state_path.read_text(encoding="utf-8")) if state_path.is_file() else {}
    # A stage interrupted in a run that has since moved cannot resume (its checkpoint's config names the old
    # paths): it starts afresh. Finished stages keep their keys, which ignore where the run lives.
    moved = saved.get("run", str(run_dir.resolve())) != str(run_dir.resolve())
    state = saved.get("stages", {})
    configs = stage_configs(cfg)
    keys = stage_keys(cfg, configs)
    forced = set(STAGES[STAGES.index(from_stage) :]) if from_stage else set()
    for stage in STAGES:
        if stage == "pretrain" and cfg.base_model != SCRATCH:
            state.pop(stage, None)
            _remove(
                stage_dir(run_dir, stage)
            )  # an earlier scratch run's model: not what this run starts from
            continue
        entry = state.get(stage, {})
        path = stage_dir(run_dir, stage)
        fresh = entry.get("key") == keys[stage] and entry.get("done") and path.exists()
        if fresh and stage not in forced and stage != "report":  # the report is cheap: always rewritten
            ui.info(f"pipeline: {stage} unchanged, skipped")
            continue
        if stage in forced or entry.get("key") != keys[stage] or moved:
            _remove(path)  # a different computation: start it afresh (same key: resume from the checkpoint)
        state[stage] = {"key": keys[stage], "done": False}
        write_json(state_path, {"run": str(run_dir.resolve()), "stages": state})
        ui.info(f"pipeline: {stage}")
        started = time.perf_counter()
        _RUNNERS[stage](cfg, configs[stage], run_dir)
        state[stage] = {"key": keys[stage], "done": True, "seconds": time.perf_counter() - started}
        write_json(state_path, {"run": str(run_dir.resolve()), "stages": state})
    summary = gather_summary(run_dir, state)
    write_json(run_dir / "summary.json", summary)
    return summary


def _dump(cfg: PipelineConfig) -> str:
    import yaml

    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


# ---- one runner per stage -----------------------------------------------------------------------------------


def _data(cfg, stage_cfg, run_dir):
    from rxalign.data.generate import generate

    out = run_dir / "data"
    tmp = run_dir / ".data.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    generate(tmp, stage_cfg)
    shutil.rmtree(out, ignore_errors=True)
    tmp.replace(out)


def _stage(name):
    def runner(cfg, stage_cfg, run_dir):
        REGISTRY[name].run(stage_cfg, resume=True)

    return runner


def _dpo(cfg, stage_cfg, run_dir):
    from rxalign.models.export import merge_adapter
    from rxalign.stages import dpo

    dpo.run(stage_cfg, resume=True)
    merged = run_dir / "dpo" / "merged"  # evaluation reads plain models: a LoRA adapter is merged
    if stage_cfg.lora.enabled and not (merged / "config.json").is_file():
        merge_adapter(run_dir / "dpo" / DPOConfig.final_dir, merged)


def _eval(cfg, stage_cfg, run_dir):
    from rxalign.eval.run import evaluate

    dpo = run_dir / "dpo" / ("merged" if cfg.dpo.lora.enabled else DPOConfig.final_dir)
    models = [f"sft={run_dir / 'sft' / 'final'}", f"ppo={run_dir / 'ppo' / 'final'}", f"dpo={dpo}"]
    sets = [run_dir / "data" / name for name in BUNDLED_SETS]
    evaluate(run_dir / "eval", stage_cfg, models, sets, None, True)


def _report(cfg, stage_cfg, run_dir):
    from rxalign.report.build import write_report

    state = json.loads((run_dir / "pipeline.json").read_text(encoding="utf-8"))["stages"]
    write_json(run_dir / "summary.json", gather_summary(run_dir, state))
    write_report(run_dir)


_RUNNERS = {
    "data": _data,
    "pretrain": _stage("pretrain"),
    "sft": _stage("sft"),
    "reward": _stage("reward"),
    "ppo": _stage("ppo"),
    "dpo": _dpo,
    "eval": _eval,
    "report": _report,
}


# ---- the run's summary ---------------------------------------------------------------------------------------

SCORECARD_METRICS = ("medical_accuracy", "safety", "specificity", "dose_accuracy", "humility", "score")


def gather_summary(run_dir: Path, state: dict) -> dict:
    """Every stage's headline figures under stable keys (documented in the README); a stage not yet run is absent."""

    def read(rel: str) -> dict | None:
        path = run_dir / rel
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    out: dict = {"run": str(run_dir)}
    if manifest := read("data/manifest.json"):
        a = manifest["agreement"]
        out["data"] = {
            "kappa": a["overall"]["kappa"],
            "raw_agreement": a["overall"]["raw_agreement"],
            "kappa_band": a["overall"]["band"],
            "majority_matches_gold": a["majority_matches_gold"],
            "counts": manifest["counts"],
        }
    for name, stage in REGISTRY.items():  # each trained stage's headline keys (the registry's)
        if stage.headline and (s := read(f"{name}/summary.json")):
            out[name] = {k: s.get(k) for k in stage.headline}
    if card := read("eval/scorecard.json"):
        models = card["models"]
        out["scorecard"] = {
            name: {k: m[k]["mean"] for k in (*SCORECARD_METRICS, "hallucination_rate") if m.get(k)}
            for name, m in models.items()
        }
        if seen := card.get("splits", {}).get("in_distribution"):  # training drugs asked in unseen phrasings
            out["scorecard_in_distribution"] = {
                name: {k: m[k]["mean"] for k in SCORECARD_METRICS if m.get(k)} for name, m in seen.items()
            }
        if "ppo" in out and {"sft", "ppo"} <= set(
            models
        ):  # the gold score before and after, on held-out prompts
            out["ppo"]["heldout_score_sft"] = models["sft"]["score"]["mean"]
            out["ppo"]["heldout_score_ppo"] = models["ppo"]["score"]["mean"]
        for key in (
            "hallucination_rate",
            "omission_rate",
        ):  # a summary that states nothing hallucinates nothing
            out[key] = {
                name: models[name][key]["mean"]
                for name in ("sft", "dpo")
                if name in models and models[name].get(key)
            }
    out["seconds"] = {stage: round(e["seconds"], 1) for stage, e in state.items() if "seconds" in e}
    out["seconds"]["total"] = round(sum(out["seconds"].values()), 1)
    return out
