"""The shared loop's parts: schedule, data order, accumulation that equals one big batch, checkpoints."""

import sys

import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

from rxalign.config import TrainConfig
from rxalign.errors import UserError
from rxalign.losses import IGNORE_INDEX, lm_loss_sum
from rxalign.models.load import load_causal_lm
from rxalign.train.checkpoint import list_checkpoints, load_checkpoint, save_checkpoint, verify_checkpoint
from rxalign.train.loop import BatchOrder, lr_factor, make_accelerator, make_optimizer, train


def test_lr_schedule_warmup_then_cosine_to_floor():
    cfg = TrainConfig(warmup_steps=4, max_steps=14, min_lr_ratio=0.1)
    assert [lr_factor(s, cfg) for s in range(4)] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert lr_factor(4, cfg) == pytest.approx(1.0)
    assert lr_factor(9, cfg) == pytest.approx(0.1 + 0.9 * 0.5)  # half way through the cosine
    assert lr_factor(14, cfg) == pytest.approx(0.1)


def test_batch_order_covers_each_epoch_and_splits_across_ranks():
    order = BatchOrder(10, 4, seed=1)
    epoch0 = order.indices(0) + order.indices(1) + order.indices(2)
    assert sorted(epoch0) == list(range(10)) and len(order.indices(2)) == 2  # short last batch
    assert order.indices(3) != order.indices(0) or order.indices(4) != order.indices(1)  # reshuffled
    assert BatchOrder(10, 4, seed=1).indices(5) == order.indices(5)  # a position is all a resume needs
    # Two processes with batch 2 see exactly what one process with batch 4 sees.
    one = BatchOrder(12, 4, seed=7)
    r0, r1 = BatchOrder(12, 2, seed=7, rank=0, world=2), BatchOrder(12, 2, seed=7, rank=1, world=2)
    for k in range(6):
        assert r0.indices(k) + r1.indices(k) == one.indices(k)


def _masked_examples(n=8, T=16, vocab=300):
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(3, vocab, (n, T), generator=g)
    labels = ids.clone()
    for i in range(n):  # a different number of loss tokens per example, as in prompt-masked SFT
        labels[i, : 2 + i] = IGNORE_INDEX
    return ids, labels


def _train_one_step(model_dir, tmp_path, batch_size, grad_accum):
    ids, labels = _masked_examples()
    model = load_causal_lm(model_dir)
    acc, precision = make_accelerator("fp32")
    cfg = TrainConfig(
        lr=1e-2,
        warmup_steps=0,
        max_steps=1,
        batch_size=batch_size,
        grad_accum=grad_accum,
        log_every=1,
        eval_every=1,
        save_every=1,
        peak_tflops=1.0,
    )

    def make_batch(idx):
        n_items = int((labels[idx][:, 1:] != IGNORE_INDEX).sum())
        return {
            "input_ids": ids[idx],
            "labels": labels[idx],
            "n_items": n_items,
            "n_tokens": ids[idx].numel(),
        }

    def loss_fn(model, batch):
        return lm_loss_sum(model(input_ids=batch["input_ids"]).logits, batch["labels"])[0], {}

    grads = {}

    def capture(optimizer, args, kwargs):  # the gradients the optimiser is about to apply
        grads.update({name: p.grad.clone() for name, p in model.named_parameters()})

    handle = register_optimizer_step_pre_hook(capture)
    try:
        result = train(
            accelerator=acc,
            precision=precision,
            model=model,
            loss_fn=loss_fn,
            make_batch=make_batch,
            n_examples=4,
            cfg=cfg,
            seed=0,
            run_dir=tmp_path,
        )
    finally:
        handle.remove()
    return model, grads, result


