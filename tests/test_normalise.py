"""spamcore.text.normalise: known answers for each trick, text in other scripts left alone, the scheme saved with a run
and applied when it is loaded (and older runs read text as written)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import messages_frame

from spamcore.model.config import TrainConfig, recipe_defaults
from spamcore.text.normalise import (
    NormalisingTokenizer,
    fold_confusables,
    join_spaced,
    normalise,
    normalising,
    remove_invisible,
    repair_short_words,
    repair_words,
)

VOCAB = {"your": 5, "free": 4, "today": 6, "held": 7, "fee": 8, "parcel": 9, "selected": 10, "cash": 11, "hide": 12,
         "congratulations": 13, "the": 1, "is": 2}


@pytest.mark.parametrize(("written", "read"), [
    ("Сlаim уоur рrizе", "Claim your prize"),  # Cyrillic С а у о р е
    ("WΙN Α ΡRΙΖΕ", "WIN A PRIZE"),  # Greek capitals
    ("ＦＲＥＥ entry", "FREE entry"),  # full-width (NFKC)
    ("𝐅𝐑𝐄𝐄 𝓬𝓪𝓼𝓱", "FREE cash"),  # mathematical bold and script (NFKC)
    ("ﬁnal notice", "final notice"),  # ligature (NFKC)
    ("fr\u200bee mo\u200dney\ufeff", "free money"),  # zero-width space, joiner, BOM
    ("\u202eclaim\u202c now", "claim now"),  # bidi override
    ("w o n", "won"),
    ("r e f u n d  n o w", "refund now"),
    ("F.R.E.E entry", "FREE entry"),
    ("c-a-s-h prize", "cash prize"),
    ("call 0 8 0 0 now", "call 0800 now"),
    ("f r e\u200b e   c a s h", "free cash"),
])
def test_tricks_are_undone(written, read):
    assert normalise(written) == read


@pytest.mark.parametrize("text", [
    "Привет, как дела?",  # Russian stays Russian
    "Καλημέρα σε όλους",  # Greek stays Greek
    "café naïve résumé",  # accents are letters, not tricks
    "I am a b",  # two single letters in a row are not a spaced word
    "see you at 7:45, U.K. e.g. a.m.",
    "Your code is 482913",
    "",
])
def test_ordinary_text_is_left_alone(text):
    assert normalise(text) == text


def test_normalising_twice_changes_nothing():
    for text in ("Сlаim уоur рrizе", "w o n a F.R.E.E prize", "ＦＲＥＥ\u200b cash", "r e f u n d"):
        once = normalise(text)
        assert normalise(once) == once


def test_each_step_on_its_own():
    assert remove_invisible("a\u200bb\u00adc") == "abc"
    assert fold_confusables("Рау now") == "Pay now"  # a word of look-alikes only, in a Latin message
    assert fold_confusables("Рау сейчас") == "Рау сейчас"  # a Russian message stays
    assert join_spaced("you w o n") == "you won"


def test_none_reads_text_as_written():
    assert normalise("Сlаim w o n", "none") == "Сlаim w o n"
    with pytest.raises(ValueError, match="unknown normalisation scheme"):
        normalise("x", "v9")


def test_the_tokenizer_wrapper_normalises_and_delegates(tiny_model_dir):
    from spamcore.model.loading import load_tokenizer

    inner = load_tokenizer(str(tiny_model_dir))
    wrapped = normalising(inner, "v1")
    assert isinstance(wrapped, NormalisingTokenizer) and normalising(wrapped, "none").inner is inner
    assert wrapped("f r e e")["input_ids"] == inner("free")["input_ids"]
    assert wrapped(["f r e e", "w i n"])["input_ids"] == inner(["free", "win"])["input_ids"]
    assert wrapped.pad_token_id == inner.pad_token_id


def test_the_scheme_is_part_of_the_config_and_old_runs_read_text_as_written():
    assert recipe_defaults("finetune").normalise == "v3"
    assert recipe_defaults("frozen").normalise == "none"  # the notebook's recipe stays as it was
    old = recipe_defaults("finetune").to_dict()
    del old["normalise"]
    assert TrainConfig.from_dict(old).normalise == "none"


def test_a_saved_run_applies_its_scheme_when_loaded(tiny_model_dir, tmp_path):
    from spamcore.model.saved import load_classifier
    from spamcore.runs.experiment import run_experiment
    from spamcore.runs.layout import RUN_FILE

    config = recipe_defaults("finetune", model=str(tiny_model_dir), device="cpu", precision="fp32", augment="",
                             extra_data="", lr=5e-3, batch_size=8, epochs=1, warmup_ratio=0.0)
    run = run_experiment(config, messages_frame(4), tmp_path / "run").path
    assert json.loads((run / RUN_FILE).read_text())["config"]["normalise"] == "v3"
    loaded = load_classifier(run, device="cpu")
    plain, tricked = loaded.predict_proba(["win free cash", "w i n ｆｒｅｅ с\u200bаsh"])
    assert tricked == pytest.approx(plain, abs=1e-6)

    meta = json.loads((run / RUN_FILE).read_text())  # the same weights saved before normalisation existed
    del meta["config"]["normalise"]
    (run / RUN_FILE).write_text(json.dumps(meta))
    legacy = load_classifier(run, device="cpu")
    assert legacy.tokenizer.scheme == "none"
    assert not np.isclose(*legacy.predict_proba(["win free cash", "w i n ｆｒｅｅ с\u200bаsh"]), atol=1e-6)


@pytest.mark.parametrize(("written", "read"), [
    ("Y0ur p4rcel is he1d", "Your parcel is held"),  # leetspeak: 1 may stand for i or l
    ("pay the f33 t0day", "pay the fee today"),
    ("c@$h", "cash"),
    ("FERE entry", "FREE entry"),  # neighbouring letters swapped; case kept
    ("you have been seected", "you have been selected"),  # a letter dropped
    ("Congratulaions", "Congratulations"),
])
def test_v2_repairs_leet_and_one_letter_misspellings_against_the_vocabulary(written, read):
    assert repair_words(written, VOCAB) == read


@pytest.mark.parametrize("text", ["Your code is 4412", "ref A1B2C3", "mp3 and 4u", "qwertyuiop", "the fee is held"])
def test_v2_leaves_codes_unknown_words_and_known_words_alone(text):
    assert repair_words(text, VOCAB) == text


def test_v2_without_a_vocabulary_is_v1_and_the_tokenizer_gives_it_one(tiny_model_dir):
    from spamcore.model.loading import load_tokenizer

    assert normalise("fr33 w o n", "v2") == normalise("fr33 w o n", "v1") == "fr33 won"
    wrapped = normalising(load_tokenizer(str(tiny_model_dir)), "v2")
    assert wrapped.vocab and "free" in wrapped.vocab
    assert wrapped.normalise("fr33") == "free"


def test_v2_leaves_a_huge_pasted_word_alone_without_filling_the_memory():
    """A 20,000-character "word" once made v2 build its repair candidates for gigabytes (the OOM killer ended the
    test run); words longer than a vocabulary word are not repaired."""
    for text in ("a1" * 10_000, "x" * 20_000, "fr33 " * 4_000):
        out = repair_words(text, VOCAB)
        assert len(out) == len(text)
    assert repair_words("fr33 " * 3, {**VOCAB, "free": 3}) == "free " * 3


@pytest.mark.parametrize(("written", "read"), [
    ("hve you got yur card", "have you got your card"),  # a dropped inner letter of a four-letter word
    ("Cll us now", "Call us now"),
    ("lol pls msg me", "lol pls msg me"),  # shorthand, and words only a last letter away ("lola", "plus")
    ("the fee is held", "the fee is held"),  # known words
    ("ok 4u", "ok 4u"),
])
def test_v3_puts_back_an_inner_letter_of_three_letter_words(written, read):
    vocab = {**VOCAB, "have": 14, "call": 15, "us": 16, "now": 17, "me": 18, "got": 19, "card": 20, "plus": 21,
             "lola": 22, "you": 23}
    assert repair_short_words(written, vocab) == read


def test_v3_is_v2_then_short_words_and_old_v2_runs_read_as_before(tiny_model_dir):
    from spamcore.model.loading import load_tokenizer

    inner = load_tokenizer(str(tiny_model_dir))
    v2, v3 = normalising(inner, "v2"), normalising(inner, "v3")
    assert v2.vocab == v3.vocab and v3.vocab
    text = "fr33 w o n, hve a look"
    assert v3.normalise(text) == repair_short_words(v2.normalise(text), v3.vocab)
    assert normalise("fr33 hve", "v3") == normalise("fr33 hve", "v1")  # no vocabulary: v1, as v2


def test_a_tokenizer_remembers_what_it_read_and_forgets_when_full(tiny_model_dir, monkeypatch):
    import spamcore.text.normalise as module
    from spamcore.model.loading import load_tokenizer

    wrapped = normalising(load_tokenizer(str(tiny_model_dir)), "v3")
    assert wrapped.normalise("w i n") == wrapped.normalise("w i n") == normalise("w i n", "v3", wrapped.vocab)
    monkeypatch.setattr(module, "READ_CACHE_SIZE", 3)
    for text in ("a", "b", "c", "d"):
        wrapped.normalise(text)
    assert len(wrapped._read) <= 3
