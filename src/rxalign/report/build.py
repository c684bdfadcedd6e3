"""`write_report`: read a pipeline run directory (data/, pretrain/, sft/, reward/, ppo/, dpo/, eval/) and write
one self-contained HTML file: headline, checks, scorecard, showcase answers, every stage's curves, the PPO
reward-hacking audit and the annotators' agreement. A stage whose directory is absent gets a "stage not run" note;
a stage directory without the file its stage always writes is a user error.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from importlib.resources import files
from pathlib import Path

import jinja2

from rxalign.errors import UserError
from rxalign.io import write_text
from rxalign.report import plots
from rxalign.report.common import (
    AUDIT_FLAGS,
    GOLD_DROP,
    K1_PROBLEM,
    flatten,
    fmt,
    member_metrics,
    optional_json,
    pct,
    score,
    window_mean,
)
from rxalign.report.plots import finite
from rxalign.report.sections import (
    data_section,
    dpo_section,
    eval_section,
    lm_section,
    ppo_section,
    reward_section,
)
from rxalign.stages.registry import STAGES

# The file each stage always writes; its absence in a present stage directory means the stage did not finish.
REQUIRED = {name: stage.marker for name, stage in STAGES.items() if stage.marker is not None}


def check_run_dir(run_dir: Path) -> dict[str, Path | None]:
    """The present stage directories (None where absent); raises UserError for a missing or incomplete run."""
    if not run_dir.exists():
        raise UserError(f"{run_dir}: no such run directory")
    if not run_dir.is_dir():
        raise UserError(f"{run_dir}: is a file, expected a run directory")
    stages = {s: (run_dir / s if (run_dir / s).is_dir() else None) for s in REQUIRED}
    if not any(stages.values()) and not (run_dir / "summary.json").is_file():
        raise UserError(
            f"{run_dir}: holds no rxalign run (none of summary.json, {', '.join(s + '/' for s in REQUIRED)})"
        )
    for stage, path in stages.items():
        if path is None:
            continue
        present = member_metrics(path) if stage == "reward" else (path / REQUIRED[stage]).is_file()
        if not present:
            raise UserError(f"{path}: incomplete {stage} stage, {REQUIRED[stage]} is missing")
    return stages


# ---- checks ----------------------------------------------------------------------------------------------------


def checks(sections: dict) -> list[str]:
    """Red flags the numbers show (the seed guide's: negative KL, a reward model below chance, flat PPO reward,
    no clipping), each one line."""
    out = []
    data = sections.get("data")
    if data and data["leakage"].get("leaks"):
        out.append(f"Data: {data['leakage']['leaks']} evaluation prompts leak into training data.")
    pre = sections.get("pretrain")
    if pre and pre["raw"]:
        s = pre["raw"]
        if finite(s.get("val_loss")) and finite(s.get("ln_vocab")) and s["val_loss"] >= s["ln_vocab"]:
            out.append(
                f"Pretraining: validation loss {s['val_loss']:.3f} is not below the uniform guess ln V."
            )
    reward = sections.get("reward")
    if reward:
        for m in reward["members"]:
            if finite(m["val_accuracy"]) and m["val_accuracy"] < 0.5:
                out.append(
                    f"Reward model {m['name']}: validation accuracy {pct(m['val_accuracy'])} is below chance."
                )
            if finite(m["val_margin"]) and m["val_margin"] < 0:
                out.append(f"Reward model {m['name']}: validation margin {m['val_margin']:.3f} is negative.")
    ppo = sections.get("ppo")
    if ppo and ppo["records"]:
        recs = ppo["records"]
        _, k1 = plots.series(recs, "kl_k1_mean", "iteration")
        if k1 and min(k1) < K1_PROBLEM:
            out.append(
                f"PPO: mean k1 KL reached {min(k1):.4f}; true KL is never negative, so sampling and scoring disagree."
            )
        _, clip = plots.series(recs, "clipfrac", "iteration")
        if len(clip) > 1 and max(clip) == 0:
            out.append(
                "PPO: the clip fraction is 0 in every iteration; the policy updates may not be applied."
            )
        _, rm = plots.series(recs, "rm_score_mean", "iteration")
        _, gold = plots.series(recs, "gold_score_mean", "iteration")
        if len(rm) > 1 and max(rm) - min(rm) < 1e-6:
            out.append(f"PPO: the reward-model score is flat at {rm[0]:.4g}; the policy is not learning.")
        if len(rm) >= 4 and len(gold) >= 4:
            n = len(rm) // 4  # first and last quarter: each iteration scores another slice of the prompts
            rm0, rm1 = window_mean(rm, True, n), window_mean(rm, False, n)
            g0, g1 = window_mean(gold, True, n), window_mean(gold, False, n)
            if rm1 > rm0 and g0 - g1 >= GOLD_DROP:
                out.append(
                    f"PPO: the reward-model score rose ({rm0:.2f} → {rm1:.2f}, means of the first and last quarter of the run) "
                    f"while the gold score fell ({g0:.2f} → {g1:.2f}): reward hacking, see the audit."
                )
        fired = [c for c in ppo["audit"]["counts"] if c["iterations"]]
        if fired:
            out.append(
                f"PPO reward-hacking audit: flags at {ppo['audit']['flagged']} of {ppo['audit']['n']} iterations ("
                + ", ".join(f"{c['kind']} ×{c['iterations']}" for c in fired)
                + ")."
            )
    dpo = sections.get("dpo")
    if dpo and dpo["records"]:
        vals = [r for r in dpo["records"] if finite(r.get("val_loss"))]
        first = vals[0] if vals else {}
        if first.get("step") == 0 and abs(first["val_loss"] - math.log(2)) > 1e-3:
            out.append(
                f"DPO: step-0 validation loss {first['val_loss']:.4f} is not ln 2 = 0.6931; the policy differs from its reference."
            )
        _, lp = plots.series(vals, "val_logps/chosen")
        _, mg = plots.series(vals, "val_rewards/margins")
        if len(lp) > 1 and len(mg) > 1 and lp[-1] < lp[0] and mg[-1] > mg[0]:
            out.append(
                f"DPO: the validation log-probability of chosen answers fell ({lp[0]:.1f} → {lp[-1]:.1f}) while the "
                f"margin grew ({mg[0]:.3f} → {mg[-1]:.3f}): both answers lose likelihood, rejected ones faster."
            )
        for t in dpo["troubleshooting"]:
            out.append(f"DPO: {t['problem']}" + (f" ({t['rule']})" if t.get("rule") else "") + ".")
    ev = sections.get("eval")
    if ev:
        for row in ev["rows"]:
            for head, d in zip(ev["delta_heads"], row["deltas"], strict=True):
                if d["verdict"] == "worse":
                    out.append(
                        f"Scorecard: {row['label']}: {head} is {d['text']}, worse with 95% confidence."
                    )
    return out


# ---- rendering -------------------------------------------------------------------------------------------------


def render(run_dir: Path) -> str:
    stages = check_run_dir(run_dir)
    sections: dict = {}
    if stages["data"]:
        sections["data"] = data_section(stages["data"])
    for stage in ("pretrain", "sft"):
        if stages[stage]:
            sections[stage] = lm_section(stages[stage], stage)
    if stages["reward"]:
        sections["reward"] = reward_section(stages["reward"])
    if stages["ppo"]:
        sections["ppo"] = ppo_section(stages["ppo"])
    if stages["dpo"]:
        sections["dpo"] = dpo_section(stages["dpo"])
    if stages["eval"]:
        sections["eval"] = eval_section(stages["eval"], run_dir)
    headline = optional_json(run_dir / "summary.json")
    config_path = run_dir / "config.yaml"
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(fmt=fmt, pct=pct, score=score)
    template = env.from_string((files("rxalign.report") / "template.html.j2").read_text(encoding="utf-8"))
    return template.render(
        run_name=run_dir.resolve().name,
        run_dir=str(run_dir),
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        stages={s: p is not None for s, p in stages.items()},
        headline=None if headline is None else [(k, fmt(v)) for k, v in flatten(headline)],
        config_yaml=config_path.read_text(encoding="utf-8") if config_path.is_file() else None,
        checks=checks(sections),
        audit_flags=AUDIT_FLAGS,
        **{s: sections.get(s) for s in REQUIRED},
    )


def write_report(run_dir: Path, out: Path | None = None) -> Path:
    """Write the run's report as one self-contained HTML file (default `run_dir/report.html`) and return its
    path. The file appears whole or not at all (temporary sibling, then one rename)."""
    run_dir = Path(run_dir)
    out = Path(out) if out is not None else run_dir / "report.html"
    if out.is_dir():
        raise UserError(f"--out {out}: is a directory, expected an .html file path")
    html = render(run_dir)
    write_text(out, html)
    return out
