"""Honest probabilities: temperature scaling, the reliability diagram, expected calibration error, and the
"unsure" band.

A fine-tuned network is over-confident: it says 0.999 where it is right 95 % of the time. Temperature scaling
(Guo et al., "On Calibration of Modern Neural Networks", ICML 2017) divides the spam logit by one number T,
fitted on the validation split by minimising its negative log-likelihood. It changes no verdict at threshold 0.5
(the logit's sign is kept) and no ranking; it makes "0.9" mean "right about 9 times in 10".

The expected calibration error (ECE) bins the messages by confidence (the probability of the predicted class)
and averages |accuracy - confidence| over the bins, weighted by their size.

The unsure band is a range of spam probability around the threshold in which the classifier says "not sure"
instead of a verdict. Its width is chosen on the validation split: the narrowest band outside which validation
verdicts are at least :data:`TARGET_ACCURACY` right, holding at most :data:`MAX_UNSURE_SHARE` of the messages and
reaching at most :data:`MAX_HALF_WIDTH` either side of the threshold (on calibrated probabilities: "not sure" only
where the verdict has at least a 35 % chance of being wrong). All functions here are pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Probabilities are clipped this far from 0 and 1 before taking logits (saved probabilities are rounded).
EPSILON = 1e-7
TARGET_ACCURACY = 0.995
MAX_UNSURE_SHARE = 0.05
#: The widest band: 0.35-0.65 around 0.5. Wider bands chosen by the two rules above alone (up to 0.05-0.95 once the
#: model trained on chat and dense swaps: a few confident validation mistakes pushed them out) put 7-11 % of typed
#: messages in "not sure", and the messages they added were mostly right; inside +-0.15 the hand-written suite's
#: verdicts would have been wrong 40-83 % of the time (bench/robustness.py, issue 27, three seeds).
MAX_HALF_WIDTH = 0.15
#: Half-widths of the band tried, in spam probability around the threshold.
BAND_STEPS = tuple(round(w, 3) for w in np.arange(0.0, MAX_HALF_WIDTH + 0.001, 0.025))


def logits(spam_prob: Sequence[float]) -> np.ndarray:
    """The spam logit log(p / (1 - p)) of each probability (clipped away from 0 and 1)."""
    p = np.clip(np.asarray(spam_prob, dtype=np.float64), EPSILON, 1 - EPSILON)
    return np.log(p) - np.log1p(-p)


def scale(spam_prob: Sequence[float], temperature: float) -> np.ndarray:
    """Probabilities with their logits divided by ``temperature`` (1 gives them back)."""
    return 1.0 / (1.0 + np.exp(-logits(spam_prob) / temperature))


def _nll(z: np.ndarray, y: np.ndarray, temperature: float) -> float:
    scaled = z / temperature
    # log(1 + exp(-s)) for spam and log(1 + exp(s)) for ham, written to stay finite for large |s|.
    return float(np.mean(np.logaddexp(0.0, np.where(y == 1, -scaled, scaled))))


def fit_temperature(y_true: Sequence[int], spam_prob: Sequence[float], low: float = 0.05, high: float = 20.0) -> float:
    """The temperature minimising the negative log-likelihood of ``y_true``: golden-section search on log T.

    Example: labels drawn from probabilities ``p`` and then given as ``scale(p, 1 / 3)`` (three times as
    confident) fit a temperature close to 3.
    """
    y, z = np.asarray(y_true), logits(spam_prob)
    if len(y) == 0 or len(np.unique(y)) < 2:
        return 1.0  # nothing to fit: one class only
    a, b = np.log(low), np.log(high)
    ratio = (np.sqrt(5) - 1) / 2
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    for _ in range(80):
        if _nll(z, y, np.exp(c)) < _nll(z, y, np.exp(d)):
            b, d = d, c
            c = b - ratio * (b - a)
        else:
            a, c = c, d
            d = a + ratio * (b - a)
    return float(np.exp((a + b) / 2))


@dataclass(frozen=True)
class Reliability:
    """Per confidence bin: lower and upper edge, messages, mean confidence and accuracy (NaN when empty)."""

    edges: np.ndarray  # (bins + 1,)
    counts: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    ece: float


def reliability(y_true: Sequence[int], spam_prob: Sequence[float], threshold: float = 0.5,
                bins: int = 10) -> Reliability:
    """Confidence (probability of the predicted class) against accuracy, in equal-width bins over [0.5, 1].

    Example: four messages all predicted spam at 0.9, three of them spam: one bin with confidence 0.9, accuracy
    0.75, and ECE 0.15.
    """
    y, p = np.asarray(y_true), np.asarray(spam_prob, dtype=np.float64)
    predicted = (p >= threshold).astype(int)
    confidence = np.where(predicted == 1, p, 1 - p)
    correct = (predicted == y).astype(float)
    edges = np.linspace(0.5, 1.0, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    with np.errstate(invalid="ignore"):
        mean_conf = np.bincount(index, confidence, bins) / counts
        accuracy = np.bincount(index, correct, bins) / counts
    filled = counts > 0
    ece = float(np.sum(counts[filled] * np.abs(accuracy[filled] - mean_conf[filled])) / max(len(y), 1))
    return Reliability(edges, counts, mean_conf, accuracy, ece)


@dataclass(frozen=True)
class UnsureBand:
    """Spam probabilities in ``[low, high)`` get "not sure" instead of a verdict (``low == high``: no band)."""

    low: float
    high: float

    def contains(self, spam_prob: Sequence[float] | float) -> np.ndarray:
        p = np.asarray(spam_prob, dtype=np.float64)
        return (p >= self.low) & (p < self.high)

    @property
    def width(self) -> float:
        return self.high - self.low

    def to_dict(self) -> dict:
        return {"low": self.low, "high": self.high}


NO_BAND = UnsureBand(0.5, 0.5)


def band_around(threshold: float, half_width: float) -> UnsureBand:
    return UnsureBand(round(max(0.0, threshold - half_width), 4), round(min(1.0, threshold + half_width), 4))


def choose_unsure_band(y_true: Sequence[int], spam_prob: Sequence[float], threshold: float = 0.5,
                       target: float = TARGET_ACCURACY, max_share: float = MAX_UNSURE_SHARE) -> UnsureBand:
    """The narrowest band around ``threshold`` outside which the verdicts are ``target`` right, holding at most
    ``max_share`` of the messages and :data:`MAX_HALF_WIDTH` wide either side (the widest such band when the target
    cannot be reached)."""
    y, p = np.asarray(y_true), np.asarray(spam_prob, dtype=np.float64)
    if len(y) == 0:
        return band_around(threshold, 0.0)
    correct = (p >= threshold).astype(int) == y
    best = band_around(threshold, 0.0)
    for half in BAND_STEPS:
        band = band_around(threshold, half)
        inside = band.contains(p)
        if inside.mean() > max_share:
            break
        best = band
        if correct[~inside].mean() >= target if (~inside).any() else True:
            return band
    return best


def band_summary(y_true: Sequence[int], spam_prob: Sequence[float], band: UnsureBand, threshold: float) -> dict:
    """How many messages fall in the band and how often the verdict would have been wrong inside and outside it."""
    y, p = np.asarray(y_true), np.asarray(spam_prob, dtype=np.float64)
    inside = band.contains(p)
    wrong = (p >= threshold).astype(int) != y
    return {"messages": len(y), "unsure": int(inside.sum()),
            "unsure_share": float(inside.mean()) if len(y) else 0.0,
            "wrong_inside": int(wrong[inside].sum()), "wrong_outside": int(wrong[~inside].sum()),
            "error_rate_inside": float(wrong[inside].mean()) if inside.any() else 0.0,
            "error_rate_outside": float(wrong[~inside].mean()) if (~inside).any() else 0.0}


def calibrate(y_val: Sequence[int], p_val: Sequence[float], threshold: float = 0.5,
              half_width: float | None = None) -> dict:
    """Fit the temperature on validation probabilities and choose the unsure band on the calibrated ones (or take
    ``half_width`` as given). What a run saves as ``run.json``'s ``"calibration"``."""
    temperature = fit_temperature(y_val, p_val)
    calibrated = scale(p_val, temperature)
    if half_width is None:
        band = choose_unsure_band(y_val, calibrated, threshold)
        half_width = round(max(threshold - band.low, band.high - threshold), 4)
    return {
        "temperature": round(temperature, 4),
        "unsure_half_width": float(half_width),
        "chosen_on": "validation",
        "validation_ece_before": reliability(y_val, p_val, threshold).ece,
        "validation_ece_after": reliability(y_val, calibrated, threshold).ece,
        "validation_unsure": band_summary(y_val, calibrated, band_around(threshold, half_width), threshold),
    }


def test_summary(y_test: Sequence[int], p_test: Sequence[float], temperature: float, half_width: float,
                 threshold: float = 0.5) -> dict:
    """Calibration and the unsure band on the test split, from its calibrated probabilities: ECE before (the
    temperature undone) and after, and how many messages fall in the band and how often they are wrong."""
    raw = scale(p_test, 1.0 / temperature)
    return {"ece_before": reliability(y_test, raw, threshold).ece,
            "ece_after": reliability(y_test, p_test, threshold).ece,
            "unsure": band_summary(y_test, p_test, band_around(threshold, half_width), threshold)}
