"""spamcore.model.precision: bf16 only where measured faster than fp32; the choice is cached and saved with runs."""

from __future__ import annotations

import json

import pytest
import torch

from spamcore.model import precision
from spamcore.model.precision import MARGIN, choose, matmul_gflops

CPU = torch.device("cpu")


@pytest.fixture()
def native_bf16(monkeypatch):
    """Pretend the CPU has native bf16, so that the measurement decides (the flag alone must not)."""
    monkeypatch.setattr(precision, "cpu_supports_bf16", lambda: True)


def fake(fp32: float, bf16: float):
    calls = []

    def measure(dtype, device):
        calls.append(dtype)
        return fp32 if dtype == torch.float32 else bf16

    return measure, calls


def test_auto_picks_bf16_where_it_is_measured_faster(native_bf16, tmp_path):
    measure, calls = fake(fp32=100.0, bf16=300.0)
    choice = choose("auto", CPU, cache_dir=tmp_path, measure=measure)
    assert choice.bf16 and choice.fp32_gflops == 100.0 and choice.bf16_gflops == 300.0
    assert calls == [torch.float32, torch.bfloat16]
    assert "bf16 is faster" in choice.describe()


@pytest.mark.parametrize("bf16_speed", [60.0, 100.0, 100.0 * MARGIN - 1])
def test_auto_keeps_fp32_where_bf16_is_slower_or_barely_faster(native_bf16, tmp_path, bf16_speed):
    """The AVX512-BF16-without-AMX case: the flag is there, bf16 is slower; auto must never be slower than fp32."""
    measure, _ = fake(fp32=100.0, bf16=bf16_speed)
    choice = choose("auto", CPU, cache_dir=tmp_path, measure=measure)
    assert not choice.bf16
    assert "fp32" in choice.describe() and "not" in choice.reason


def test_a_cpu_without_native_bf16_is_not_measured(monkeypatch, tmp_path):
    monkeypatch.setattr(precision, "cpu_supports_bf16", lambda: False)
    measure, calls = fake(fp32=100.0, bf16=1000.0)
    assert not choose("auto", CPU, cache_dir=tmp_path, measure=measure).bf16
    assert calls == []


@pytest.mark.parametrize(("setting", "expected"), [("fp32", False), ("bf16", True)])
def test_an_explicit_setting_is_obeyed_without_measuring(setting, expected, tmp_path):
    measure, calls = fake(fp32=1.0, bf16=1.0)
    assert choose(setting, CPU, cache_dir=tmp_path, measure=measure).bf16 is expected
    assert calls == []


def test_the_measured_choice_is_cached_on_disk_per_host(monkeypatch, tmp_path):
    monkeypatch.setattr(precision, "_CHOICES", {})
    first = choose("auto", CPU, cache_dir=tmp_path)
    saved = json.loads((tmp_path / precision.CACHE_NAME).read_text())
    assert next(iter(saved.values()))["bf16"] == first.bf16 and "threads" in next(iter(saved))
    monkeypatch.setattr(precision, "_CHOICES", {})  # a new process: reads the file, measures nothing
    monkeypatch.setattr(precision, "_measured", lambda *a: pytest.fail("measured again"))
    assert choose("auto", CPU, cache_dir=tmp_path) == first


def test_a_damaged_cache_is_measured_again(monkeypatch, tmp_path):
    monkeypatch.setattr(precision, "_CHOICES", {})
    (tmp_path / precision.CACHE_NAME).write_text("{not json")
    assert choose("auto", CPU, cache_dir=tmp_path).setting == "auto"


def test_matmul_gflops_measures_a_positive_rate():
    assert matmul_gflops(torch.float32, CPU, seconds=0.02, shape=(64, 64, 64)) > 0


def test_the_run_saves_how_its_precision_was_chosen(tiny_model_dir, small_frame, tmp_path):
    from spamcore.model.config import recipe_defaults
    from spamcore.runs.experiment import run_experiment

    config = recipe_defaults("frozen", model=str(tiny_model_dir), device="cpu", pooling="mean", epochs=1)
    saved = run_experiment(config, small_frame, tmp_path / "run").meta["precision"]
    assert saved["setting"] == "auto" and isinstance(saved["bf16"], bool) and saved["reason"]
