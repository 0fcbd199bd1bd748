"""The real thing: the SMS Spam Collection and the bundled MiniLM BERT, one run per recipe (about a minute each
on a 2-core CPU). Marked slow; CI runs them (``-m slow`` selects only these)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from spamcore.data.messages import read_messages
from spamcore.model.config import BUNDLED_MODEL, recipe_defaults
from spamcore.model.saved import load_classifier
from spamcore.runs.experiment import run_experiment

pytestmark = pytest.mark.slow

TEST_SIZE = 837  # 15 % of the 5,574 messages, as in the reference notebook


def _run(recipe_config, real_data, tmp_path_factory):
    data = read_messages(real_data)
    start = time.perf_counter()
    info = run_experiment(recipe_config, data, tmp_path_factory.mktemp("real") / recipe_config.recipe,
                          data_name=str(real_data))
    seconds = time.perf_counter() - start
    spam = info.metrics["classes"]["spam"]
    print(f"\n{recipe_config.recipe}: test accuracy {info.metrics['accuracy']:.4f}, spam F1 {spam['f1']:.4f}, "
          f"{seconds:.0f} s ({info.meta['seconds']:.0f} s training) on {info.meta['device']}")
    return info


@pytest.fixture(scope="module")
def finetune_run(real_data, tmp_path_factory):
    return _run(recipe_defaults("finetune"), real_data, tmp_path_factory)


@pytest.fixture(scope="module")
def frozen_run(real_data, tmp_path_factory):
    return _run(recipe_defaults("frozen"), real_data, tmp_path_factory)


def _check_report(info) -> None:
    metrics = info.metrics
    assert info.status == "finished"
    assert info.config.model == BUNDLED_MODEL
    assert metrics["split_sizes"] == {"train": 3901, "validation": 836, "test": TEST_SIZE}
    assert metrics["n"] == TEST_SIZE
    assert sum(map(sum, metrics["confusion_matrix"])) == TEST_SIZE
    assert [sum(row) for row in metrics["confusion_matrix"]] == [725, 112]  # ham, spam in the test split
    (tn, _), (_, tp) = metrics["confusion_matrix"]
    assert metrics["accuracy"] == pytest.approx((tn + tp) / TEST_SIZE)
    for name in ("ham", "spam"):
        assert set(metrics["classes"][name]) == {"precision", "recall", "f1", "support"}


def test_finetune_default_holds_on_the_test_split_and_on_todays_messages(finetune_run):
    _check_report(finetune_run)
    assert finetune_run.meta["epochs_run"] == recipe_defaults("finetune").epochs
    assert finetune_run.metrics["classes"]["spam"]["f1"] >= 0.94
    assert finetune_run.metrics["accuracy"] >= 0.98
    # The robust default's point: hand-written messages of today, never trained on (the old default scored 0.28).
    groups = {g["group"]: g for g in finetune_run.metrics["robustness"]["groups"]}
    # 0.86 since the typed group holds issue 27's harder typed spam (spam_typed_offers, 0.50 caught by this default);
    # the recipe before the robust default caught 0.13. Issue 27's targets are the bench's, over three seeds.
    assert groups["typed"]["spam_recall"] >= 0.80
    assert finetune_run.metrics["robustness"]["overall"]["spam_f1"] >= 0.8


def test_frozen_reference_recipe_completes_and_reports(frozen_run):
    _check_report(frozen_run)
    assert frozen_run.meta["epochs_run"] == 10
    assert len(frozen_run.history()["epochs"]) == 10
    assert 0.0 <= frozen_run.metrics["classes"]["spam"]["f1"] <= 1.0


@pytest.mark.parametrize("recipe", ["finetune", "frozen"])
def test_saved_real_run_reloads_with_identical_predictions(recipe, request):
    info = request.getfixturevalue(f"{recipe}_run")
    saved = pd.read_csv(info.path / "test_predictions.csv")
    probs = load_classifier(info.path).predict_proba(list(saved["text"]))
    np.testing.assert_allclose(probs, saved["spam_probability"], rtol=0, atol=1e-6)
