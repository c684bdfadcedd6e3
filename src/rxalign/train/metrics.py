"""metrics.jsonl writing, throughput, model FLOPs utilisation (MFU) and peak memory."""

from __future__ import annotations

import json
import math
import resource
import time
from functools import cache
from pathlib import Path

import torch

from rxalign.io import append_jsonl, write_text

# Dense peak TFLOP/s (no sparsity) by device-name fragment and autocast dtype, from the vendors' datasheets.
GPU_PEAK_TFLOPS = {
    "H200": {"bf16": 989.0, "fp16": 989.0, "fp32": 67.0},
    "H100": {"bf16": 989.0, "fp16": 989.0, "fp32": 67.0},
    "A100": {"bf16": 312.0, "fp16": 312.0, "fp32": 19.5},
    "L40S": {"bf16": 362.0, "fp16": 362.0, "fp32": 91.6},
    "A10G": {"bf16": 70.0, "fp16": 70.0, "fp32": 31.2},
    "L4": {"bf16": 121.0, "fp16": 121.0, "fp32": 30.3},
    "4090": {"bf16": 165.0, "fp16": 165.0, "fp32": 82.6},
}


class MetricsLog:
    """Appends one JSON object per logged step to `<run>/metrics.jsonl`."""

    def __init__(self, path: Path, enabled: bool = True):
        self.path = path
        self.enabled = enabled

    def truncate_after(self, step: int) -> None:
        """On resume, drop records past the checkpoint so the file matches an uninterrupted run."""
        if not (self.enabled and self.path.exists()):
            return
        kept = [line for line in self.path.read_text(encoding="utf-8").splitlines() if _step_of(line) <= step]
        write_text(self.path, "".join(line + "\n" for line in kept))

    def write(self, record: dict) -> None:
        if self.enabled:
            append_jsonl(self.path, record)


def _step_of(line: str) -> float:
    try:
        return json.loads(line)["step"]
    except (ValueError, KeyError, TypeError):
        return math.inf


class Throughput:
    """Tokens per second over the window since the last `rate()` call, excluding paused time (evaluation)."""

    def __init__(self) -> None:
        self.tokens = 0
        self.start = time.perf_counter()
        self.paused_s = 0.0

    def add(self, n_tokens: int) -> None:
        self.tokens += n_tokens

    def pause(self):
        outer = self

        class _Pause:
            def __enter__(self):
                self.t = time.perf_counter()

            def __exit__(self, *exc):
                outer.paused_s += time.perf_counter() - self.t

        return _Pause()

    def rate(self) -> float:
        elapsed = time.perf_counter() - self.start - self.paused_s
        tokens_per_s = self.tokens / elapsed if elapsed > 0 else 0.0
        self.tokens, self.start, self.paused_s = 0, time.perf_counter(), 0.0
        return tokens_per_s


def flops_per_token(model: torch.nn.Module) -> float:
    """Training FLOPs per token: 2·N forward + 2·N backward through the activations + 2·N_trainable for the
    weight gradients, which is the usual 6·N (Kaplan et al. 2020) when every weight trains and 4·N + 2·N_lora
    with LoRA. N leaves out the input embedding: a lookup, not a matmul (a tied output head still counts).
    """
    embedding = model.get_input_embeddings() if hasattr(model, "get_input_embeddings") else None
    skip = {id(p) for p in embedding.parameters()} if embedding is not None else set()
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if head is not None:
        skip -= {id(p) for p in head.parameters()}
    params = [p for p in model.parameters() if id(p) not in skip]
    n_all = sum(p.numel() for p in params)
    n_trainable = sum(p.numel() for p in params if p.requires_grad)
    return 4.0 * n_all + 2.0 * n_trainable


@cache
def peak_flops(device_type: str, precision: str, given_tflops: float | None = None) -> float:
    """Peak FLOP/s: given, else the datasheet value for a known GPU, else measured with a matmul."""
    if given_tflops:
        return given_tflops * 1e12
    if device_type == "cuda":
        name = torch.cuda.get_device_name()
        for fragment, table in GPU_PEAK_TFLOPS.items():
            if fragment in name:
                return table.get(precision, table["fp32"]) * 1e12
    return _measure_matmul_flops(device_type, torch.bfloat16 if precision == "bf16" else torch.float32)


def _measure_matmul_flops(
    device_type: str, dtype: torch.dtype, n: int = 1024, trials: int = 5, seconds: float = 0.1
) -> float:
    """Best of several timed runs of an n×n matmul (the first ones warm up threads and caches)."""
    device = torch.device(device_type)
    a = torch.randn(n, n, device=device, dtype=dtype, generator=torch.Generator(device).manual_seed(0))
    b = torch.randn(n, n, device=device, dtype=dtype, generator=torch.Generator(device).manual_seed(1))
    sync = torch.cuda.synchronize if device_type == "cuda" else (lambda: None)
    best = 0.0
    for _ in range(trials):
        sync()
        iters, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            a @ b
            iters += 1
        sync()
        best = max(best, 2 * n**3 * iters / (time.perf_counter() - start))
    return best


def reset_peak_memory(device_type: str) -> None:
    """Start measuring the peak afresh, so a loop reports its own peak rather than loading's or an earlier phase's
    (a reference pass, a freed reference model). On CPU this needs Linux (writing 5 to /proc/self/clear_refs resets
    the peak resident set size); elsewhere the CPU peak stays the process's since it started."""
    if device_type == "cuda":
        torch.cuda.reset_peak_memory_stats()
        return
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_memory_mb(device_type: str) -> float:
    """Peak accelerator memory allocated, or on CPU the process's peak resident set size, since the last
    `reset_peak_memory`."""
    if device_type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
