"""Outside the test set: how a classifier does on messages written today, and which shortcuts move it.

The robustness suite (``spamcore/evaluation/suites/robustness.csv``) is hand-written for this project — none of its
lines
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

from spamcore.evaluation.calibration import UnsureBand, band_around
from spamcore.text.augment import strip_digits

SUITE_FILE = "robustness.csv"
#: The intent suite (issue 38, hand-written, never trained on, not written by the contrast-pair generator): messages
#: *about* scams (reported, quoted, warned about, asked about), real new numbers and money between family, against
#: scams that ask for money from a "new number" and scams with no link at all.
INTENT_FILE = "intent.csv"

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
    "intent": ("ham_about_scams", "ham_family_new_number", "scam_money_new_number", "scam_no_link"),
}

SpamScorer = Callable[[Sequence[str]], np.ndarray]


@cache
def _suite_csv(name: str) -> str:
    return resources.files("spamcore.evaluation.suites").joinpath(name).read_text(encoding="utf-8")


def load_suite(name: str = SUITE_FILE) -> pd.DataFrame:
    """A suite as a frame: ``category``, ``label`` (0 ham, 1 spam), ``text``, ``group`` (default: the robustness
    suite; :data:`INTENT_FILE` is the intent suite)."""
    import io

    frame = pd.read_csv(io.StringIO(_suite_csv(name)))
    frame["label"] = (frame["label"] == "spam").astype(np.int64)
    group_of = {cat: group for group, cats in GROUPS.items() for cat in cats}
    frame["group"] = frame["category"].map(group_of)
    return frame


def load_intent_suite() -> pd.DataFrame:
    """The intent suite (:data:`INTENT_FILE`) as :func:`load_suite` reads it."""
    return load_suite(INTENT_FILE)


def verdicts(spam_prob: Sequence[float], threshold: float = 0.5, band: UnsureBand | None = None) -> np.ndarray:
    """What a user is told for each probability: "spam", "ham", or "unsure" inside ``band`` (no band: a verdict
    at ``threshold`` for every message).

    Example: ``verdicts([0.1, 0.45, 0.9], band=UnsureBand(0.3, 0.7)).tolist() == ["ham", "unsure", "spam"]``
    """
    p = np.asarray(spam_prob, dtype=np.float64)
    band = band_around(threshold, 0.0) if band is None else band
    out = np.where(p >= threshold, "spam", "ham").astype(object)
    out[band.contains(p)] = "unsure"
    return out


def suite_report(score: SpamScorer, threshold: float = 0.5, suite: pd.DataFrame | None = None,
                 band: UnsureBand | None = None) -> dict:
    """Score ``score`` (texts → spam probabilities) on the suite, by the verdict a user sees.

    Returns ``{"categories": [...], "groups": [...], "overall": {...}, "messages": [...]}``: per category the
    share caught (spam) or passed (ham) and the share "not sure"; per group and overall spam precision, recall and
    F1, ham precision and the share "not sure". With ``band``, a message inside it counts as neither caught nor
    passed: "not sure" is right for neither label.
    """
    suite = load_suite() if suite is None else suite
    probs = np.asarray(score(list(suite["text"])), dtype=np.float64)
    frame = suite.assign(spam_probability=probs, verdict=verdicts(probs, threshold, band))
    frame["correct"] = frame["verdict"] == np.where(frame["label"] == 1, "spam", "ham")
    frame["unsure"] = frame["verdict"] == "unsure"
    categories = [
        {"category": cat, "group": part["group"].iloc[0], "label": "spam" if part["label"].iloc[0] else "ham",
         "n": len(part), "correct": int(part["correct"].sum()), "share_correct": float(part["correct"].mean()),
         "share_unsure": float(part["unsure"].mean())}
        for cat, part in frame.groupby("category", sort=False)
    ]
    groups = [{"group": g, **_scores(frame[frame["group"] == g])} for g in GROUPS if (frame["group"] == g).any()]
    return {
        "threshold": threshold,
        "band": None if band is None else band.to_dict(),
        "categories": categories,
        "groups": groups,
        "overall": {"group": "overall", **_scores(frame)},
        "messages": frame[["category", "group", "label", "text", "spam_probability", "verdict",
                           "correct"]].to_dict("records"),
    }


def _scores(frame: pd.DataFrame) -> dict:
    spam_said, is_spam = frame["verdict"] == "spam", frame["label"] == 1
    tp = int((spam_said & is_spam).sum())
    precision = tp / int(spam_said.sum()) if spam_said.any() else 0.0
    recall = tp / int(is_spam.sum()) if is_spam.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    ham = frame[frame["verdict"] == "ham"]
    ham_precision = float((ham["label"] == 0).mean()) if len(ham) else 0.0
    return {"n": len(frame), "spam_precision": precision, "spam_recall": recall, "spam_f1": f1,
            "ham_precision": ham_precision, "accuracy": float(frame["correct"].mean()) if len(frame) else 0.0,
            "unsure_share": float(frame["unsure"].mean()) if len(frame) else 0.0}


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

