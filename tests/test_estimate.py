"""spamcore.runs.estimate: the time a training will take, said before it starts — known answers for a given rate,
and a measured rate cached once per computer."""

from __future__ import annotations

import math

import pytest

from spamcore.model.config import recipe_defaults
from spamcore.runs.estimate import FIXED_SECONDS, SUITE_MESSAGES, Estimate, Rate, estimate, measured_rate


def test_the_default_reads_the_split_and_the_supplement_each_pass():
    config = recipe_defaults("finetune", extra_data="")
    rate = Rate(step_seconds=0.5, forward_seconds_per_message=0.002)
    got = estimate(config, 1000, rate=rate)
    steps = math.ceil(700 / config.batch_size) * config.epochs
    assert got.steps == steps
    assert got.seconds == pytest.approx(FIXED_SECONDS + steps * 0.5 + (150 * config.epochs + 150 + SUITE_MESSAGES)
                                        * 0.002)
    copies = estimate(config.replace(perturb_share=None, epochs=1), 1000, rate=rate)  # before issue 31
    assert copies.steps == math.ceil(700 * (1 + len(config.augment.split(","))) / config.batch_size)
    with_supplement = estimate(recipe_defaults("finetune"), 1000, rate=rate)
    assert with_supplement.steps > steps  # the bundled supplement is read too


def test_the_line_a_teacher_reads():
    rate = Rate(0.55, 0.002)
    assert Estimate(170, 272, rate).describe() == "about 3 minutes on this computer (272 steps of 0.55 s)"
    assert Estimate(40, 20, rate).describe() == "about 40 seconds on this computer (20 steps of 0.55 s)"


def test_the_rate_is_measured_once_and_cached(tiny_model_dir, tmp_path, monkeypatch):
    import spamcore.runs.estimate as module

    config = recipe_defaults("finetune", model=str(tiny_model_dir), batch_size=4)
    monkeypatch.setattr(module, "_RATES", {})
    rate = measured_rate(config, cache_dir=tmp_path)
    assert rate.step_seconds > 0 and rate.forward_seconds_per_message > 0
    assert (tmp_path / module.CACHE_NAME).is_file()
    monkeypatch.setattr(module, "_RATES", {})  # a new process: read from the file, not measured again
    monkeypatch.setattr(module, "_measure", lambda _config: pytest.fail("measured again"))
    assert measured_rate(config, cache_dir=tmp_path) == rate
    (tmp_path / module.CACHE_NAME).write_text("{damaged")
    monkeypatch.setattr(module, "_RATES", {})
    monkeypatch.setattr(module, "_measure", lambda _config: Rate(1.0, 0.1))
    assert measured_rate(config, cache_dir=tmp_path) == Rate(1.0, 0.1)  # a damaged cache is only a miss


def test_a_finished_trainings_pace_replaces_a_probe_measured_under_load(tmp_path, monkeypatch):
    import spamcore.runs.estimate as module
    from spamcore.runs.estimate import record_pace

    config = recipe_defaults("finetune")
    monkeypatch.setattr(module, "_RATES", {})
    monkeypatch.setattr(module, "_measure", lambda _config: Rate(3.0, 0.01))  # a probe while something else ran
    assert measured_rate(config, cache_dir=tmp_path).step_seconds == 3.0
    record_pace(config, 0.55, cache_dir=tmp_path)
    monkeypatch.setattr(module, "_RATES", {})  # another process reads the file
    assert measured_rate(config, cache_dir=tmp_path) == Rate(0.55, 0.01)
    record_pace(recipe_defaults("frozen"), 0.01, cache_dir=tmp_path)  # the frozen recipe's steps are not its cost
