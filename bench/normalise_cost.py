"""What normalisation costs a verdict: each scheme over the whole collection, against tokenizing it, in one run.

    python bench/normalise_cost.py

Every scheme reads the 5,574 messages of the SMS collection with the default model's vocabulary (best of three,
each read cold); the reference is the tokenizer itself on the same messages in the same run.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from spamcore.data.messages import BESIDE_CHECKOUT, read_messages
    from spamcore.model.config import recipe_defaults
    from spamcore.model.loading import load_tokenizer
    from spamcore.text.normalise import SCHEMES, NormalisingTokenizer, normalise

    texts = list(read_messages(os.environ.get("SPAMCORE_DATA", str(BESIDE_CHECKOUT)))["text"])
    tokenizer = load_tokenizer(recipe_defaults("finetune").model)

    def best_of_three(work) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
        return min(times)

    tokenizing = best_of_three(lambda: tokenizer(texts, truncation=True, max_length=64))
    print(f"| scheme | {len(texts):,} messages | per message | vs tokenizing them ({tokenizing:.3f} s) |")
    print("|---|---|---|---|")
    for scheme in SCHEMES:
        vocab = NormalisingTokenizer(tokenizer, scheme).vocab  # the words the model's repairs aim at

        def read_all(scheme=scheme, vocab=vocab) -> None:
            for text in texts:  # a cold read, as of messages never seen (the tokenizer remembers the ones it read)
                normalise(text, scheme, vocab)

        seconds = best_of_three(read_all)
        print(f"| {scheme} | {seconds:.3f} s | {seconds / len(texts) * 1e6:.0f} µs | {seconds / tokenizing:.2f}× |")


if __name__ == "__main__":
    main()
