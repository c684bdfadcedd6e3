"""`rxalign probe`: continuation log-probs by hand, the knowledge and copy probes' arithmetic, the command."""

import json

import pytest
import torch

from conftest import run_main
from rxalign.data.corpus import FACT_LABELS, PROBE_KINDS, fact_value
from rxalign.data.generate import GenerateConfig
from rxalign.data.kb import load_kb
from rxalign.eval import probe as probe_mod
from rxalign.models.load import load_causal_lm, load_tokenizer


@pytest.fixture(scope="module")
def lm(tiny_model_dirs):
    path = tiny_model_dirs["llama"]
    return load_causal_lm(path), load_tokenizer(path)


def test_continuation_logps_by_hand(lm):
    model, tok = lm
    pairs = [
        ("Question: How severe?\nAnswer:", " major"),
        ("Clinical note:\nHPI", " and a longer continuation"),
    ]
    got = probe_mod.continuation_logps(model, tok, pairs, batch_size=2)
    for (prompt, cont), value in zip(pairs, got, strict=True):
        p = [tok.bos_token_id, *tok(prompt, add_special_tokens=False)["input_ids"]]
        c = tok(cont, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logp = torch.log_softmax(model(input_ids=torch.tensor([p + c])).logits[0].float(), -1)
        want = sum(logp[len(p) - 1 + k, t].item() for k, t in enumerate(c))
        assert value == pytest.approx(want, abs=1e-4)


def test_knowledge_probe_scores_the_top_ranked_value(monkeypatch):
    """A fake model that always ranks a kind's first value highest is right exactly where the truth is that
    value, on each side and kind."""
    kb, cfg = load_kb(), GenerateConfig()
    first = {kind: next(iter(labels.values())) for kind, labels in FACT_LABELS.items()}

    def fake(model, tok, pairs, batch_size=32, description=""):
        return [0.0 if cont.strip() in first.values() else -1.0 for _, cont in pairs]

    monkeypatch.setattr(probe_mod, "continuation_logps", fake)
    result = probe_mod.knowledge_probe(None, None, kb, cfg)
    sides = probe_mod.knowledge_items(cfg, kb)
    for side, items in sides.items():
        for kind in PROBE_KINDS:
            rows = [i for i in items if i.task == kind]
            if not rows:
                continue
            want = sum(fact_value(i) == next(iter(FACT_LABELS[kind])) for i in rows) / len(rows)
            got = result[side][kind]
            assert got["accuracy"] == pytest.approx(want) and got["n"] == len(rows)
            assert got["chance"] == pytest.approx(1 / len(FACT_LABELS[kind]))
    held = {i.task for i in sides["heldout"]}
    assert {"interaction", "renal", "hepatic"} <= held
    assert not {i.id for i in sides["heldout"]} & {i.id for i in sides["trained"]}


def test_copy_probe_arithmetic(monkeypatch):
    # per note: own note + chosen, own + rejected, another note + chosen, another + rejected
    def fake(model, tok, pairs, batch_size=16, description=""):
        return [[0.0, -1.0, -3.0, -2.0][k % 4] for k in range(len(pairs))]

    monkeypatch.setattr(probe_mod, "continuation_logps", fake)
    c = probe_mod.copy_probe(None, None, n_notes=14)
    assert c["copy_gain_nats"] == pytest.approx(3.0)
    assert c["field_copy"] == 1.0
    assert set(c["by_field"]) == set(probe_mod.FIELDS.values())
    assert all(
        r["with_note"] == 1.0 and r["note_blind"] == 0.0 and r["n"] == 2 for r in c["by_field"].values()
    )


def test_probe_command_writes_json_and_refuses_a_bad_path(monkeypatch, capsys, tiny_model_dirs, tmp_path):
    out = tmp_path / "probe.json"
    code, stdout, _ = run_main(
        monkeypatch, capsys, "probe", str(tiny_model_dirs["llama"]), "--notes", "7", "--out", str(out), "-q"
    )
    assert code == 0 and "| interaction |" in stdout and "Copy gain" in stdout
    result = json.loads(out.read_text())
    assert set(result["knowledge"]) == {"trained", "heldout"} and result["copy"]["notes"] == 7
    assert out.with_suffix(".md").read_text().startswith("| fact kind |")
    code, _, err = run_main(monkeypatch, capsys, "probe", str(tmp_path / "missing"))
    assert code == 2 and "missing" in err and "Traceback" not in err
