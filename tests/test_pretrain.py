"""Stage 1 end to end through the CLI: artifacts, kill-and-resume equality, DDP, and every bad input."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer

from conftest import FAST, run_cli
from rxalign import cli
from rxalign.io import read_jsonl as read_metrics

TIMING_KEYS = {"tokens_per_s", "mfu", "peak_memory_mb", "elapsed_s"}


def sets(*items):
    return [a for item in items for a in ("--set", item)]


def test_pretrain_cli_writes_a_plain_hf_run(tmp_path, corpus_file):
    out = tmp_path / "run"
    r = run_cli("pretrain", "--out", str(out), *sets(*FAST, f"data.corpus={corpus_file}"))
    assert r.returncode == 0, r.stderr
    for name in ("config.yaml", "metrics.jsonl", "summary.json", "checkpoints", "final", "tokenizer"):
        assert (out / name).exists(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 6 and summary["val_loss"] < summary["ln_vocab"]
    records = read_metrics(out / "metrics.jsonl")
    assert records[0]["step"] == 0 and "val_loss" in records[0]  # the untrained baseline
    assert [r["step"] for r in records if "loss" in r] == [2, 4, 6]
    for key in ("loss", "lr", "grad_norm", "tokens_per_s", "mfu", "peak_memory_mb", "val_loss", "val_ppl"):
        assert key in records[-1], key
    # final/ loads with plain transformers, tokenizer and chat template included
    model = AutoModelForCausalLM.from_pretrained(out / "final")
    tok = AutoTokenizer.from_pretrained(out / "final")
    assert tok.chat_template and len({tok.pad_token_id, tok.bos_token_id, tok.eos_token_id}) == 3
    assert model.config.vocab_size == len(tok)


def _comparable(records):
    return [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in records]


@pytest.mark.slow
def test_sigkill_and_resume_equals_uninterrupted_run(tmp_path, corpus_file):
    args = sets(
        *FAST,
        f"data.corpus={corpus_file}",
        "train.max_steps=150",
        "train.save_every=10",
        "train.log_every=5",
        "train.eval_every=25",
        "data.block_size=64",
        "train.batch_size=8",
    )
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert run_cli("pretrain", "--quiet", "--out", str(whole), *args).returncode == 0

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rxalign.cli", "pretrain", "--quiet", "--out", str(killed), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while not (killed / "checkpoints" / "step-0000020").exists():
        assert proc.poll() is None and time.time() < deadline, "run ended before it could be killed"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / "summary.json").exists() and not (killed / "final").exists()
    steps_done = max(int(p.name.split("-")[1]) for p in (killed / "checkpoints").glob("step-*"))
    assert steps_done < 150

    r = run_cli("pretrain", "--quiet", "--resume", "--out", str(killed), *args)
    assert r.returncode == 0, r.stderr
    assert _comparable(read_metrics(killed / "metrics.jsonl")) == _comparable(
        read_metrics(whole / "metrics.jsonl")
    )
    a, b = load_file(whole / "final" / "model.safetensors"), load_file(killed / "final" / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)  # bit for bit
    sa, sb = (json.loads((d / "summary.json").read_text()) for d in (whole, killed))
    assert sa["val_loss"] == sb["val_loss"] and sa["train_loss"] == sb["train_loss"]


@pytest.mark.slow
def test_two_process_ddp_equals_one_process_with_double_batch(tmp_path, corpus_file):
    common = sets(*FAST, f"data.corpus={corpus_file}", "train.max_steps=3", "train.log_every=1")
    one = tmp_path / "one"
    assert (
        run_cli("pretrain", "--quiet", "--out", str(one), *common, "--set", "train.batch_size=8").returncode
        == 0
    )
    ddp = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            "-m",
            "rxalign.cli",
            "pretrain",
            "--quiet",
            "--out",
            str(ddp),
            *common,
            "--set",
            "train.batch_size=4",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads((ddp / "summary.json").read_text())["world_size"] == 2
    for x, y in zip(read_metrics(one / "metrics.jsonl"), read_metrics(ddp / "metrics.jsonl"), strict=True):
        for key in ("loss", "val_loss", "grad_norm", "lr"):
            if key in x:
                assert y[key] == pytest.approx(x[key], rel=1e-4), (x["step"], key)


# ---- bad input: one line, exit code 2, no traceback, nothing written -------------------------------------


def run_main(monkeypatch, capsys, *argv):
    monkeypatch.setattr(sys, "argv", ["rxalign", *argv])
    with pytest.raises(SystemExit) as e:
        cli.main()
    err = capsys.readouterr().err
    return e.value.code, err


def assert_one_line_error(code, err, *fragments):
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    joined = " ".join(err.split())
    for fragment in fragments:
        assert fragment in joined, (fragment, err)


@pytest.mark.parametrize(
    "case",
    [
        "missing_corpus",
        "empty_corpus",
        "bad_jsonl",
        "unknown_key",
        "wrong_type",
        "model_missing",
        "model_not_a_model",
        "bad_extension",
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, monkeypatch, capsys, case):
    out = tmp_path / "run"
    args = ["pretrain", "--out", str(out)]
    if case == "missing_corpus":
        args += ["--set", f"data.corpus={tmp_path / 'nope.txt'}"]
        expect = ["data.corpus", "nope.txt does not exist"]
    elif case == "empty_corpus":
        (tmp_path / "empty.txt").write_text("\n\n  \n")
        args += ["--set", f"data.corpus={tmp_path / 'empty.txt'}"]
        expect = ["empty.txt", "corpus is empty"]
    elif case == "bad_jsonl":
        (tmp_path / "c.jsonl").write_text('{"text": "ok"}\n{"txt": "typo"}\n')
        args += ["--set", f"data.corpus={tmp_path / 'c.jsonl'}"]
        expect = ["c.jsonl:2", "missing field 'text'"]
    elif case == "unknown_key":
        (tmp_path / "cfg.yaml").write_text("train:\n  learning_rate: 0.1\n")
        args += ["--config", str(tmp_path / "cfg.yaml")]
        expect = ["cfg.yaml:2", "train.learning_rate", "unknown key"]
    elif case == "wrong_type":
        (tmp_path / "cfg.yaml").write_text("model:\n  dropout: lots\n")
        args += ["--config", str(tmp_path / "cfg.yaml")]
        expect = ["cfg.yaml:2", "model.dropout", "valid number"]
    elif case == "model_missing":
        args += ["--set", f"model.path={tmp_path / 'm'}"]
        expect = ["model.path", "does not exist"]
    elif case == "model_not_a_model":
        (tmp_path / "m").mkdir()
        (tmp_path / "m" / "notes.txt").write_text("x")
        args += ["--set", f"model.path={tmp_path / 'm'}"]
        expect = ["model.path", "not a Hugging Face model directory"]
    else:
        (tmp_path / "c.csv").write_text("text\nhello\n")
        args += ["--set", f"data.corpus={tmp_path / 'c.csv'}"]
        expect = ["unsupported file type '.csv'"]
    code, err = run_main(monkeypatch, capsys, *args)
    assert_one_line_error(code, err, *expect)
    assert not out.exists()


@pytest.fixture
def finished_run(tmp_path_factory, corpus_file):
    out = tmp_path_factory.mktemp("done") / "run"
    r = run_cli("pretrain", "--quiet", "--out", str(out), *sets(*FAST, f"data.corpus={corpus_file}"))
    assert r.returncode == 0, r.stderr
    return out


def _listing(path):
    return sorted((str(p.relative_to(path)), p.stat().st_size) for p in path.rglob("*"))


@pytest.mark.parametrize("case", ["another_run", "not_a_run", "changed_config", "corrupt"])
def test_bad_run_directory_or_checkpoint(finished_run, corpus_file, monkeypatch, capsys, case, tmp_path):
    args = ["pretrain", "--out", str(finished_run), *sets(*FAST, f"data.corpus={corpus_file}")]
    ckpt = sorted((finished_run / "checkpoints").glob("step-*"))[-1]
    if case == "another_run":
        expect = ["holds another run", "--resume"]
    elif case == "not_a_run":
        other = tmp_path / "stuff"
        other.mkdir()
        (other / "data.bin").write_text("x")
        args[2] = str(other)
        expect = ["holds no rxalign run"]
    elif case == "changed_config":
        args += ["--resume", "--set", "train.lr=0.5"]
        expect = ["cannot resume with a different config", "train.lr"]
    else:
        data = bytearray((ckpt / "model.safetensors").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (ckpt / "model.safetensors").write_bytes(bytes(data))
        args += ["--resume"]
        expect = ["model.safetensors", "corrupt"]
    if case == "corrupt":
        (finished_run / "summary.json").unlink()  # an unfinished run, so resume must read the checkpoint
    before = _listing(finished_run)
    code, err = run_main(monkeypatch, capsys, *args)
    assert_one_line_error(code, err, *expect)
    assert _listing(finished_run) == before


def test_truncated_checkpoint_refused_on_resume(finished_run, corpus_file, monkeypatch, capsys):
    ckpt = sorted((finished_run / "checkpoints").glob("step-*"))[-1]
    (ckpt / "optimizer.safetensors").write_bytes((ckpt / "optimizer.safetensors").read_bytes()[:100])
    (finished_run / "summary.json").unlink()
    before = _listing(finished_run)
    code, err = run_main(
        monkeypatch,
        capsys,
        "pretrain",
        "--resume",
        "--out",
        str(finished_run),
        *sets(*FAST, f"data.corpus={corpus_file}"),
    )
    assert_one_line_error(code, err, "optimizer.safetensors", "truncated")
    assert _listing(finished_run) == before


def test_help_explains_every_option():
    r = run_cli("pretrain", "--help")
    assert r.returncode == 0
    for option in ("--config", "--set", "--out", "--resume", "--quiet"):
        assert option in r.stdout
    shown = run_cli("config", "pretrain")
    assert shown.returncode == 0 and "peak learning rate" in shown.stdout and "block_size" in shown.stdout
