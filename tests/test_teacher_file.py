"""A teacher kept as data (issue 38): the file's round trip, a student distilled from the file as from the run, the
file holding no message, and clear errors for a file made for other data or not a teacher file at all."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import messages_frame
from test_app import tiny_config, tiny_run  # noqa: F401 (fixture)

from spamcore.errors import RunError
from spamcore.model.teacher_file import (
    is_teacher_file,
    read_teacher_file,
    teacher_file_probabilities,
    text_key,
    write_teacher_file,
)
from spamcore.training.loop import teacher_probabilities


def test_the_file_round_trips_within_its_rounding_and_holds_no_message(tmp_path):
    texts = ["WIN a free cruise, reply YES", "see you at six", "is this parcel fee text fake?"]
    p = np.array([0.999999, 1e-5, 0.31])
    path = write_teacher_file(tmp_path / "t.json", texts, p, {"name": "a teacher", "seed": 42, "commit": "abc"})
    assert is_teacher_file(path) and not is_teacher_file(tmp_path) and not is_teacher_file(tmp_path / "no.json")
    back = teacher_file_probabilities(path, [texts[2], texts[0], texts[0]])
    logit = np.log(p / (1 - p))
    assert np.abs(np.log(back / (1 - back)) - logit[[2, 0, 0]]).max() <= 5e-4  # log-odds to 1e-3
    teacher, table = read_teacher_file(path)
    assert teacher["commit"] == "abc" and set(table) == {text_key(t) for t in texts}
    body = path.read_text()
    assert not any(t in body or t.lower() in body for t in texts)
    again = write_teacher_file(tmp_path / "u.json", texts[::-1], p[::-1], {"name": "a teacher", "seed": 42,
                                                                              "commit": "abc"})
    assert again.read_bytes() == body.encode()  # same judgement, same bytes: a small diff in version control


def test_unknown_texts_and_other_files_are_clear_errors(tmp_path):
    path = write_teacher_file(tmp_path / "t.json", ["a"], [0.5], {})
    with pytest.raises(RunError, match=r"does not know 1 of 2 messages.*remake it"):
        teacher_file_probabilities(path, ["a", "b"])
    (tmp_path / "bad.json").write_text(json.dumps({"format": 99}))
    with pytest.raises(RunError, match="not a teacher file"):
        teacher_file_probabilities(tmp_path / "bad.json", ["a"])
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(RunError, match="not a readable teacher file"):
        read_teacher_file(tmp_path / "broken.json")


def test_a_student_learns_the_same_targets_from_the_file_as_from_the_run(tiny_run, tiny_model_dir,  # noqa: F811
                                                                          tmp_path):
    from spamcore.runs.experiment import run_experiment
    from spamcore.runs.packaging import store_teacher, student_texts

    run = tiny_run / "tiny-finetune"
    data = messages_frame(4)
    path = store_teacher(run, data, tmp_path / "teacher.json", commit="test")
    teacher, table = read_teacher_file(path)
    assert teacher["commit"] == "test" and teacher["messages"] == len(table)
    from spamcore.model.config import recipe_defaults
    from spamcore.model.ready import student_settings

    texts = student_texts(recipe_defaults("finetune", **student_settings(str(run))), data)
    from_run = teacher_probabilities(str(run), texts)
    from_file = teacher_probabilities(str(path), texts)
    assert np.abs(from_run - from_file).max() < 1e-3
    # and a student trains from the file alone (tiny model, the bundled everyday messages as its transfer set)
    config = tiny_config(tiny_model_dir, distil_from=str(path), distil_rows="all",
                         extra_data="bundled:modern+bundled:contrast", transfer_data="bundled:everyday")
    info = run_experiment(config, data, tmp_path / "student", data_name="hand-written")
    assert info.status == "finished"
