"""`rxalign report`: one self-contained HTML file from a run directory. The run here is hand-written, a few lines per
stage, with the keys the stages write; a headless Chromium renders the file when it is installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from rxalign.errors import UserError
from rxalign.report.build import write_report

SHOWCASE = [
    ("renal_all:gabapentin", "renal_all", "How to adjust gabapentin for renal impairment?"),
    ("interaction:warfarin+ibuprofen", "interaction", "Warfarin + NSAIDs safe?"),
    ("hepatic:metformin", "hepatic", "Metformin in cirrhosis?"),
    (
        "allergy:penicillin:ige:cephalexin",
        "allergy",
        "Penicillin allergy (immediate, IgE): can they have cephalexin?",
    ),
    ("pgx:codeine:CYP2D6:poor_metabolizer", "pgx", "CYP2D6 poor metabolizer: codeine?"),
]
HEADINGS = ("Scorecard", "Example responses", "Reward-hacking audit", "Annotator agreement")


def _json(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value), encoding="utf-8")


def _jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _train_line(step: int, loss: float, **extra) -> dict:
    """A training window as train/loop.py logs it."""
    return {
        "step": step,
        "epoch": step / 40,
        "loss": loss,
        "lr": 1e-3,
        "grad_norm": 1.0,
        "tokens": 2048 * step,
        "tokens_per_s": 15000.0,
        "mfu": 0.5,
        "peak_memory_mb": 800.0,
        "elapsed_s": 0.2 * step,
        **extra,
    }


def _stat(mean: float, lo: float, hi: float, n: int) -> dict:
    return {"mean": mean, "ci": [lo, hi], "n": n}


def _response(item_id: str, task: str, prompt: str, answer: str, score: float) -> dict:
    """A graded QA row as eval/run.py writes it."""
    return {
        "id": item_id,
        "prompt": prompt,
        "answer": answer,
        "task": task,
        "score": score,
        "metrics": {
            "medical_accuracy": 0.5,
            "safety": None,
            "specificity": None,
            "dose_accuracy": None,
            "humility": 1.0,
        },
        "criteria": [{"name": "medical_accuracy:severity", "result": "wrong", "detail": "said 2, truth 3"}],
    }


def make_run(root: Path) -> Path:
    """A run directory with every stage: data, pretrain, sft, reward (2 members), ppo, dpo, eval, summary.json."""
    run = root / "demo-run"
    batch = {"kappa": 0.5671, "raw_agreement": 0.7867, "band": "moderate", "n_items": 50, "n_raters": 3}
    _json(
        run / "data" / "manifest.json",
        {
            "seed": 0,
            "config": {"annotators": {"kappa_threshold": 0.6}},
            "heldout_drugs": ["apixaban", "sotalol"],
            "counts": {"corpus.jsonl": 1358, "preference/train.jsonl": 100},
            "agreement": {
                "overall": {
                    "kappa": 0.6165,
                    "raw_agreement": 0.8083,
                    "band": "substantial",
                    "n_items": 100,
                    "n_raters": 3,
                    "passes_threshold": True,
                },
                "majority_matches_gold": 0.9559,
                "batches": [
                    {**batch, "passes_threshold": False},
                    {**batch, "kappa": 0.7326, "band": "substantial", "passes_threshold": True},
                ],
                "batches_below_threshold": 1,
            },
            "leakage": {"checked_eval_prompts": 323, "leaks": 0},
        },
    )
    _jsonl(
        run / "data" / "eval" / "showcase.jsonl",
        [{"id": i, "task": t, "prompt": p, "truth": {"task": t}} for i, t, p in SHOWCASE],
    )
    _jsonl(
        run / "pretrain" / "metrics.jsonl",
        [
            {"step": 0, "val_loss": 7.6414, "val_ppl": 2082.7},
            _train_line(10, 7.3357),
            _train_line(
                20, 6.4199, val_loss=float("nan"), val_ppl=None
            ),  # NaN and None are skipped, not plotted
            _train_line(30, 5.9698, val_loss=4.6177, val_ppl=101.26),
        ],
    )
    _json(
        run / "pretrain" / "summary.json",
        {"stage": "pretrain", "val_loss": 4.6177, "ln_vocab": 7.6246, "steps": 30, "parameters": 1377408},
    )
    _jsonl(
        run / "sft" / "metrics.jsonl",
        [
            {"step": 0, "val_loss": 3.9538, "val_ppl": 52.1},
            _train_line(10, 2.1, val_loss=1.1810, val_ppl=3.26),
        ],
    )
    _json(run / "sft" / "summary.json", {"stage": "sft", "val_loss": 1.1810, "val_loss_drop": 0.7013})
    for k, (acc, margin) in enumerate([(0.9357, 3.8266), (0.9286, 3.7951)]):
        _jsonl(
            run / "reward" / "members" / f"member-{k}" / "metrics.jsonl",
            [
                {
                    "step": 0,
                    "val_accuracy": 0.55,
                    "val_margin": 0.0088,
                    "val_gold_accuracy": 0.55,
                    "val_loss": 0.691,
                },
                _train_line(
                    10,
                    0.536,
                    accuracy=0.7688,
                    margin=0.5953,
                    r_chosen=0.05,
                    r_rejected=-0.54,
                    val_accuracy=acc,
                    val_margin=margin,
                    val_r_chosen=1.6,
                    val_r_rejected=-2.2,
                    val_gold_accuracy=0.95,
                    val_loss=0.2858,
                ),
            ],
        )
    _json(
        run / "reward" / "summary.json",
        {
            "stage": "reward",
            "members": 2,
            "val_accuracy_majority": 0.9429,
            "val_margin": 3.8534,
            "calibration": {
                "bins": [{"bin": [0.9, 1.0], "n": 109, "accuracy": 0.9908, "confidence": 0.9808}],
                "ece": 0.0366,
            },
        },
    )
    flags = [
        [],
        ["keyword_spread"],
        ["keyword_spread", "keyword_spread"],
        ["rm_up_gold_down", "length_exploit"],
    ]
    _jsonl(
        run / "ppo" / "metrics.jsonl",
        [
            {
                "iteration": it,
                "step": it,
                "rm_score_mean": 1.46 + 0.5 * it,
                "rm_score_std": 2.2,
                "rm_ensemble_spread": 0.7,
                "reward_used_mean": 0.73 + 0.4 * it,
                "gold_score_mean": 4.07 - 0.3 * it,
                "kl_k1_mean": 0.0 if it == 1 else 0.01 * it,
                "kl_k3_mean": 0.0 if it == 1 else 0.012 * it,
                "kl_k2_mean": 0.0,
                "kl_k1_per_sequence": 0.0,
                "beta": 0.1 - 0.0025 * it,
                "policy_loss": -0.03,
                "value_loss": 1.5,
                "clipfrac": 0.1075,
                "approx_kl": 0.017,
                "entropy": 1.2,
                "value_clipfrac": 0.55,
                "kl_loss": 0.0,
                "explained_variance": 0.02,
                "response_length_mean": 22.1,
                "eos_rate": 1.0,
                "tokens_per_s": 3078.9,
                "peak_memory_mb": 739.9,
                "elapsed_s": 2.3 * it,
                "audit_flags": flags[it - 1],
            }
            for it in range(1, 5)
        ],
    )
    _json(
        run / "ppo" / "summary.json",
        {
            "stage": "ppo",
            "iterations": 4,
            "kl_target": 0.1,
            "rm_gold_correlation": {"r": 0.3924, "p": 0.0123},
            "audit_flag_counts": {"rm_up_gold_down": 1, "keyword_spread": 3, "length_exploit": 1},
        },
    )
    dpo_val = {
        "val_rewards/chosen": -1.83,
        "val_rewards/rejected": -2.5,
        "val_rewards/margins": 0.6709,
        "val_rewards/accuracies": 0.6833,
        "val_logps/chosen": -1071.3,
        "val_logps/rejected": -1077.4,
    }
    _jsonl(
        run / "dpo" / "metrics.jsonl",
        [
            {
                "step": 0,
                "val_loss": 0.6931,
                "val_rewards/chosen": 0.0,
                "val_rewards/rejected": 0.0,
                "val_rewards/margins": 0.0,
                "val_rewards/accuracies": 0.5,
                "val_logps/chosen": -1052.9,
                "val_logps/rejected": -1052.4,
            },
            _train_line(
                10,
                0.692,
                **{
                    "logps/chosen": -1262.4,
                    "logps/rejected": -1266.9,
                    "rewards/accuracies": 0.475,
                    "rewards/chosen": -0.0853,
                    "rewards/margins": 0.0025,
                    "rewards/rejected": -0.0878,
                },
                val_loss=0.558,
                **dpo_val,
            ),
        ],
    )
    epoch = {"epoch": 1, "step": 10, "train_loss": 0.6474, "val_loss": 0.558, "chosen_preference": 0.6833}
    epoch |= {"train_chosen_preference": 0.6, "train_rewards_margins": 0.1949, "val_rewards_margins": 0.6709}
    problem = {
        "problem": "validation loss does not follow training loss",
        "rule": "val 0.553 > train 0.427 + 0.1",
    }
    _json(
        run / "dpo" / "dpo_training_stats.json",
        {
            "step_0": {"val_loss": 0.6931, "chosen_preference": 0.5, "val_rewards_margins": 0.0},
            "epochs": [epoch],
            "troubleshooting": [{**problem, "advice": "Overfitting: fewer epochs"}],
        },
    )
    _json(run / "dpo" / "summary.json", {"stage": "dpo", "beta": 0.1, "chosen_preference": 0.6833})
    (run / "dpo" / "final_model").mkdir()

    def model_stats(accuracy: float, safety: float) -> dict:
        return {
            "medical_accuracy": _stat(accuracy, accuracy - 0.06, accuracy + 0.05, 263),
            "safety": _stat(safety, max(0.0, safety - 0.07), safety + 0.08, 67),
            "specificity": _stat(1.0, 1.0, 1.0, 86),
            "dose_accuracy": _stat(0.1935, 0.1507, 0.2381, 113),
            "humility": _stat(0.9049, 0.8657, 0.9394, 263),
            "score": _stat(5.3103, 4.8602, 5.6984, 263),
            "hallucination_rate": _stat(0.0167, 0.0, 0.0577, 60),
            "omission_rate": {"mean": None, "ci": None, "n": 0},
            "score_by_task": {"allergy": 3.7642, "renal": 7.3812},
            "hallucinations_per_100_facts": None,
        }

    def delta(d: float, lo: float, hi: float) -> dict:
        return {"delta": d, "ci": [lo, hi], "n": 67}

    rows = (
        "medical_accuracy",
        "safety",
        "specificity",
        "dose_accuracy",
        "humility",
        "score",
        "hallucination_rate",
    )
    _json(
        run / "eval" / "scorecard.json",
        {
            "models": {
                "sft": model_stats(0.5017, 0.1045),
                "ppo": model_stats(0.4696, 0.0),
                "dpo": model_stats(0.449, 0.4776),
            },
            "deltas": {
                "ppo": {
                    "vs": "sft",
                    **{r: delta(0.0, 0.0, 0.0) for r in rows},
                    "safety": delta(-0.1045, -0.1842, -0.037),
                },
                "dpo": {
                    "vs": "sft",
                    **{r: delta(0.0, 0.0, 0.0) for r in rows},
                    "safety": delta(0.3731, 0.2571, 0.4836),
                },
            },
            "n_boot": 1000,
            "config": {"max_new_tokens": 128, "do_sample": False, "temperature": 1.0},
            "eval_sets": {"eval/qa.jsonl": 258, "eval/showcase.jsonl": 5},
            "sources": {"sft": "runs/sft/final", "ppo": "runs/ppo/final", "dpo": "runs/dpo/merged"},
        },
    )
    answers = {
        "sft": "MODERATE interaction: usable with monitoring.",
        "ppo": "<script>alert('pwned')</script> & AVOID",
        "dpo": "AVOID is needed.",
    }
    for j, (model, answer) in enumerate(answers.items()):
        _jsonl(
            run / "eval" / "responses" / f"{model}.jsonl",
            [_response("qa:other", "renal", "Some other question?", "eGFR 30-59: reduce.", 7.0)]
            + [_response(i, t, p, answer, 1.4286 + j) for i, t, p in SHOWCASE],
        )
    _json(
        run / "summary.json",
        {"pipeline": "demo", "stages": {"ppo": {"seconds": 95.33}}, "total_seconds": 412.5},
    )
    return run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def report_html(run_dir) -> tuple[Path, str]:
    path = write_report(run_dir)
    return path, path.read_text(encoding="utf-8")


class _Outline(HTMLParser):
    """Headings (h1-h3) and tag counts of an HTML document."""

    def __init__(self):
        super().__init__()
        self.headings: list[str] = []
        self.tags: dict[str, int] = {}
        self._in_heading = False

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag in ("h1", "h2", "h3"):
            self._in_heading = True
            self.headings.append("")

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3"):
            self._in_heading = False

    def handle_data(self, data):
        if self._in_heading:
            self.headings[-1] += data


def outline(html: str) -> _Outline:
    parser = _Outline()
    parser.feed(html)
    return parser


def test_report_has_every_section_with_the_run_numbers(report_html, run_dir):
    path, html = report_html
    assert path == run_dir / "report.html"
    assert not list(run_dir.glob(".*.tmp")), "the temporary file is renamed into place"
    doc = outline(html)
    h2 = [h.strip() for h in doc.headings]
    for heading in (
        "Headline",
        "Checks",
        *HEADINGS,
        "Pretraining",
        "Supervised fine-tuning (SFT)",
        "Reward models",
        "PPO",
        "DPO",
    ):
        assert heading in h2, heading
    assert "stage not run" not in html.lower()
    assert "Research and education software, NOT for clinical use" in html
    # headline: every key of summary.json, flattened
    for text in ("pipeline", "demo", "stages.ppo.seconds", "95.33", "total_seconds", "412.5"):
        assert text in html, text
    # scorecard with CIs and deltas; the delta whose CI excludes zero is marked
    assert "50.2% [44.2, 55.2]" in html
    assert "5.31 [4.86, 5.70]" in html
    assert "Contraindication recall (safety)" in html and "Hallucination rate" in html
    assert re.search(r'class="num worse">-10\.4% \[-18\.4, -3\.7\]', html)
    assert re.search(r'class="num better">\+37\.3% \[\+25\.7, \+48\.4\]', html)
    # example responses: the five showcase prompts with every model's gold score, not the other eval item
    for _, _, prompt in SHOWCASE:
        assert prompt in html, prompt
    assert "Some other question?" not in html
    assert "gold score 1.43 / 10" in html and "gold score 3.43 / 10" in html
    # annotator agreement: overall and per batch, band, majority vs truth
    for text in ("0.6165", "80.8%", "substantial", "0.5671", "moderate", "95.6%", "0.7326"):
        assert text in html, text
    # reward-hacking audit: flags per iteration, counted as summary.json counts them
    assert "rm_up_gold_down" in html and "length_exploit" in html
    assert re.search(r"<code>keyword_spread</code>.*?<td class=\"num\">3</td>", html, re.S)
    assert "Flags fired at 3 of 4 PPO iterations" in html
    # stage summaries and DPO tables
    assert (
        "1,377,408" in html and "0.6709" in html and "validation loss does not follow training loss" in html
    )
    # checks: PPO reward up while gold down, DPO chosen log-prob falling
    assert "reward hacking" in html and "log-probability of chosen answers fell" in html
    # curves for pretrain, sft, reward, ppo, dpo, audit raster and scorecard bars
    assert html.count('src="data:image/png;base64,') >= 7


def test_model_text_is_escaped(report_html):
    _, html = report_html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(" in html
    assert doc_tags(html).get("script", 0) == 0


def doc_tags(html: str) -> dict[str, int]:
    return outline(html).tags


def test_report_needs_nothing_from_the_network(report_html):
    _, html = report_html
    assert not re.search(r"""(src|href|srcset|action)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html, re.I)
    assert not re.search(r"@import", html)
    tags = doc_tags(html)
    assert tags.get("link", 0) == 0 and tags.get("script", 0) == 0 and tags.get("iframe", 0) == 0


