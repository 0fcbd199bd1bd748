"""spamcore.text.augment: known answers on small inputs, seeded determinism, and what reaches the training split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spamcore.data.corpora import load_extra
from spamcore.errors import ConfigError, DataError
from spamcore.model.config import BUNDLED_MODERN, recipe_defaults
from spamcore.text.augment import (
    AUGMENTATIONS,
    add_footer,
    augment_frame,
    chat_wrap,
    chatter_of,
    dense_swaps,
    insert_number,
    parse_augmentations,
    span_crop,
    strip_digits,
)
from spamcore.training.loop import drop_copies_read_alike, training_frame


@pytest.mark.parametrize(("text", "expected"), [
    ("Call 09061701461 to claim £900 now", "Call to claim now"),
    ("WIN $5,000.00 today!", "WIN today!"),
    ("txt WIN to 87121 (18+ only)", "txt WIN to (+ only)"),
    ("no digits here", "no digits here"),
    ("12345", ""),
    ("", ""),
])
def test_strip_digits_known_answers(text, expected):
    assert strip_digits(text) == expected


def test_span_crop_keeps_a_run_of_3_to_12_consecutive_words():
    words = [f"w{i}" for i in range(40)]
    rng = np.random.default_rng(0)
    for _ in range(200):
        crop = span_crop(" ".join(words), rng).split()
        assert 3 <= len(crop) <= 12
        start = words.index(crop[0])
        assert crop == words[start : start + len(crop)]


@pytest.mark.parametrize("text", ["", "one", "two words", "exactly three words"])
def test_span_crop_leaves_short_texts_alone(text):
    assert span_crop(text, np.random.default_rng(0)) == text


def test_insert_number_adds_one_phrase_with_digits_and_keeps_the_words_in_order():
    rng = np.random.default_rng(3)
    for _ in range(50):
        out = insert_number("see you at the station", rng)
        assert any(c.isdigit() for c in out)
        kept = [w for w in out.split() if w in {"see", "you", "the", "station"}]
        assert kept == ["see", "you", "the", "station"]


def test_parse_augmentations_normalises_and_refuses_unknown_names():
    assert parse_augmentations("digits, crop") == ("crop", "digits")
    assert parse_augmentations("none") == parse_augmentations("") == ()
    assert parse_augmentations(["NUMBERS", "crop", "crop"]) == ("crop", "numbers")
    with pytest.raises(ConfigError, match=r"unknown augmentation.*'shout'"):
        parse_augmentations("crop,shout")


def test_config_stores_augmentations_in_one_spelling():
    assert recipe_defaults("frozen", augment="digits,crop").augment == "crop,digits"
    assert recipe_defaults("frozen", augment="none").augment == ""
    with pytest.raises(ConfigError):
        recipe_defaults("frozen", augment="everything")


def test_augment_frame_known_answer():
    frame = pd.DataFrame({"text": ["Call 0800 now to win", "see you soon", "ok"], "label": [1, 0, 0]})
    out = augment_frame(frame, ["digits"], seed=0)
    # Only the message with digits changes; unchanged copies are left out.
    assert out["text"].tolist() == ["Call 0800 now to win", "see you soon", "ok", "Call now to win"]
    assert out["label"].tolist() == [1, 0, 0, 1]
    assert out["augmented"].tolist() == [False, False, False, True]
    assert out["augmentation"].tolist() == ["", "", "", "digits"]  # which augmentation made each copy


def test_numbers_augmentation_touches_ham_only_and_is_seeded():
    frame = pd.DataFrame({"text": ["win a prize now", "see you soon", "on my way home"], "label": [1, 0, 0]})
    one, two = augment_frame(frame, ["numbers"], seed=7), augment_frame(frame, ["numbers"], seed=7)
    pd.testing.assert_frame_equal(one, two)
    added = one.iloc[3:]
    assert len(added) == 2 and (added["label"] == 0).all()
    assert augment_frame(frame, ["numbers"], seed=8)["text"].tolist() != one["text"].tolist()


def test_augment_frame_with_every_augmentation_keeps_originals_first():
    frame = pd.DataFrame({"text": ["a b c d e f g h i j k l m n o p 123", "hello there friend"], "label": [1, 0]})
    out = augment_frame(frame, AUGMENTATIONS, seed=0)
    assert out.iloc[:2]["text"].tolist() == frame["text"].tolist()
    # crop of the long one, its digit-free copy, numbers in the ham, both in chat; typos, leet, a footer and dense
    # swaps where they changed one
    assert 2 + 5 <= len(out) <= 2 + 5 + 7
    assert set(out["label"]) == {0, 1}
    made_by = set(out["augmentation"][2:])
    assert {"crop", "digits", "numbers"} <= made_by <= set(AUGMENTATIONS)
    assert (out["augmented"] == (out["augmentation"] != "")).all()


def test_typos_misspell_some_long_words_once_and_keep_the_rest():
    from spamcore.text.augment import typos

    rng = np.random.default_rng(0)
    text = "congratulations you have been selected for a free cruise"
    changed = [typos(text, rng, share=1.0) for _ in range(20)]
    for out in changed:
        words, original = out.split(), text.split()
        assert len(words) == len(original)
        for new, old in zip(words, original, strict=True):
            assert new == old if len(old) < 4 else (abs(len(new) - len(old)) <= 1 and new[0] == old[0])
    assert all(out != text for out in changed)
    assert typos(text, rng, share=0.0) == text


def test_leetspeak_swaps_letters_for_lookalike_digits_in_one_or_two_words():
    from spamcore.text.augment import leetspeak

    rng = np.random.default_rng(1)
    outs = [leetspeak("claim your free prize", rng) for _ in range(20)]
    assert any(any(c in out for c in "0134579@$!|") for out in outs)
    for out in outs:
        changed = sum(a != b for a, b in zip(out.split(), ["claim", "your", "free", "prize"], strict=True))
        assert changed <= 2
    assert leetspeak("ok", rng) == "ok"  # no word of four letters: nothing to change


def test_training_frame_adds_extra_data_then_augments(tmp_path):
    train = pd.DataFrame({"text": ["see you soon", "WIN 100 now"], "label": [0, 1]})
    extra = tmp_path / "extra.csv"
    extra.write_text("label,text\nspam,Your parcel fee is unpaid\nham,Your code is 1234\n")
    plain = recipe_defaults("finetune", augment="", extra_data="").replace(perturb_share=None)  # copies
    assert training_frame(train, plain).equals(train)
    with_extra = training_frame(train, plain.replace(extra_data=str(extra)))
    assert with_extra["text"].tolist()[-2:] == ["Your parcel fee is unpaid", "Your code is 1234"]
    both = training_frame(train, plain.replace(extra_data=str(extra), augment="digits"))
    assert "WIN now" in both["text"].tolist() and "Your code is" in both["text"].tolist()


def test_a_copy_the_model_reads_like_a_message_already_there_is_left_out():
    frame = pd.DataFrame({"text": ["win now", "WIN NOW", "win later", "WIN NOW", "Fr33 cash", "free cash"],
                          "label": [1, 1, 1, 1, 1, 1], "augmented": [False, False, False, True, True, True]})
    out = drop_copies_read_alike(frame, str.lower)
    # originals stay even when they repeat; the copy "WIN NOW" reads as "win now" and goes; "free cash" is new
    assert out["text"].tolist() == ["win now", "WIN NOW", "win later", "Fr33 cash", "free cash"]
    assert out.index.tolist() == list(range(5))


def test_the_default_training_frame_holds_few_leet_copies_that_v2_reads_as_their_source(real_data):
    from spamcore.data.messages import read_messages, split_dataset
    from spamcore.model.loading import load_tokenizer
    from spamcore.text.normalise import normalising

    config = recipe_defaults("finetune", perturb_share=None).replace(perturb_share=None)  # copies, as before issue 31
    train = split_dataset(read_messages(real_data)).train
    read = normalising(load_tokenizer(config.model), config.normalise).normalise
    everything = training_frame(train, config)
    kept = training_frame(train, config, read)
    assert len(everything) - len(kept) > 2000  # mostly leet copies spelled back by v2
    assert kept["augmented"].sum() > 10000 and (~kept["augmented"]).sum() == (~everything["augmented"]).sum()


def test_bundled_modern_supplement_loads_and_a_bad_extra_file_says_so(tmp_path):
    modern = load_extra(BUNDLED_MODERN)
    assert len(modern) >= 100 and set(modern["label"]) == {0, 1}
    with pytest.raises(DataError, match=r"extra training data: .*not found"):
        load_extra(str(tmp_path / "missing.csv"))


def test_augmented_training_runs_and_is_saved_with_the_run(tiny_model_dir, tmp_path):
    from conftest import messages_frame

    from spamcore.runs.experiment import run_experiment
    from spamcore.runs.store import read_run

    config = recipe_defaults("finetune", model=str(tiny_model_dir), epochs=1, batch_size=8, max_length=16,
                             precision="fp32", device="cpu", augment="crop,digits", extra_data=BUNDLED_MODERN)
    info = run_experiment(config, messages_frame(4), tmp_path / "run")
    again = read_run(tmp_path / "run")
    assert again.config == config and again.config.augment == "crop,digits"
    assert info.metrics["split_sizes"]["train"] == 56  # the split itself is not augmented
    assert {g["group"] for g in info.metrics["robustness"]["groups"]} == {"typed", "modern"}


def test_footers_end_about_a_quarter_of_the_ham_with_an_opt_out_line():
    frame = pd.DataFrame({"text": [f"Your order {i} is ready to collect" for i in range(400)] + ["win now"],
                          "label": [0] * 400 + [1]})
    out = augment_frame(frame, ["footers"], seed=3)
    added = out[out["augmented"]]
    assert (added["label"] == 0).all() and 60 <= len(added) <= 140
    assert added["text"].str.contains("STOP").all()
    assert added["text"].str.startswith("Your order").all()
    assert add_footer("Ready.", np.random.default_rng(0), share=1.0).startswith("Ready. ")
    assert add_footer("Ready", np.random.default_rng(0), share=1.0).startswith("Ready. ")


def test_chat_wrap_puts_the_message_inside_friendly_chat_and_keeps_its_label():
    rng = np.random.default_rng(0)
    wrapped = [chat_wrap("Your parcel fee is unpaid, pay at royal-mail.info", rng) for _ in range(50)]
    assert all("Your parcel fee is unpaid, pay at royal-mail.info" in w for w in wrapped)
    assert all(not w.startswith("Your parcel") for w in wrapped)  # something friendly always comes first
    assert 0.2 < np.mean([not w.endswith("royal-mail.info") for w in wrapped]) < 0.6  # a sign-off, sometimes
    frame = pd.DataFrame({"text": ["WIN a cruise now", "see you at six"], "label": [1, 0]})
    out = augment_frame(frame, ["chat"], seed=1)
    assert out["label"].tolist() == [1, 0, 1, 0] and out["augmentation"].tolist() == ["", "", "chat", "chat"]


def test_chat_wrap_opens_with_the_training_splits_own_chatter_half_the_time():
    frame = pd.DataFrame({"text": ["ok see you at the pub later", "WIN a cruise now call", "k", "lol same"],
                          "label": [0, 1, 0, 0]})
    assert chatter_of(frame) == ["ok see you at the pub later", "lol same"]  # ham of 2 to 8 words
    rng = np.random.default_rng(0)
    wrapped = [chat_wrap("Claim your prize", rng, chatter_of(frame)) for _ in range(200)]
    share = np.mean([w.startswith(("ok see you at the pub later ", "lol same ")) for w in wrapped])
    assert 0.35 < share < 0.65
    assert all("Claim your prize" in w for w in wrapped)


def test_dense_swaps_edit_most_words_like_real_letter_swap_smishing():
    text = "your account has been locked please verify your details today to avoid suspension"
    rng = np.random.default_rng(3)
    changed = [np.mean([a != b for a, b in zip(text.split(), dense_swaps(text, rng).split(), strict=False)])
               for _ in range(20)]
    assert 0.5 < np.mean(changed) < 0.95  # most words, not all
    assert dense_swaps("a b c", np.random.default_rng(0)) == "a b c"  # too short to edit
    same = dense_swaps(text, np.random.default_rng(7)), dense_swaps(text, np.random.default_rng(7))
    assert same[0] == same[1]  # seeded
