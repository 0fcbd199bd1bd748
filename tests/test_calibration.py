"""spamcore.evaluation.calibration: temperature scaling, reliability and ECE, and the unsure band — known answers."""

from __future__ import annotations

import numpy as np
import pytest

from spamcore.evaluation.calibration import (
    MAX_HALF_WIDTH,
    NO_BAND,
    UnsureBand,
    band_around,
    band_summary,
    calibrate,
    choose_unsure_band,
    fit_temperature,
    logits,
    reliability,
    scale,
)


def test_scale_divides_the_logit():
    p = np.array([0.1, 0.5, 0.9, 0.999])
    np.testing.assert_allclose(scale(p, 1.0), p, atol=1e-9)
    np.testing.assert_allclose(logits(scale(p, 2.0)), logits(p) / 2, atol=1e-6)
    assert scale([0.5], 7.0)[0] == pytest.approx(0.5)  # verdicts at 0.5 never change


def test_an_over_confident_model_gets_its_temperature_back():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, 20_000)  # true logits
    y = (rng.random(z.size) < 1 / (1 + np.exp(-z))).astype(int)
    over_confident = 1 / (1 + np.exp(-3 * z))  # three times too sure
    assert fit_temperature(y, over_confident) == pytest.approx(3.0, rel=0.05)
    assert fit_temperature(y, 1 / (1 + np.exp(-z))) == pytest.approx(1.0, rel=0.05)


def test_one_class_fits_nothing():
    assert fit_temperature([1, 1, 1], [0.9, 0.8, 0.99]) == 1.0


def test_reliability_known_answer():
    # Four messages all called spam at 0.9, three of them spam: accuracy 0.75 at confidence 0.9.
    r = reliability([1, 1, 1, 0], [0.9, 0.9, 0.9, 0.9])
    filled = r.counts > 0
    assert r.counts.sum() == 4 and filled.sum() == 1
    assert r.confidence[filled][0] == pytest.approx(0.9) and r.accuracy[filled][0] == pytest.approx(0.75)
    assert r.ece == pytest.approx(0.15)
    # Ham calls count by the probability of ham: 0.2 spam = 0.8 confident ham.
    assert reliability([0, 0], [0.2, 0.2]).ece == pytest.approx(0.2)


def test_scaling_lowers_the_ece_of_an_over_confident_model():
    rng = np.random.default_rng(1)
    z = rng.normal(0, 2, 5000)
    y = (rng.random(z.size) < 1 / (1 + np.exp(-z))).astype(int)
    p = 1 / (1 + np.exp(-4 * z))
    fitted = calibrate(y, p)
    assert fitted["validation_ece_after"] < fitted["validation_ece_before"] / 3


def test_the_band_is_the_narrowest_that_reaches_the_target():
    # Confident right answers far from 0.5; the only wrong ones at 0.45 and 0.55.
    p = np.array([0.01] * 50 + [0.99] * 50 + [0.45, 0.55])
    y = np.array([0] * 50 + [1] * 50 + [1, 0])
    band = choose_unsure_band(y, p, target=1.0, max_share=0.1)
    assert band == band_around(0.5, 0.075)  # 0.05 would leave 0.45 and 0.55 just outside [0.45, 0.55)
    summary = band_summary(y, p, band, 0.5)
    assert summary["unsure"] == 2 and summary["wrong_inside"] == 2 and summary["wrong_outside"] == 0


def test_the_band_never_holds_more_than_its_share():
    rng = np.random.default_rng(2)
    p = rng.random(1000)
    y = rng.integers(0, 2, 1000)  # a coin: no band reaches the target
    band = choose_unsure_band(y, p, max_share=0.05)
    assert band.contains(p).mean() <= 0.05


def test_confident_mistakes_do_not_widen_the_band_past_its_limit():
    """Eight validation mistakes at 0.04 and 0.96 cannot be reached without calling right verdicts "not sure": the
    band stops at 0.35-0.65 instead of growing to hold 5 % of the messages."""
    p = np.concatenate([np.full(480, 0.01), np.full(480, 0.99), np.linspace(0.05, 0.95, 40), [0.04, 0.96] * 4])
    y = np.concatenate([np.zeros(480), np.ones(480), (np.linspace(0.05, 0.95, 40) >= 0.5), [1, 0] * 4]).astype(int)
    band = choose_unsure_band(y, p)
    assert band == band_around(0.5, MAX_HALF_WIDTH) == UnsureBand(0.35, 0.65)


def test_no_band_contains_nothing():
    assert not NO_BAND.contains([0.0, 0.5, 1.0]).any()
    assert band_around(0.9, 0.2).high == 1.0
