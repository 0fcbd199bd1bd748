"""spamcore.text.repair:
the repair view (scheme v4) maps only words no vocabulary knows, and leaves known ones alone."""

from __future__ import annotations

import numpy as np
import pytest

from spamcore.text.normalise import NormalisingTokenizer, normalise
from spamcore.text.repair import KNOWN_WORDS_FILE, KnownWords, Repair, word_hash


@pytest.fixture(scope="module")
def repair() -> Repair:
    return Repair(KnownWords.of(["ok lor see u at hmrc dpd", "Melle Melle jurong bugis"]))


@pytest.mark.parametrize(("written", "read"), [
    ("Yuor acount is suspnded", "Your account is suspended"),  # letters reordered; a dropped letter
    ("URGNET: verfy your pacakge", "URGENT: verify your package"),  # case kept
    ("it will be dleted unles you clikc", "it will be deleted unless you click"),
    ("hve you got yur card", "have you got your card"),  # three letters: an inner letter put back
    ("Cl1ck h3re to cl@im your fr33 pr1ze", "Click here to claim your free prize"),  # leetspeak
])
def test_unknown_words_are_mapped_to_known_ones(repair, written, read):
    assert repair.text(written) == read


@pytest.mark.parametrize("text", [
    "ok lor see u at 6pm",  # slang of the training data
    "Melle Melle from jurong to bugis",  # names of the training data
    "didn't you say you'd come",  # contractions: neither half is repaired
    "HMRC and DPD said so",  # brands of the training data
    "the parcel is at the depot",  # dictionary words
    "netflix and uber tonight",  # words of the model's own vocabulary
    "meet at 10k run, 2nd gate, 4G down",  # numbers with letters are not leetspeak
])
def test_known_words_are_left_alone(text):
    fixed = Repair(KnownWords.of(["ok lor see u", "Melle Melle jurong bugis", "HMRC DPD"]), vocab=["netflix", "uber"])
    assert fixed.text(text) == text


def test_a_word_no_step_can_place_stays_as_written(repair):
    assert repair.text("zqxjv grrrrr") == "zqxjv grrrrr"


def test_the_frequency_prior_picks_the_commoner_word(repair):
    # "teh": only inner insertions for three letters; "tech", "then", "the"... -> the most frequent one-letter-longer
    assert repair.word("teh") in {"the", "then", "tech"}
    assert repair.word("thier") == "their"  # an anagram beats any edit


def test_known_words_are_hashes_saved_beside_the_tokenizer(tmp_path):
    known = KnownWords.of(["Ok lor, see u", "jurong point"])
    assert "lor" in known and "jurong" in known and "paris" not in known
    path = known.save(tmp_path)
    assert path.name == KNOWN_WORDS_FILE
    stored = np.load(path, allow_pickle=False)
    assert stored.dtype == np.uint64 and word_hash("lor") in set(stored.tolist())
    assert b"jurong" not in path.read_bytes()  # the run carries no text of its training data
    assert "jurong" in KnownWords.load(tmp_path)
    assert KnownWords.load(tmp_path / "missing") is None


def test_damaged_known_words_are_refused(tmp_path):
    np.save(tmp_path / KNOWN_WORDS_FILE, np.array([1.5, 2.5]), allow_pickle=False)
    with pytest.raises(ValueError, match="not a list of word hashes"):
        KnownWords.load(tmp_path)


def test_scheme_v4_normalises_then_repairs(repair):
    assert normalise("Yuor ａｃｏｕｎｔ is susp\u200bnded", "v4", repair=repair) == "Your account is suspended"
    assert normalise("Yuor acount", "v4") == "Yuor acount"  # without a repair it is v1


def test_the_tokenizer_reads_with_the_runs_words_and_saves_them(tiny_model_dir, tmp_path):
    from transformers import AutoTokenizer

    inner = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    wrapped = NormalisingTokenizer(inner, "v4", KnownWords.of(["lor"]))
    assert wrapped.normalise("ok lor, yuor acount") == "ok lor, your account"
    wrapped.save_pretrained(tmp_path)
    assert (tmp_path / KNOWN_WORDS_FILE).is_file() and (tmp_path / "tokenizer_config.json").is_file()


def test_ham_is_rarely_rewritten_once_the_training_words_are_known(real_data):
    """The damage measure's first half, on text: the ham of the 2011 corpus read through the view made with its own
    words. Every word is known, so nothing changes (v3 rewrote 820 of 3,000 ham messages)."""
    from spamcore.data.messages import read_messages

    frame = read_messages(real_data)
    fixed = Repair(KnownWords.of(frame["text"]))
    ham = list(frame["text"][frame["label"] == 0])
    changed = sum(fixed.text(t) != t for t in ham)
    assert changed / len(ham) < 0.02  # leetspeak-like tokens ("2morrow") only
