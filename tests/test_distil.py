"""A teacher's distillation (issue 32): every row labelled by the teacher, unlabeled transfer data, the teacher's
probabilities read once and remembered, the repair view's words saved with the student, and the everyday messages
that are never the suites' own."""

from __future__ import annotations

import difflib
import re

import pytest
import torch
from conftest import messages_frame
from test_app import tiny_config, tiny_run  # noqa: F401 (fixture)

from spamcore.data.corpora import UNLABELED, load_transfer
from spamcore.data.corpora.everyday import everyday_messages
from spamcore.errors import ConfigError, DataError
from spamcore.model.config import BUNDLED_EVERYDAY, TrainConfig
from spamcore.training.loop import soft_targets, teacher_probabilities, where_teacher_agrees, with_transfer


def test_distillation_settings_are_checked():
    with pytest.raises(ConfigError, match="transfer_data needs distil_from"):
        TrainConfig(transfer_data=BUNDLED_EVERYDAY)
    with pytest.raises(ConfigError, match="distil_rows"):
        TrainConfig(distil_rows="some")
    assert TrainConfig().distil_rows == "own"  # a class retrain's kept predictions: the training split only


def test_transfer_data_comes_from_the_templates_or_a_file(tmp_path):
    bundled = load_transfer(BUNDLED_EVERYDAY)
    assert list(bundled["text"]) == everyday_messages(2000) and set(bundled["label"]) == {0, 1}
    assert 0.25 < bundled["label"].mean() < 0.4  # about a third written to read like spam
    (tmp_path / "t.txt").write_text("hello there\n\n  see you soon  \n", encoding="utf-8")
    written = load_transfer(str(tmp_path / "t.txt"))
    assert list(written["text"]) == ["hello there", "see you soon"] and list(written["label"]) == [UNLABELED] * 2
    with pytest.raises(DataError, match="not a file"):
        load_transfer(str(tmp_path / "missing.txt"))
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(DataError, match="holds no messages"):
        load_transfer(str(tmp_path / "empty.txt"))


def test_everyday_messages_are_repeatable_distinct_and_none_is_a_suite_message():
    from spamcore.evaluation.robustness import load_suite

    messages = everyday_messages(2000, seed=7)
    assert messages == everyday_messages(2000, seed=7) and len(set(messages)) == 2000

    def words(text: str) -> str:
        return re.sub(r"\W+", " ", text.lower()).strip()

    written = sorted({words(m) for m in messages})
    near = [t for t in load_suite()["text"] if difflib.get_close_matches(words(t), written, n=1, cutoff=0.8)]
    assert near == []  # the suites stay held out: the student is never shown a rewording of their messages


def test_the_teachers_probabilities_are_read_once_and_remembered(tiny_run, monkeypatch):  # noqa: F811
    run = str(tiny_run / "tiny-finetune")
    texts = ["free prize now", "see you at six", "free prize now"]
    first = teacher_probabilities(run, texts)
    assert first[0] == first[2] and 0 <= first.min() <= first.max() <= 1

    import spamcore.model.saved

    monkeypatch.setattr(spamcore.model.saved, "load_classifier", lambda *a, **k: pytest.fail("read again"))
    assert (teacher_probabilities(run, texts) == first).all()


def test_every_row_gets_the_teachers_targets_and_transfer_rows_its_verdict(tiny_run):  # noqa: F811
    run = str(tiny_run / "tiny-finetune")
    import pandas as pd

    config = TrainConfig(distil_from=run, distil_rows="all", transfer_data="x")
    train = messages_frame(1)
    transfer = pd.DataFrame({"text": ["WIN a free prize now", "lunch at noon?", "ok"], "label": [UNLABELED] * 2 + [1]})
    frame = with_transfer(train, transfer, config)
    assert len(frame) == len(train) + 3
    p = teacher_probabilities(run, ["WIN a free prize now", "lunch at noon?"])
    assert frame["label"].tolist()[-3:] == [int(x >= 0.5) for x in p] + [1]  # a written label stays
    targets = soft_targets(config, frame["text"], len(frame))
    assert not torch.isnan(targets).any()
    kept = where_teacher_agrees(targets, frame["label"].to_numpy())
    contradicted = (targets[:, 1] >= 0.5).numpy() != frame["label"].to_numpy().astype(bool)
    assert torch.isnan(kept[torch.from_numpy(contradicted)]).all()  # the label alone where the teacher is wrong
    assert not torch.isnan(kept[torch.from_numpy(~contradicted)]).any()


def test_a_student_distils_with_the_repair_view_end_to_end(tiny_run, tmp_path):  # noqa: F811
    from spamcore.model.saved import load_classifier
    from spamcore.runs.experiment import run_experiment
    from spamcore.text.repair import KNOWN_WORDS_FILE, KnownWords

    run = tiny_run / "tiny-finetune"
    (tmp_path / "everyday.txt").write_text("see you at the gym\nWIN cash now, reply YES\nok lor\n")
    config = tiny_config(run.parent / "tiny-finetune", distil_from=str(run), distil_rows="all",
                         transfer_data=str(tmp_path / "everyday.txt"), normalise="v4", augment="crop,swaps",
                         perturb_share=0.5, epochs=1)
    info = run_experiment(config, messages_frame(3), tmp_path / "student", data_name="hand-written")
    assert info.status == "finished" and (info.path / KNOWN_WORDS_FILE).is_file()
    assert "lor" in KnownWords.load(info.path)  # the transfer data's words are known too
    student = load_classifier(info.path)
    assert student.tokenizer.normalise("Yuor acount") == "Your account"
    assert student.predict(["free prize now"])[0].verdict in ("spam", "ham", "unsure")


def test_a_partial_settings_file_fills_the_rest_from_its_recipe(tmp_path):
    import json

    from spamcore.cli import _config_file
    from spamcore.model.config import recipe_defaults

    (tmp_path / "some.json").write_text(json.dumps({"recipe": "finetune", "lr": 5e-5}))
    config = _config_file(str(tmp_path / "some.json"))
    assert config == recipe_defaults("finetune").replace(lr=5e-5)  # augmentations, supplement and all
    (tmp_path / "run.json").write_text(json.dumps({"config": {"recipe": "finetune", "lr": 5e-5}}))
    assert _config_file(str(tmp_path / "run.json")).normalise == "none"  # a saved run: as it was trained
