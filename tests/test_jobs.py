"""Background training jobs on the tiny random BERT: progress, stop, one-at-a-time, failures."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

from spamcore import jobs
from spamcore.config import recipe_defaults
from spamcore.errors import ConfigError, DataError
from spamcore.jobs import JobBusyError, JobManager
from spamcore.runs import list_runs, load_classifier


def tiny_config(model_dir, **overrides):
    values = dict(model=str(model_dir), augment="", extra_data="", epochs=2, batch_size=8, max_length=16,
                  precision="fp32", device="cpu")
    return recipe_defaults("finetune", **{**values, **overrides})


def wait_until(predicate, timeout: float = 120.0, every: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")


def test_job_reports_progress_and_finishes(tiny_model_dir, small_frame, tmp_path):
    manager = JobManager()
    job = manager.start(tiny_config(tiny_model_dir), small_frame, "hand-written", tmp_path, run_name="tiny-run")
    assert manager.get("tiny-run") is job and manager.jobs() == [job]

    seen = []
    while job.active:
        seen.append(job.snapshot())
        time.sleep(0.01)
    assert job.wait(60)
    final = job.snapshot()

    assert final.status == "finished" and final.stage == "done" and final.error is None
    # 80 messages -> 56 training messages -> 7 steps of 8 per epoch, 2 epochs.
    assert final.total_steps == 14 and final.step == 14 and len(final.step_losses) == 14
    assert [r.epoch for r in final.epoch_records] == [1, 2]
    assert final.fraction == 1.0 and final.eta == 0.0
    steps = [s.step for s in seen]
    assert steps == sorted(steps), "steps never go backwards"
    assert any(s.status == "running" for s in seen)
    assert manager.active() == []
    # The snapshot is an immutable value.
    with pytest.raises(dataclasses.FrozenInstanceError):
        final.status = "running"
    # The run is complete on disk and loadable.
    assert json.loads((tmp_path / "tiny-run" / "run.json").read_text())["status"] == "complete"
    assert [r.name for r in list_runs(tmp_path)] == ["tiny-run"]
    assert job.info is not None and job.info.metrics["n"] == 12


def test_stop_ends_the_job_and_keeps_the_best_checkpoint(tiny_model_dir, small_frame, tmp_path):
    manager = JobManager()
    job = manager.start(tiny_config(tiny_model_dir, epochs=500, batch_size=4), small_frame, "hand-written",
                        tmp_path, run_name="to-stop")
    wait_until(lambda: job.snapshot().step >= 3)
    running = job.snapshot()
    assert running.status == "running" and running.total_steps == 500 * 14
    assert running.eta is not None and running.eta > 0
    job.stop()
    assert job.wait(60)
    final = job.snapshot()
    assert final.status == "stopped"
    assert final.step < final.total_steps
    assert final.epoch_records and final.epoch_records[-1].partial
    classifier = load_classifier(tmp_path / "to-stop", device="cpu")
    assert classifier.predict_proba(["free prize now"]).shape == (1,)


def test_second_start_is_refused_while_one_runs(tiny_model_dir, small_frame, tmp_path):
    manager = JobManager(max_jobs=1)
    first = manager.start(tiny_config(tiny_model_dir, epochs=500, batch_size=4), small_frame, "hand-written",
                          tmp_path, run_name="busy-one")
    try:
        with pytest.raises(JobBusyError) as refused:
            manager.start(tiny_config(tiny_model_dir), small_frame, "hand-written", tmp_path, run_name="busy-two")
        message = str(refused.value)
        assert "'busy-one'" in message and "finetune" in message and "at a time" in message
        assert manager.get("busy-two") is None and not (tmp_path / "busy-two").exists()
        assert manager.active() == [first]
    finally:
        first.stop()
        assert first.wait(60)


def test_two_jobs_may_run_when_allowed(tiny_model_dir, small_frame, tmp_path):
    manager = JobManager(max_jobs=2)
    a = manager.start(tiny_config(tiny_model_dir), small_frame, "hand-written", tmp_path, run_name="a")
    b = manager.start(tiny_config(tiny_model_dir), small_frame, "hand-written", tmp_path, run_name="b")
    assert a.wait(120) and b.wait(120)
    assert {a.snapshot().status, b.snapshot().status} == {"finished"}


def test_failure_is_reported_on_the_job(small_frame, tmp_path):
    manager = JobManager()
    config = recipe_defaults("finetune", model=str(tmp_path / "no-such-model"), epochs=1)
    job = manager.start(config, small_frame, "hand-written", tmp_path / "runs", run_name="broken")
    assert job.wait(60)
    final = job.snapshot()
    assert final.status == "failed"
    assert "does not exist" in final.error and "no-such-model" in final.error
    assert manager.active() == []


def test_bad_requests_are_refused_before_a_thread_starts(tiny_model_dir, small_frame, tmp_path):
    manager = JobManager()
    config = tiny_config(tiny_model_dir)
    with pytest.raises(DataError, match="too few messages"):
        manager.start(config, small_frame.head(10), "ten rows", tmp_path)
    with pytest.raises(ConfigError, match="not allowed"):
        manager.start(config, small_frame, "hand-written", tmp_path, run_name="../escape")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "run.json").write_text("{}")
    with pytest.raises(ConfigError, match="already exists"):
        manager.start(config, small_frame, "hand-written", tmp_path, run_name="taken")
    assert manager.jobs() == []


def test_get_manager_is_a_singleton_configured_by_the_environment(monkeypatch):
    monkeypatch.setattr(jobs, "_MANAGER", None)
    monkeypatch.setenv("SPAMCORE_MAX_JOBS", "3")
    assert jobs.get_manager() is jobs.get_manager()
    assert jobs.get_manager().max_jobs == 3
    monkeypatch.setattr(jobs, "_MANAGER", None)
    monkeypatch.setenv("SPAMCORE_MAX_JOBS", "zero")
    with pytest.raises(ConfigError, match="SPAMCORE_MAX_JOBS"):
        jobs.get_manager()
    with pytest.raises(ConfigError, match="max_jobs"):
        JobManager(max_jobs=0)