SPLITS_HEADING = "Held-out drugs vs training drugs in unseen phrasings"


def test_scorecard_splits_side_by_side_only_when_the_card_has_them(report_html, tmp_path):
    _, html = report_html
    assert SPLITS_HEADING not in html  # a run evaluated before the splits: no "splits" in its scorecard
    run = make_run(tmp_path)
    card = json.loads((run / "eval" / "scorecard.json").read_text(encoding="utf-8"))
    trained = {
        m: {
            "score": _stat(7.5 + j, 7.0 + j, 8.0 + j, 300),
            "medical_accuracy": _stat(0.8123, 0.78, 0.84, 300),
            "safety": _stat(0.9, 0.85, 0.95, 80),
            "specificity": _stat(0.95, 0.9, 1.0, 90),
            "dose_accuracy": {"mean": None, "ci": None, "n": 0},
        }
        for j, m in enumerate(card["models"])
    }
    card["splits"] = {"heldout": card["models"], "in_distribution": trained}
    _json(run / "eval" / "scorecard.json", card)
    # an in-distribution question with a showcase query's id, written last: the showcase keeps its own wording
    sft = run / "eval" / "responses" / "sft.jsonl"
    trained_row = _response(SHOWCASE[1][0], "interaction", "Can warfarin go with ibuprofen?", "AVOID.", 9.0)
    _jsonl(sft, read_rows(sft) + [trained_row | {"split": "in_distribution"}])
    html = write_report(run).read_text(encoding="utf-8")
    assert SPLITS_HEADING in outline(html).headings
    part = html.split(SPLITS_HEADING, 1)[1].split("</table>", 1)[0]
    assert "(263 questions)" in part and "(300 questions)" in part
    cells = {
        m: re.findall(r'<td class="num">([^<]*)</td>', re.search(rf"<td>{m}</td>(.*?)</tr>", part, re.S)[1])
        for m in ("sft", "dpo")
    }
    # score, medical accuracy, safety, specificity, dose accuracy: held-out then training
    assert cells["sft"] == [
        "5.31",
        "7.50",
        "50.2%",
        "81.2%",
        "10.4%",
        "90.0%",
        "100.0%",
        "95.0%",
        "19.4%",
        "n/a",
    ]
    assert cells["dpo"][:4] == ["5.31", "9.50", "44.9%", "81.2%"]
    assert "Warfarin + NSAIDs safe?" in html and "Can warfarin go with ibuprofen?" not in html


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_absent_stages_are_noted_not_required(tmp_path):
    run = make_run(tmp_path)
    for stage in ("ppo", "eval", "data"):
        shutil.rmtree(run / stage)
    (run / "summary.json").unlink()
    out = write_report(run, tmp_path / "elsewhere" / "r.html")
    html = out.read_text(encoding="utf-8")
    for stage in ("ppo", "eval", "data"):
        assert f"Stage not run: no <code>{stage}/</code> directory" in html
    assert "No pipeline summary.json" in html
    assert "Reward models" in html and "1,377,408" in html
    assert not (run / "report.html").exists()


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda run: shutil.rmtree(run), "no such run directory"),
        (
            lambda run: [shutil.rmtree(p) if p.is_dir() else p.unlink() for p in run.iterdir()],
            "holds no rxalign run",
        ),
        (lambda run: (run / "ppo" / "metrics.jsonl").unlink(), "ppo stage, metrics.jsonl is missing"),
        (
            lambda run: shutil.rmtree(run / "reward" / "members"),
            "reward stage, members/member-*/metrics.jsonl",
        ),
        (lambda run: (run / "eval" / "scorecard.json").unlink(), "eval stage, scorecard.json is missing"),
        (
            lambda run: (run / "sft" / "metrics.jsonl").write_text('{"step": 0}\n{"step": 1, "loss": \n'),
            "metrics.jsonl:2: invalid JSON",
        ),
    ],
)
def test_a_missing_or_incomplete_run_is_a_one_line_user_error(tmp_path, breakage, expected):
    run = make_run(tmp_path)
    breakage(run)
    with pytest.raises(UserError) as e:
        write_report(run)
    message = str(e.value)
    assert expected in message and "\n" not in message
    assert str(run) in message
    assert not (run / "report.html").exists()


