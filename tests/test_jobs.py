"""Training jobs as processes on the tiny random BERT: progress from the run folder, stop, kill, one at a time
across servers, failures with their reason."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import time

import pytest

from spamcore.errors import ConfigError, DataError, ModelLoadError
from spamcore.model.config import recipe_defaults
from spamcore.model.saved import load_classifier
from spamcore.runs.jobs import JobBusyError, JobManager, get_manager
from spamcore.runs.processes import launcher_prefix
from spamcore.runs.store import list_runs, read_run


def tiny_config(model_dir, **overrides):
    values = dict(model=str(model_dir), augment="", extra_data="", epochs=2, batch_size=8, max_length=16,
                  precision="fp32", device="cpu")
    return recipe_defaults("finetune", **{**values, **overrides})


def wait_until(predicate, timeout: float = 120.0, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")


def test_job_runs_as_its_own_process_and_reports_progress(tiny_model_dir, small_frame, tmp_path):
    manager = JobManager(tmp_path)
    job = manager.start(tiny_config(tiny_model_dir), small_frame, "hand-written", run_name="tiny-run")
    assert job.process.pid != os.getpid() and job.pid == job.process.pid
    assert [j.run_name for j in manager.jobs()] == ["tiny-run"]

    seen = []
    while job.active:
        seen.append(job.snapshot())
        time.sleep(0.05)
    assert job.wait(180)
    final = job.snapshot()
    assert final.status == "finished" and final.stage == "done" and final.error is None, final.error
    # 80 messages -> 56 training messages -> 7 steps of 8 per epoch, 2 epochs.
    assert final.total_steps == 14 and final.step == 14 and len(final.step_losses) == 14
    assert [r.epoch for r in final.epoch_records] == [1, 2]
    assert final.fraction == 1.0 and final.eta == 0.0
    steps = [s.step for s in seen]
    assert steps == sorted(steps), "steps never go backwards"
    assert {s.status for s in seen} <= {"queued", "running"}
    assert manager.active() == []
    with pytest.raises(dataclasses.FrozenInstanceError):
        final.status = "running"
    assert read_run(tmp_path / "tiny-run").status == "finished"
    assert [r.name for r in list_runs(tmp_path)] == ["tiny-run"]
    assert read_run(tmp_path / "tiny-run").metrics["n"] == 12


def test_a_new_manager_finds_the_job_from_the_runs_folder_alone(tiny_model_dir, small_frame, tmp_path):
    first = JobManager(tmp_path).start(tiny_config(tiny_model_dir, epochs=500, batch_size=4), small_frame,
                                       "hand-written", run_name="seen-twice")
    try:
        wait_until(lambda: first.snapshot().step >= 2)
        other = JobManager(tmp_path)  # another server process, or this one restarted
        job = other.get("seen-twice")
        assert job is not None and job.process is None
        snap = job.snapshot()
        assert snap.status == "running" and snap.step >= 2 and len(snap.step_losses) == snap.step
        assert [j.run_name for j in other.active()] == ["seen-twice"]
    finally:
        first.stop()
        assert first.wait(180)


def test_stop_says_stopping_at_once_then_keeps_the_best_checkpoint(tiny_model_dir, small_frame, tmp_path):
    job = JobManager(tmp_path).start(tiny_config(tiny_model_dir, epochs=500, batch_size=4), small_frame,
                                     "hand-written", run_name="to-stop")
    wait_until(lambda: job.snapshot().step >= 3)
    running = job.snapshot()
    assert running.status == "running" and running.total_steps == 500 * 14
    assert running.eta is not None and running.eta > 0
    job.stop()
    assert job.snapshot().status == "stopping"
    assert job.wait(180)
    final = job.snapshot()
    assert final.status == "stopped", final.error
    assert final.step < final.total_steps
    # A stop in the first epoch records that epoch as partial; a later one keeps the finished epochs and records no
    # partial one (train() does not validate it). Which one happens depends on the host's speed.
    assert final.epoch_records
    assert final.epoch_records[-1].partial or final.step >= 14 * len(final.epoch_records)
    assert read_run(tmp_path / "to-stop").status == "stopped"
    classifier = load_classifier(tmp_path / "to-stop", device="cpu")
    assert classifier.predict_proba(["free prize now"]).shape == (1,)


def test_a_killed_trainer_shows_as_failed_with_a_reason(tiny_model_dir, small_frame, tmp_path):
    job = JobManager(tmp_path).start(tiny_config(tiny_model_dir, epochs=500, batch_size=4), small_frame,
                                     "hand-written", run_name="killed")
    wait_until(lambda: job.snapshot().step >= 2)
    os.kill(job.pid, signal.SIGKILL)
    job.process.wait(30)
    final = wait_until(lambda: (s := job.snapshot()).status == "failed" and s)
    assert "ended without finishing" in final.error
    assert JobManager(tmp_path).get("killed").snapshot().status == "failed"  # also for another server


def test_second_start_is_refused_across_managers_while_one_runs(tiny_model_dir, small_frame, tmp_path):
    first = JobManager(tmp_path, max_jobs=1).start(tiny_config(tiny_model_dir, epochs=500, batch_size=4),
                                                   small_frame, "hand-written", run_name="busy-one")
    other = JobManager(tmp_path, max_jobs=1)
    try:
        wait_until(lambda: first.snapshot().step >= 1)
        with pytest.raises(JobBusyError) as refused:
            other.start(tiny_config(tiny_model_dir), small_frame, "hand-written", run_name="busy-two")
        message = str(refused.value)
        assert "'busy-one'" in message and "finetune" in message and "at a time" in message
        assert other.get("busy-two") is None and not (tmp_path / "busy-two").exists()
    finally:
        first.stop()
        assert first.wait(180)
    # The slot is the trainer's: free again once it has exited.
    first.process.wait(30)
    second = other.start(tiny_config(tiny_model_dir, epochs=1), small_frame, "hand-written", run_name="busy-two")
    assert second.wait(120) and second.snapshot().status == "finished"


def test_two_jobs_may_run_when_allowed(tiny_model_dir, small_frame, tmp_path):
    manager = JobManager(tmp_path, max_jobs=2)
    a = manager.start(tiny_config(tiny_model_dir), small_frame, "hand-written", run_name="a")
    b = manager.start(tiny_config(tiny_model_dir), small_frame, "hand-written", run_name="b")
    assert a.wait(120) and b.wait(120)
    assert {a.snapshot().status, b.snapshot().status} == {"finished"}


def test_a_model_that_cannot_load_is_refused_before_a_trainer_starts(small_frame, tmp_path):
    config = recipe_defaults("finetune", model=str(tmp_path / "no-such-model"), epochs=1)
    with pytest.raises(ModelLoadError, match="does not exist"):
        JobManager(tmp_path / "runs").start(config, small_frame, "hand-written", run_name="broken")
    assert not (tmp_path / "runs" / "broken").exists()


def test_a_trainer_failure_is_reported_with_the_trainers_message(tiny_model_dir, small_frame, tmp_path):
    broken = tmp_path / "broken-weights"
    shutil.copytree(tiny_model_dir, broken)
    (broken / "model.safetensors").write_bytes(b"not weights at all")  # config and vocabulary still read fine
    job = JobManager(tmp_path / "runs").start(tiny_config(broken), small_frame, "hand-written", run_name="broken")
    assert job.wait(120)
    final = job.snapshot()
    assert final.status == "failed"
    assert "broken-weights" in final.error


def test_bad_requests_are_refused_before_a_process_starts(tiny_model_dir, small_frame, tmp_path):
    manager = JobManager(tmp_path)
    config = tiny_config(tiny_model_dir)
    with pytest.raises(DataError, match="too few messages"):
        manager.start(config, small_frame.head(10), "ten rows")
    with pytest.raises(ConfigError, match="not allowed"):
        manager.start(config, small_frame, "hand-written", run_name="../escape")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "run.json").write_text("{}")
    with pytest.raises(ConfigError, match="already exists"):
        manager.start(config, small_frame, "hand-written", run_name="taken")
    assert manager.jobs() == []


def test_the_launcher_prefix_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("SPAMCORE_LAUNCHER", raising=False)
    assert launcher_prefix()[1:] == ["-m", "spamcore"]
    monkeypatch.setenv("SPAMCORE_LAUNCHER", "accelerate launch --num_processes 8 -m spamcore")
    assert launcher_prefix() == ["accelerate", "launch", "--num_processes", "8", "-m", "spamcore"]


def test_a_job_runs_under_a_configured_launcher(tiny_model_dir, small_frame, tmp_path, monkeypatch):
    import shutil
    import sys
    from pathlib import Path

    torchrun = shutil.which("torchrun") or str(Path(sys.executable).with_name("torchrun"))
    monkeypatch.setenv("SPAMCORE_LAUNCHER", f"{torchrun} --standalone --nproc_per_node 2 -m spamcore")
    job = JobManager(tmp_path).start(tiny_config(tiny_model_dir, epochs=1), small_frame, "hand-written",
                                     run_name="launched")
    assert job.wait(180)
    assert job.snapshot().status == "finished", job.snapshot().error
    meta = json.loads((tmp_path / "launched" / "job.json").read_text())
    assert meta["command"][:4] == [torchrun, "--standalone", "--nproc_per_node", "2"]


def test_a_trainer_and_the_processes_it_starts_run_at_a_lower_priority(tiny_model_dir, small_frame, tmp_path):
    import psutil

    job = JobManager(tmp_path).start(tiny_config(tiny_model_dir, epochs=500, batch_size=4), small_frame,
                                     "hand-written", run_name="niced")
    try:
        wait_until(lambda: job.snapshot().step >= 1)
        assert psutil.Process(job.pid).nice() == 10  # $SPAMCORE_TRAINER_NICE's default
    finally:
        job.stop()
        assert job.wait(180)


def test_the_job_life_needs_no_posix_only_module(tiny_model_dir, small_frame, tmp_path):
    """Start, progress, Stop, a finished run and a refused second start, in a server process that cannot import
    ``fcntl`` (as on Windows): nothing POSIX-only is imported when the job modules load or a job runs."""
    import subprocess
    import sys
    import textwrap

    data = tmp_path / "data.tsv"
    small_frame.assign(label=small_frame["label"].map({0: "ham", 1: "spam"}))[["label", "text"]].to_csv(
        data, sep="\t", index=False)
    script = textwrap.dedent(f"""
        import sys, time
        sys.modules["fcntl"] = None  # import fcntl now raises ImportError
        from spamcore.model.config import recipe_defaults
        from spamcore.data.messages import read_messages
        from spamcore.runs.jobs import JobBusyError, JobManager
        frame = read_messages({str(data)!r})
        config = lambda epochs: recipe_defaults("finetune", model={str(tiny_model_dir)!r}, epochs=epochs,
            batch_size=4, max_length=16, augment="", extra_data="", precision="fp32", device="cpu")
        manager = JobManager({str(tmp_path / "runs")!r})
        job = manager.start(config(500), frame, "hand-written", run_name="long")
        deadline = time.time() + 120
        while job.snapshot().step < 2 and time.time() < deadline:
            time.sleep(0.2)
        assert job.snapshot().step >= 2, job.snapshot()
        try:
            manager.start(config(1), frame, "hand-written", run_name="second")
            raise SystemExit("a second start was not refused")
        except JobBusyError:
            pass
        job.stop()
        assert job.snapshot().status == "stopping"
        assert job.wait(180) and job.snapshot().status == "stopped", job.snapshot()
        short = manager.start(config(1), frame, "hand-written", run_name="short")
        assert short.wait(120) and short.snapshot().status == "finished", short.snapshot()
        assert "fcntl" not in sys.modules or sys.modules["fcntl"] is None
        print("job life ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "job life ok" in done.stdout


def test_get_manager_is_one_per_runs_folder_configured_by_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SPAMCORE_MAX_JOBS", "3")
    assert get_manager(tmp_path / "x") is get_manager(tmp_path / "x")
    assert get_manager(tmp_path / "x").max_jobs == 3
    monkeypatch.setenv("SPAMCORE_MAX_JOBS", "zero")
    with pytest.raises(ConfigError, match="SPAMCORE_MAX_JOBS"):
        get_manager(tmp_path / "y")
    with pytest.raises(ConfigError, match="max_jobs"):
        JobManager(tmp_path, max_jobs=0)


def test_stop_pressed_while_the_trainer_starts_is_a_stop_with_nothing_trained(tiny_model_dir, small_frame, tmp_path):
    """Stop in the trainer's first seconds (still importing, or loading the model): "stopped", never "failed"."""
    from spamcore.runs.layout import NOTHING_TRAINED

    job = JobManager(tmp_path).start(tiny_config(tiny_model_dir), small_frame, "hand-written", run_name="at-once")
    job.stop()
    assert job.wait(180)
    final = job.snapshot()
    assert (final.status, final.error) == ("stopped", NOTHING_TRAINED)
    assert not (tmp_path / "at-once" / "model.safetensors").exists()
