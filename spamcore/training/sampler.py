"""Perturbations drawn fresh at every read: what the optimiser sees of the training split, one pass at a time.

Before issue 31 every augmentation added a fixed, transformed copy of the training split, so a pass read over six
times the split and the default took ~9 minutes on a 2-core laptop without bf16. Here each time a message is read
it gets at most one perturbation, drawn anew (Ivgi & Berant, EMNLP 2021: re-sampled perturbations match fixed
augmented copies at a fraction of the cost): with probability ``share`` one augmentation is drawn for it, by
:data:`DRAW_WEIGHTS` among those that fit its label, otherwise it is read as written. A pass reads the split's
size; the labels never change; the draws of a pass are fixed by the seed and the pass's number, so a run is
repeatable. Only the training split is read through a sampler: validation and test stay as written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from spamcore.text.augment import HAM_ONLY, chatter_of, parse_augmentations, transforms

#: Relative weight of each augmentation when a read draws one: each about as often as the copies gave it before
#: issue 31, leetspeak half as often (normalisation spells most of it back, so those reads teach little). Weights that
#: favoured chat and swaps did not catch more wrapped or swapped spam (bench/robustness.py, docs/robustness.md).
DRAW_WEIGHTS: Mapping[str, float] = {
    "crop": 1.0, "digits": 1.0, "numbers": 1.0, "typos": 1.0, "leet": 0.5, "footers": 1.0, "chat": 1.0, "swaps": 1.0,
}


class PerturbationSampler:
    """The texts of each pass over ``frame`` (columns ``text`` and ``label``), perturbed afresh per read.

    Example: ``PerturbationSampler(train, ("crop", "chat"), share=0.5, seed=42).epoch(1)`` has ``train``'s rows and
    labels in order; about half of its texts are a crop or the message inside friendly chat.
    """

    def __init__(self, frame: pd.DataFrame, names: Sequence[str] | str, share: float, seed: int,
                 weights: Mapping[str, float] | None = None) -> None:
        weights = DRAW_WEIGHTS if weights is None else weights
        self.texts = [str(t) for t in frame["text"]]
        self.labels = frame["label"].to_numpy()
        self.names = parse_augmentations(names)
        self.share, self.seed = float(share), int(seed)
        self.chatter = chatter_of(frame)
        # Per label, the augmentations that may be drawn and their probabilities (ham-only ones never touch spam).
        self.choices: dict[int, tuple[list[str], np.ndarray]] = {}
        for label in (0, 1):
            fit = [n for n in self.names if label == 0 or n not in HAM_ONLY]
            w = np.array([float(weights.get(n, 1.0)) for n in fit])
            self.choices[label] = (fit, w / w.sum() if len(fit) and w.sum() > 0 else w)

    def epoch(self, epoch: int) -> pd.DataFrame:
        """Pass ``epoch`` (1-based): ``text``, ``label`` and ``augmentation`` (the name drawn, "" as written).

        A perturbation that changes nothing, or leaves nothing, reads the message as written.
        """
        rng = np.random.default_rng([self.seed, epoch])
        made = transforms(rng, self.chatter, footer_share=1.0)
        drawn = np.full(len(self.texts), "", dtype=object)
        perturb = rng.random(len(self.texts)) < self.share
        for label, (fit, p) in self.choices.items():
            rows = np.flatnonzero(perturb & (self.labels == label))
            if fit and len(rows):
                drawn[rows] = rng.choice(np.array(fit, dtype=object), size=len(rows), p=p)
        texts = list(self.texts)
        for i in np.flatnonzero(drawn != ""):
            out = made[drawn[i]](texts[i])
            if out.strip() and out != texts[i]:
                texts[i] = out
            else:
                drawn[i] = ""
        return pd.DataFrame({"text": texts, "label": self.labels, "augmentation": drawn})