def test_a_file_given_as_run_dir(tmp_path):
    path = tmp_path / "run.txt"
    path.write_text("x")
    with pytest.raises(UserError, match="is a file"):
        write_report(path)


def test_command_writes_the_report_and_has_help(tmp_path):
    import typer
    from typer.testing import CliRunner

    from rxalign.report.command import report

    app = typer.Typer()
    app.command()(report)
    run = make_run(tmp_path)
    result = CliRunner().invoke(app, [str(run), "--out", str(tmp_path / "out.html")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    help_text = " ".join(CliRunner().invoke(app, ["--help"]).output.split())
    assert "run_dir" in help_text.lower() and "--out" in help_text and "RUN_DIR/report.html" in help_text
    assert "self-contained HTML report" in help_text


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    command = [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_chromium_renders_the_report(report_html, tmp_path):
    if shutil.which("chromium") is None:
        pytest.skip("chromium not installed: apt-get install chromium")
    from matplotlib import image

    path, _ = report_html
    url = path.resolve().as_uri()
    shot = tmp_path / "report.png"
    done = _chromium(
        "--hide-scrollbars", f"--screenshot={shot}", "--window-size=1280,2000", url, profile=tmp_path / "p1"
    )
    assert shot.is_file(), done.stderr[-2000:]
    pixels = image.imread(shot)[..., :3]  # (H, W, 3) floats in [0, 1]
    assert pixels.shape[:2] == (2000, 1280)
    assert float(pixels.std()) > 0.05, "the screenshot is blank"
    assert (pixels < 0.5).mean() > 0.005, "the screenshot holds (almost) no dark text or lines"

    dom = _chromium("--dump-dom", url, profile=tmp_path / "p2").stdout
    rendered = outline(dom)
    headings = [h.strip() for h in rendered.headings]
    for heading in HEADINGS:
        assert heading in headings, (heading, headings)
    assert rendered.tags.get("table", 0) >= 5 and rendered.tags.get("img", 0) >= 7
