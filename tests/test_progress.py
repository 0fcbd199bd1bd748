"""spamcore.runs.progress: the trainer's JSON-lines file, read incrementally and tolerantly."""

from __future__ import annotations

import json

from spamcore.runs.layout import PROGRESS_FILE
from spamcore.runs.progress import ProgressReader, ProgressWriter, shared_reader
from spamcore.training.loop import EpochRecord, StageProgress, StepProgress


def step(n: int, loss: float) -> StepProgress:
    return StepProgress(1, n, 4, n, 8, loss, loss, 0.1 * n)


def test_writer_and_reader_round_trip(tmp_path):
    writer = ProgressWriter(tmp_path / "run")
    writer(StageProgress("loading", 0, 1, 0.0))
    writer(step(1, 0.7))
    writer(step(2, 0.5))
    writer(EpochRecord(1, 0.6, 0.55, 0.9, 0.8, 1.0, True))
    writer.status("finished")
    writer.close()
    state = ProgressReader(tmp_path / "run").read()
    assert state.step_losses == [0.7, 0.5] and (state.step, state.total_steps, state.steps_per_epoch) == (2, 8, 4)
    assert state.epoch_records[0]["val_loss"] == 0.55 and state.status == "finished" and state.stage == "done"


def test_reader_reads_only_new_lines_and_skips_a_torn_one(tmp_path):
    path = tmp_path / PROGRESS_FILE
    lines = [json.dumps({"kind": "step", "epoch": 1, "step": i, "steps_per_epoch": 9, "global_step": i,
                         "total_steps": 9, "loss": i / 10, "running_loss": 0, "elapsed": 0, "t": 1.0})
             for i in (1, 2)]
    path.write_text(lines[0] + "\n" + '{"kind": "st')  # the trainer was killed mid-line
    reader = ProgressReader(tmp_path)
    assert reader.read().step_losses == [0.1]
    with open(path, "a") as fh:  # a torn line is never completed; later lines still count
        fh.write("\n" + lines[1] + "\n")
    assert reader.read().step_losses == [0.1, 0.2]
    assert reader.read().step_losses == [0.1, 0.2]  # nothing read twice


def test_reader_starts_over_when_the_file_is_replaced(tmp_path):
    writer = ProgressWriter(tmp_path)
    for n in range(1, 6):
        writer(step(n, 0.5))
    writer.close()
    reader = ProgressReader(tmp_path)
    assert len(reader.read().step_losses) == 5
    (tmp_path / PROGRESS_FILE).unlink()
    writer = ProgressWriter(tmp_path)
    writer(step(1, 0.9))
    writer.close()
    assert reader.read().step_losses == [0.9]


def test_a_missing_file_is_an_empty_state_and_readers_are_shared(tmp_path):
    state = ProgressReader(tmp_path).read()
    assert state.status is None and state.stage == "queued"
    assert shared_reader(tmp_path) is shared_reader(tmp_path / ".")
