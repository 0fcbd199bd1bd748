"""Results table: both recipes with their defaults on the real data, next to the reference notebook.

    python bench/results_table.py [--update-docs]

Trains each recipe once through ``spamcore.runs.experiment.run_experiment`` (exactly what ``spamcore train`` does)
into a temporary folder and prints test accuracy, spam precision/recall/F1 and wall time on this machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from spamcore.data.messages import BESIDE_CHECKOUT  # noqa: E402 (after the path insert)

DATA = os.environ.get("SPAMCORE_DATA", str(BESIDE_CHECKOUT))

# The reference notebook (bert-base-uncased, frozen, GPU): test accuracy and spam P/R/F1 as printed there.
REFERENCE = {"accuracy": 0.892, "precision": 0.57, "recall": 0.81, "f1": 0.67}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    from docs_tables import update_docs
    from train_speed import cpu_name

    from spamcore.data.messages import read_messages
    from spamcore.model.config import recipe_defaults
    from spamcore.runs.experiment import run_experiment

    data = read_messages(DATA)
    rows = [
        "| recipe | model | epochs | test accuracy | spam precision | spam recall | spam F1 | wall time |",
        "|---|---|---|---|---|---|---|---|",
        f"| reference notebook (frozen) | bert-base-uncased | 10 | {REFERENCE['accuracy']:.3f} | "
        f"{REFERENCE['precision']:.2f} | {REFERENCE['recall']:.2f} | {REFERENCE['f1']:.2f} | (GPU) |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SPAMCORE_CACHE"] = f"{tmp}/cache"  # cold: no frozen features cached by an earlier run
        for recipe in ("frozen", "finetune"):
            config = recipe_defaults(recipe)
            start = time.perf_counter()
            info = run_experiment(config, data, Path(tmp) / recipe, data_name=DATA)
            seconds = time.perf_counter() - start
            spam = info.metrics["classes"]["spam"]
            rows.append(
                f"| `{recipe}` (spamcore defaults) | bundled MiniLM-L6 | {config.epochs} | "
                f"{info.metrics['accuracy']:.3f} | {spam['precision']:.3f} | {spam['recall']:.3f} | "
                f"{spam['f1']:.3f} | {seconds:.0f} s |"
            )
            print(rows[-1], flush=True)
    text = (f"Measured {date.today().isoformat()} by `python bench/results_table.py` on {cpu_name()}, "
            f"{os.cpu_count()} cores (CPU only); test split of 837 messages; wall time includes model loading, "
            "encoding (no cached features) and the test evaluation.\n\n" + "\n".join(rows))
    print(text)
    if args.update_docs:
        update_docs(text, "results")


if __name__ == "__main__":
    main()
