"""Precision chosen by measurement: bf16 only where this host runs it faster than fp32.

A CPU flag is not an answer. On a Xeon with AVX512-BF16 but no AMX, bf16 matmul ran at 161 GFLOP/s against 284 in
fp32 and a finetune took 1.43x as long; with AMX, bf16 is several times faster. So ``precision="auto"`` times a
matmul of the shape BERT's feed-forward layers compute (tokens x hidden times hidden x 4·hidden), in fp32 and in
bf16, once per host, device and thread count, and picks bf16 only when it is at least :data:`MARGIN` times as fast.
The result is kept in memory and in the user cache (``precision.json``), so each later process reads it.
A CUDA GPU that supports bf16 gets it without measuring (its tensor cores are many times faster).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import torch

from spamcore.cache import cache_path, host_key, read_entry, write_entry

#: bf16 must be at least this many times as fast as fp32 to be chosen: noise and the casts around each
#: matmul eat a small lead.
MARGIN = 1.15
#: The benchmark's shape: 1,024 tokens x 384 hidden (MiniLM) times 384 x 1,536 (its feed-forward layer).
SHAPE = (1024, 384, 1536)
CACHE_NAME = "precision.json"


@dataclass(frozen=True)
class PrecisionChoice:
    """What ``precision`` resolved to on this device, and why."""

    bf16: bool
    setting: str  # "auto", "fp32" or "bf16"
    device: str
    fp32_gflops: float | None = None  # measured (auto on a CPU), else None
    bf16_gflops: float | None = None
    reason: str = ""

    def describe(self) -> str:
        """One line for logs. Example: ``precision fp32 (auto: bf16 161 GFLOP/s vs fp32 284 ...)``."""
        return f"precision {'bf16' if self.bf16 else 'fp32'} ({self.setting}: {self.reason})"


def matmul_gflops(dtype: torch.dtype, device: torch.device, seconds: float = 0.15,
                  shape: tuple[int, int, int] = SHAPE) -> float:
    """GFLOP/s of ``(m x k) @ (k x n)`` in ``dtype`` on ``device``, best of repeated timed runs after a warm-up."""
    m, k, n = shape
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(m, k, generator=generator).to(device=device, dtype=dtype)
    b = torch.randn(k, n, generator=generator).to(device=device, dtype=dtype)
    with torch.inference_mode():
        for _ in range(3):
            a @ b
        best, deadline = float("inf"), time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            a @ b
            if device.type == "cuda":
                torch.cuda.synchronize()
            best = min(best, time.perf_counter() - start)
    return 2 * m * k * n / best / 1e9


_CHOICES: dict[str, PrecisionChoice] = {}


def choose(setting: str, device: torch.device, *, cache_dir: Path | None = None,
           measure: Callable[[torch.dtype, torch.device], float] = matmul_gflops) -> PrecisionChoice:
    """Resolve a precision setting on ``device``. ``measure`` is injectable (tests give both outcomes)."""
    if setting == "fp32":
        return PrecisionChoice(False, setting, device.type, reason="asked for")
    if setting == "bf16":
        return PrecisionChoice(True, setting, device.type, reason="asked for")
    if device.type == "cuda":
        supported = torch.cuda.is_bf16_supported()
        return PrecisionChoice(supported, setting, device.type,
                               reason="GPU supports bf16" if supported else "GPU lacks bf16")
    key = host_key(device)
    if measure is matmul_gflops and key in _CHOICES:
        return _CHOICES[key]
    cached = _read_cache(cache_dir, key) if measure is matmul_gflops else None
    if cached is not None:
        _CHOICES[key] = cached
        return cached
    choice = _measured(setting, device, measure)
    if measure is matmul_gflops:
        _CHOICES[key] = choice
        _write_cache(cache_dir, key, choice)
    return choice


def _measured(setting: str, device: torch.device, measure) -> PrecisionChoice:

    if not cpu_supports_bf16():
        return PrecisionChoice(False, setting, device.type, reason="this CPU has no native bf16")
    fp32, bf16 = measure(torch.float32, device), measure(torch.bfloat16, device)
    faster = bf16 >= MARGIN * fp32
    verdict = "bf16 is faster" if faster else f"bf16 is not {MARGIN:g}x as fast"
    return PrecisionChoice(faster, setting, device.type, round(fp32, 1), round(bf16, 1),
                           f"matmul fp32 {fp32:,.0f} GFLOP/s, bf16 {bf16:,.0f} GFLOP/s: {verdict}")


def _read_cache(cache_dir: Path | None, key: str) -> PrecisionChoice | None:
    entry = read_entry(cache_path(CACHE_NAME, cache_dir), key)
    try:
        return PrecisionChoice(**entry) if entry is not None else None
    except TypeError:
        return None  # another version's entry: measure again


def _write_cache(cache_dir: Path | None, key: str, choice: PrecisionChoice) -> None:
    write_entry(cache_path(CACHE_NAME, cache_dir), key, asdict(choice))


@cache
def cpu_supports_bf16() -> bool:
    """Whether this CPU has native bf16 matmul (AVX512-BF16 or AMX); emulated bf16 is slower than fp32."""
    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def use_bf16(precision: str, device: torch.device) -> bool:
    """Whether to run under bf16 autocast for this precision setting and device (``auto``: where measured
    faster, see :mod:`spamcore.model.precision`)."""
    return choose(precision, device).bf16


def autocast(enabled: bool, device: torch.device):
    """bf16 autocast on ``device`` (a no-op context when disabled)."""
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=enabled)
