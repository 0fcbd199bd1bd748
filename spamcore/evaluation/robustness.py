"""Outside the test set: how a classifier does on messages written today, and which shortcuts move it.

The robustness suite (``spamcore/suites/robustness.csv``) is hand-written for this project — none of its lines
come from a dataset — and is never trained on. It holds labelled messages in named categories, grouped into
the two questions a user asks:

- ``typed``: short spam a person types to test the app against short everyday ham;
- ``modern``: today's smishing (parcel fees, bank locks, tolls, tax refunds, ...) against transactional ham
  that looks spammy (one-time codes, appointment reminders, delivery notices, rides, school notices).

:func:`suite_report` scores any spam-probability function on it, per category, per group and overall;
:func:`shortcut_probes` shows how one message's probability moves when it is cut short, loses its numbers or
changes case — the shortcuts the 2011 collection teaches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from spamcore.augment import strip_digits
from spamcore.evaluation.metrics import binary_scores, predict_labels

SUITE_FILE = "robustness.csv"

#: Which categories answer which question; each group pairs spam categories with the ham they are confused with.
GROUPS: dict[str, tuple[str, ...]] = {
    "typed": ("spam_typed_short", "spam_prize_no_numbers", "spam_typed_offers", "ham_everyday",
              "ham_numbers_links_caps"),
    "modern": (
        "smishing_parcel", "smishing_bank", "smishing_toll", "smishing_tax", "smishing_subscription",
        "scam_hi_mum", "scam_job_offer", "scam_crypto", "scam_romance", "scam_gift_card",
        "scam_new_number", "scam_job_tasks", "scam_wrong_number",
        "ham_codes", "ham_appointments", "ham_deliveries", "ham_rides_travel", "ham_school", "ham_account_notices",
        "ham_bank_alerts", "ham_pharmacy_utility", "ham_service_notices",
    ),
}

SpamScorer = Callable[[Sequence[str]], np.ndarray]


@cache
def _suite_csv() -> str:
    return resources.files("spamcore.suites").joinpath(SUITE_FILE).read_text(encoding="utf-8")


def load_suite() -> pd.DataFrame:
    """The suite as a frame: ``category``, ``label`` (0 ham, 1 spam), ``text``, ``group``."""
    import io

    frame = pd.read_csv(io.StringIO(_suite_csv()))
    frame["label"] = (frame["label"] == "spam").astype(np.int64)
    group_of = {cat: group for group, cats in GROUPS.items() for cat in cats}
    frame["group"] = frame["category"].map(group_of)
    return frame


def suite_report(score: SpamScorer, threshold: float = 0.5, suite: pd.DataFrame | None = None) -> dict:
    """Score ``score`` (texts → spam probabilities) on the suite.

    Returns ``{"categories": [...], "groups": [...], "overall": {...}, "messages": [...]}``: per category the
    share caught (spam) or passed (ham); per group and overall spam precision, recall and F1 and ham precision.
    """
    suite = load_suite() if suite is None else suite
    probs = np.asarray(score(list(suite["text"])), dtype=np.float64)
    frame = suite.assign(spam_probability=probs, predicted=predict_labels(probs, threshold))
    frame["correct"] = frame["predicted"] == frame["label"]
    categories = [
        {"category": cat, "group": part["group"].iloc[0], "label": "spam" if part["label"].iloc[0] else "ham",
         "n": len(part), "correct": int(part["correct"].sum()), "share_correct": float(part["correct"].mean())}
        for cat, part in frame.groupby("category", sort=False)
    ]
    groups = [{"group": g, **_scores(frame[frame["group"] == g], threshold)} for g in GROUPS]
    return {
        "threshold": threshold,
        "categories": categories,
        "groups": groups,
        "overall": {"group": "overall", **_scores(frame, threshold)},
        "messages": frame[["category", "group", "label", "text", "spam_probability", "correct"]].to_dict("records"),
    }


def _scores(frame: pd.DataFrame, threshold: float) -> dict:
    scores = binary_scores(frame["label"], frame["spam_probability"], threshold)
    ham = frame[frame["predicted"] == 0]
    ham_precision = float((ham["label"] == 0).mean()) if len(ham) else 0.0
    return {"n": len(frame), "spam_precision": scores["spam_precision"], "spam_recall": scores["spam_recall"],
            "spam_f1": scores["spam_f1"], "ham_precision": ham_precision, "accuracy": scores["accuracy"]}


def misses(report: dict) -> pd.DataFrame:
    """The suite messages the classifier got wrong, most confidently wrong first."""
    frame = pd.DataFrame(report["messages"])
    wrong = frame[~frame["correct"]].copy()
    wrong["confidence_wrong"] = np.where(wrong["label"] == 1, 1 - wrong["spam_probability"],
                                         wrong["spam_probability"])
    return wrong.sort_values("confidence_wrong", ascending=False).drop(columns=["correct", "confidence_wrong"])


@dataclass(frozen=True)
class Probe:
    change: str  # what was done to the message
    text: str
    spam_probability: float


def probe_variants(text: str) -> list[tuple[str, str]]:
    """The message and its shortcut variants: ``(change, text)``, the original first.

    Example: ``probe_variants("WIN £900 now call 0906")`` holds ``("numbers removed", "WIN now call")``.
    """
    words = text.split()
    variants = [("as written", text), ("first 6 words", " ".join(words[:6])),
                ("numbers removed", strip_digits(text)), ("lower case", text.lower()),
                ("upper case", text.upper())]
    seen: set[str] = set()
    unique = []
    for change, variant in variants:
        if variant.strip() and variant not in seen:
            seen.add(variant)
            unique.append((change, variant))
    return unique


def shortcut_probes(score: SpamScorer, text: str) -> list[Probe]:
    """Spam probability of ``text`` and of each of its shortcut variants (see :func:`probe_variants`)."""
    variants = probe_variants(text)
    probs = score([v for _, v in variants])
    return [Probe(change, v, float(p)) for (change, v), p in zip(variants, probs, strict=True)]


def format_suite_table(reports: dict[str, dict]) -> str:
    """A Markdown table: one row per category and group, one column per scored model (share correct / F1)."""
    names = list(reports)
    first = next(iter(reports.values()))
    header = "| category | label | n | " + " | ".join(names) + " |"
    lines = [header, "|" + "---|" * (3 + len(names))]
    for i, cat in enumerate(first["categories"]):
        cells = [f"{r['categories'][i]['share_correct']:.2f}" for r in reports.values()]
        lines.append(f"| {cat['category']} | {cat['label']} | {cat['n']} | " + " | ".join(cells) + " |")
    for j, group in enumerate([*first["groups"], first["overall"]]):
        rows = [(r["groups"] + [r["overall"]])[j] for r in reports.values()]
        cells = [f"P {g['spam_precision']:.2f} · R {g['spam_recall']:.2f} · F1 {g['spam_f1']:.2f}" for g in rows]
        lines.append(f"| **{group['group']}** (spam P/R/F1) | | {group['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