def test_gradient_accumulation_equals_one_big_batch(tiny_model_dirs, tmp_path):
    # Examples carry different numbers of loss tokens, so averaging per micro-batch would be wrong here.
    big, big_grads, big_result = _train_one_step(
        tiny_model_dirs["llama"], tmp_path / "a", batch_size=4, grad_accum=1
    )
    _, small_grads, small_result = _train_one_step(
        tiny_model_dirs["llama"], tmp_path / "b", batch_size=1, grad_accum=4
    )
    assert small_result.last_train["loss"] == pytest.approx(big_result.last_train["loss"], rel=1e-6)
    assert small_result.last_train["grad_norm"] == pytest.approx(big_result.last_train["grad_norm"], rel=1e-5)
    for name, g in big_grads.items():
        assert torch.allclose(small_grads[name], g, rtol=1e-4, atol=1e-7), name
    # and training moved every parameter
    original = load_causal_lm(tiny_model_dirs["llama"])
    for (name, p), q in zip(big.named_parameters(), original.parameters(), strict=False):
        assert not torch.equal(p, q), f"{name} did not change"


def _tiny_state():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.LayerNorm(4))
    opt = make_optimizer(model, TrainConfig())
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5**s)
    model(torch.randn(2, 4)).sum().backward()
    opt.step()
    sched.step()
    return model, opt, sched


def test_checkpoint_round_trip_restores_everything(tmp_path):
    model, opt, sched = _tiny_state()
    path = save_checkpoint(tmp_path, 7, model, opt, sched, {"micro_step": 7, "note": "x"})
    expected_draw = torch.rand(3)
    expected = {k: v.clone() for k, v in model.state_dict().items()}
    expected_opt = opt.state_dict()

    fresh, fresh_opt, fresh_sched = _tiny_state()
    with torch.no_grad():
        for p in fresh.parameters():
            p.add_(1.0)
    torch.rand(5)  # move the RNG away
    state = load_checkpoint(path, fresh, fresh_opt, fresh_sched)
    assert state["micro_step"] == 7 and state["step"] == 7
    assert all(torch.equal(v, fresh.state_dict()[k]) for k, v in expected.items())
    got_opt = fresh_opt.state_dict()
    for idx, s in expected_opt["state"].items():
        for key, value in s.items():
            assert torch.equal(value, got_opt["state"][idx][key])
    assert got_opt["param_groups"] == expected_opt["param_groups"]
    assert fresh_sched.state_dict() == sched.state_dict()
    assert torch.equal(torch.rand(3), expected_draw)
    assert not list(tmp_path.glob(".tmp-*"))


def test_keeps_only_newest_checkpoints(tmp_path):
    model, opt, sched = _tiny_state()
    for step in (1, 2, 3):
        save_checkpoint(tmp_path, step, model, opt, sched, {}, keep=2)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step-0000002", "step-0000003"]


@pytest.mark.parametrize(
    "damage,message",
    [
        ("truncate", "truncated"),
        ("flip", "corrupt"),
        ("delete", "missing"),
        ("manifest", "manifest is missing"),
    ],
)
def test_damaged_checkpoint_is_refused(tmp_path, damage, message):
    model, opt, sched = _tiny_state()
    path = save_checkpoint(tmp_path, 1, model, opt, sched, {})
    target = path / "model.safetensors"
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:-10])
    elif damage == "flip":
        data = bytearray(target.read_bytes())
        data[-1] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "delete":
        target.unlink()
    else:
        (path / "manifest.json").unlink()
    with pytest.raises(UserError, match=message):
        verify_checkpoint(path)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the CPU peak is reset through /proc")
def test_reset_peak_memory_forgets_an_earlier_peak():
    from rxalign.train.metrics import peak_memory_mb, reset_peak_memory

    big = torch.ones(64 * 2**20)  # 256 MiB, touched
    del big
    before = peak_memory_mb("cpu")
    reset_peak_memory("cpu")
    after = peak_memory_mb("cpu")
    assert before - after > 200  # the freed 256 MiB no longer counts
    touched = torch.ones(32 * 2**20)  # 128 MiB: a new peak is measured again
    assert peak_memory_mb("cpu") - after > 100
    del touched
