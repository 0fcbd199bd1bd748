"""spamcore.data.messages: reading every accepted format, every user error, the split, summaries, finding the data."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import messages_frame

from spamcore.data import messages as data
from spamcore.data.messages import (
    UCI_FILE,
    class_weights,
    download_dataset,
    label_summary,
    read_messages,
    resolve_data,
    split_dataset,
    subsample,
    token_counts,
    truncated_share,
    word_counts,
)
from spamcore.errors import DataError

# Hand-written messages in the UCI format (never lines of the real collection).
UCI_TEXT = (
    "ham\tSee you at the station at six\nspam\tYou WON a free cruise! Txt GO to 80808\nham\tRunning late, sorry\n"
)


def _records(frame: pd.DataFrame) -> list[tuple[str, int]]:
    return list(zip(frame["text"], frame["label"].tolist(), strict=True))


# ------------------------------------------------------------------------------------------- formats


def test_uci_format_known_answer():
    frame = read_messages(UCI_TEXT.encode(), "x.txt")
    assert list(frame.columns) == ["text", "label"]
    assert frame["label"].dtype == np.int64
    assert _records(frame) == [
        ("See you at the station at six", 0),
        ("You WON a free cruise! Txt GO to 80808", 1),
        ("Running late, sorry", 0),
    ]


def test_uci_format_keeps_later_tabs_and_skips_blank_lines():
    raw = b"ham\tcol one\tcol two\n\n\nspam\tWin now\n"
    assert _records(read_messages(raw, "x")) == [("col one\tcol two", 0), ("Win now", 1)]


def test_uci_format_with_crlf_line_ends():
    assert _records(read_messages(b"ham\tHello there\r\nspam\tFree prize\r\n", "x")) == [
        ("Hello there", 0), ("Free prize", 1),
    ]


def test_reads_a_path_like_bytes(tmp_path):
    path = tmp_path / "SMSSpamCollection"
    path.write_text(UCI_TEXT, encoding="utf-8")
    assert _records(read_messages(path)) == _records(read_messages(UCI_TEXT.encode(), "x"))
    assert _records(read_messages(str(path))) == _records(read_messages(path))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(b"label,text\nham,Hello there\nspam,Free prize\n", [("Hello there", 0), ("Free prize", 1)],
                     id="csv-ham-spam"),
        pytest.param(b"text,label\nHello there,0\nFree prize,1\n", [("Hello there", 0), ("Free prize", 1)],
                     id="csv-columns-swapped-0-1"),
        pytest.param(b"Label,TEXT\nHAM,Hello there\nSpam,Free prize\n", [("Hello there", 0), ("Free prize", 1)],
                     id="csv-any-case"),
        pytest.param(b"label\ttext\nham\tHello, there\nSPAM\tFree prize\n", [("Hello, there", 0), ("Free prize", 1)],
                     id="tsv-header"),
        pytest.param(b'label,text\nham,"Hello, there"\nspam,"Say ""win"""\n', [("Hello, there", 0), ('Say "win"', 1)],
                     id="csv-quoted"),
        pytest.param(b"label;text\nham;Hello, there\nspam;Free prize\n", [("Hello, there", 0), ("Free prize", 1)],
                     id="semicolon"),
        pytest.param(b"label,text\n0.0,Hello there\n1.0,Free prize\n", [("Hello there", 0), ("Free prize", 1)],
                     id="spreadsheet-floats"),
        pytest.param(b"label,text\nham,Hello there,\nspam,Free prize,\n", [("Hello there", 0), ("Free prize", 1)],
                     id="trailing-comma"),
        pytest.param(b"label,text\nham,NA\nspam,null\n", [("NA", 0), ("null", 1)], id="na-words-are-text"),
    ],
)
def test_csv_and_tsv_with_header(raw, expected):
    assert _records(read_messages(raw, "x.csv")) == expected


@pytest.mark.parametrize("label", ["ham", "HAM", "Ham", " ham ", "0", "spam", "SPAM", "sPaM", "1"])
def test_labels_any_case(label):
    expected = 1 if label.strip().lower() in ("spam", "1") else 0
    other = "ham" if expected else "spam"
    frame = read_messages(f"label,text\n{label},first\n{other},second\n".encode(), "x.csv")
    assert frame["label"].tolist() == [expected, 1 - expected]


def test_kaggle_spam_csv_latin1_with_empty_extra_columns():
    text = 'v1,v2,,,\nham,"Hi, see you at 5",,,\nspam,WIN \xa3500 cash now,,,\nham,Caf\xe9 at noon?,,,\n'
    frame = read_messages(text.encode("latin-1"), "spam.csv")
    assert _records(frame) == [("Hi, see you at 5", 0), ("WIN £500 cash now", 1), ("Café at noon?", 0)]


def test_kaggle_spam_csv_with_named_extra_columns():
    raw = b"v1,v2,Unnamed: 2,Unnamed: 3,Unnamed: 4\nham,Hello there,,,\nspam,Free prize,,,\n"
    assert _records(read_messages(raw, "spam.csv")) == [("Hello there", 0), ("Free prize", 1)]


@pytest.mark.parametrize("body", [UCI_TEXT, "label,text\nham,Caf\u00e9 at noon\nspam,Win \u00a3100\n"])
def test_utf8_bom_is_dropped(body):
    with_bom = read_messages(body.encode("utf-8-sig"), "x")
    assert _records(with_bom) == _records(read_messages(body.encode("utf-8"), "x"))
    assert not with_bom["text"].iloc[0].startswith("\ufeff")


@pytest.mark.parametrize("body", [UCI_TEXT, "label\ttext\nham\tCaf\u00e9 at noon\nspam\tWin \u00a3100\n"])
def test_utf16_with_bom(body):
    for encoding in ("utf-16", "utf-16-be"):
        raw = body.encode(encoding)
        if encoding == "utf-16-be":
            raw = b"\xfe\xff" + raw
        assert _records(read_messages(raw, "x")) == _records(read_messages(body.encode(), "x"))


def test_latin1_bytes_in_uci_format():
    frame = read_messages("ham\tCaf\xe9 later?\nspam\tWin \xa3100\n".encode("latin-1"), "x")
    assert frame["text"].tolist() == ["Café later?", "Win £100"]


# -------------------------------------------------------------------------------------------- errors


def _error(raw: bytes, name: str = "bad.csv") -> str:
    with pytest.raises(DataError) as info:
        read_messages(raw, name)
    message = str(info.value)
    assert message.startswith(name), message  # every message names the file
    assert "\n" not in message
    return message


def test_missing_text_column_names_what_was_found():
    message = _error(b"label,body\nham,Hello\nspam,Win\n")
    assert "missing a 'text' column" in message
    assert "'label', 'body'" in message


def test_missing_both_columns():
    message = _error(b"foo,bar\n1,2\n3,4\n")
    assert "'label' column and a 'text' column" in message
    assert "'foo', 'bar'" in message


def test_unknown_label_in_csv_names_line_and_column():
    message = _error(b"label,text\nham,Hello\nspam,Win\nspom,Typo\n")
    assert "line 4" in message and "'label'" in message and "'spom'" in message


def test_unknown_label_in_uci_names_line():
    message = _error(b"ham\tHello\nspam\tWin\n\nmaybe\tWho knows\n", "SMSSpamCollection")
    assert "line 4" in message and "'maybe'" in message and "ham/spam or 0/1" in message


def test_uci_line_without_tab_names_line():
    message = _error(b"ham\tHello\nspam\tWin\nno tab here\n", "SMSSpamCollection")
    assert "line 3" in message and "no tab" in message


@pytest.mark.parametrize("raw", [b"", b"   \n\n\t\n"], ids=["empty", "blank"])
def test_empty_file(raw):
    assert "empty" in _error(raw)


def test_header_only():
    assert "header but no rows" in _error(b"label,text\n")


@pytest.mark.parametrize(
    ("raw", "only"), [(b"ham\tHello\nham\tAgain\n", "ham"), (b"label,text\n1,Win\n1,Prize\n", "spam")]
)
def test_single_class(raw, only):
    message = _error(raw)
    assert f"every message is labelled '{only}'" in message and "both ham and spam" in message


@pytest.mark.parametrize(
    ("raw", "what"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "zip archive"),
        (b"%PDF-1.7\n", "PDF document"),
        (b"\x1f\x8b\x08\x00", "gzip archive"),
    ],
)
def test_binary_content_is_named(raw, what):
    assert what in _error(raw)


def test_nul_bytes():
    assert "NUL bytes" in _error(b"ham\tHel\x00lo\nspam\tWin\n")


def test_empty_text_cell_in_csv():
    message = _error(b"label,text\nham,Hello\nspam,\n")
    assert "line 3" in message and "'text'" in message and "empty" in message


def test_empty_text_in_uci():
    message = _error(b"ham\tHello\nspam\t   \n", "SMSSpamCollection")
    assert "line 2" in message and "empty" in message


def test_row_with_an_unquoted_delimiter_is_refused_not_cut():
    message = _error(b"label,text\nham,Hello, how are you\nspam,Win\n")
    assert "more fields than the header" in message and "quote" in message


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_messages(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a folder"):
        read_messages(tmp_path)


def test_data_error_is_a_value_error():
    with pytest.raises(ValueError):
        read_messages(b"", "x")


# -------------------------------------------------------------------------------------------- split


def _frame(n_ham: int, n_spam: int) -> pd.DataFrame:
    texts = [f"ham message number {i}" for i in range(n_ham)] + [f"spam offer number {i}" for i in range(n_spam)]
    return pd.DataFrame({"text": texts, "label": np.array([0] * n_ham + [1] * n_spam, dtype=np.int64)})


def test_split_proportions_and_stratification():
    frame = _frame(800, 200)
    split = split_dataset(frame)
    assert split.sizes() == {"train": 700, "validation": 150, "test": 150}
    for part in (split.train, split.validation, split.test):
        assert part["label"].mean() == pytest.approx(0.2, abs=0.01)
        assert list(part.index) == list(range(len(part)))
    texts = [set(p["text"]) for p in (split.train, split.validation, split.test)]
    assert texts[0].isdisjoint(texts[1]) and texts[0].isdisjoint(texts[2]) and texts[1].isdisjoint(texts[2])
    assert set.union(*texts) == set(frame["text"])


def test_split_keeps_text_label_pairs():
    frame = _frame(60, 20)
    split = split_dataset(frame)
    truth = dict(zip(frame["text"], frame["label"], strict=True))
    for part in (split.train, split.validation, split.test):
        assert all(truth[t] == label for t, label in zip(part["text"], part["label"], strict=True))


def test_split_is_deterministic_and_seeded():
    frame = _frame(100, 40)
    first, again = split_dataset(frame), split_dataset(frame)
    assert first.test["text"].tolist() == again.test["text"].tolist()
    assert split_dataset(frame, seed=7).test["text"].tolist() != first.test["text"].tolist()


def test_split_matches_reference_train_test_split():
    """The reference notebook: train_test_split(test_size=0.3), then 0.5 of the rest, seed 42, stratified."""
    from sklearn.model_selection import train_test_split

    frame = _frame(300, 60)
    train, rest = train_test_split(frame, test_size=0.3, random_state=42, stratify=frame["label"])
    val, test = train_test_split(rest, test_size=0.5, random_state=42, stratify=rest["label"])
    split = split_dataset(frame)
    assert split.train["text"].tolist() == train["text"].tolist()
    assert split.validation["text"].tolist() == val["text"].tolist()
    assert split.test["text"].tolist() == test["text"].tolist()


@pytest.mark.parametrize(("n_ham", "n_spam"), [(15, 3), (10, 5)])
def test_split_refuses_too_few_messages(n_ham, n_spam):
    with pytest.raises(DataError, match="too few messages"):
        split_dataset(_frame(n_ham, n_spam))


def test_real_data_split_sizes(real_data):
    frame = read_messages(real_data)
    assert len(frame) == 5574
    assert frame["label"].sum() == 747
    split = split_dataset(frame)
    assert split.sizes() == {"train": 3901, "validation": 836, "test": 837}
    assert [int(p["label"].sum()) for p in (split.train, split.validation, split.test)] == [523, 112, 112]


# ------------------------------------------------------------------------------------ class weights


@pytest.mark.parametrize("labels", [[0, 0, 0, 1], [0, 1], [1, 1, 1, 1, 0], [0] * 4827 + [1] * 747])
def test_class_weights_match_sklearn_balanced(labels):
    from sklearn.utils.class_weight import compute_class_weight

    expected = compute_class_weight("balanced", classes=np.array([0, 1]), y=np.array(labels))
    np.testing.assert_allclose(class_weights(labels), expected)


def test_class_weights_known_answer():
    np.testing.assert_allclose(class_weights(np.array([0, 0, 0, 1])), [2 / 3, 2.0])


def test_class_weights_need_both_classes():
    with pytest.raises(DataError, match="both classes"):
        class_weights([0, 0, 0])


# -------------------------------------------------------------------------------------------- summaries


def test_label_summary_known_answer():
    summary = label_summary(pd.DataFrame({"text": list("abcd"), "label": [0, 1, 0, 0]}))
    assert summary["label"].tolist() == ["ham", "spam"]
    assert summary["count"].tolist() == [3, 1]
    np.testing.assert_allclose(summary["share"], [0.75, 0.25])


def test_label_summary_of_nothing_has_zero_shares():
    summary = label_summary(pd.DataFrame({"text": [], "label": np.array([], dtype=np.int64)}))
    assert summary["count"].tolist() == [0, 0]
    assert summary["share"].tolist() == [0.0, 0.0]


def test_word_counts_known_answer():
    assert word_counts(["a b", "", "  one   two three ", "x\ty\nz"]).tolist() == [2, 0, 3, 3]


def test_token_counts_with_special_tokens_and_no_truncation(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    long = " ".join(["home"] * 300)
    # "ok lar" -> [CLS] ok lar [SEP]; "home" x 300 -> 302 tokens, beyond the model's 128 positions.
    assert token_counts(tokenizer, ["ok lar", long, ""]).tolist() == [4, 302, 2]


def test_truncated_share_known_answer():
    assert truncated_share([3, 30], 25) == 0.5
    assert truncated_share(np.array([25, 25, 26, 100]), 25) == 0.5
    assert truncated_share([], 25) == 0.0


def test_subsample_is_stratified_and_a_subset():
    frame = _frame(400, 100)
    sample = subsample(frame, 50)
    assert len(sample) == 50
    assert int(sample["label"].sum()) == 10
    assert sample.index.is_monotonic_increasing
    pd.testing.assert_frame_equal(sample, frame.loc[sample.index])
    assert subsample(frame, 50)["text"].tolist() == sample["text"].tolist()


@pytest.mark.parametrize("max_rows", [None, 500, 10_000])
def test_subsample_keeps_everything_when_not_smaller(max_rows):
    frame = _frame(400, 100)
    assert subsample(frame, max_rows) is frame


# ------------------------------------------------------------------------------------ finding the data


@pytest.fixture()
def empty_env(tmp_path, monkeypatch):
    """No SPAMCORE_DATA, an empty cache of this test's own, and no shared folder beside the checkout."""
    monkeypatch.delenv("SPAMCORE_DATA", raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("SPAMCORE_CACHE", str(cache))
    monkeypatch.setattr(data, "BESIDE_CHECKOUT", tmp_path / "no-shared" / UCI_FILE)
    return cache


def test_resolve_data_order(tmp_path, monkeypatch, empty_env):
    explicit, env_file = tmp_path / "explicit.txt", tmp_path / "env.txt"
    cached = empty_env / UCI_FILE
    for path in (explicit, env_file, cached):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(UCI_TEXT)
    monkeypatch.setenv("SPAMCORE_DATA", str(env_file))
    assert resolve_data(explicit, download=False) == explicit
    assert resolve_data(None, download=False) == env_file
    monkeypatch.delenv("SPAMCORE_DATA")
    assert resolve_data(None, download=False) == cached
    beside = tmp_path / "shared" / "data" / UCI_FILE
    beside.parent.mkdir(parents=True)
    beside.write_text(UCI_TEXT)
    monkeypatch.setattr(data, "BESIDE_CHECKOUT", beside)
    assert resolve_data(None, download=False) == cached  # the user's cache comes first
    cached.unlink()
    assert resolve_data(None, download=False) == beside


def test_the_app_and_the_tests_find_the_same_file_beside_a_checkout():
    """make app and make test look in the same places: the tests' default is the library's own last place."""
    from conftest import ROOT

    assert ROOT.parent / "shared" / "data" / UCI_FILE == data.BESIDE_CHECKOUT


def test_resolve_data_without_any_source_says_how_to_provide_it(empty_env):
    with pytest.raises(DataError) as info:
        resolve_data(None, download=False)
    message = str(info.value)
    assert "--data" in message and "SPAMCORE_DATA" in message and str(empty_env / UCI_FILE) in message


def _synthetic_collection(line_end: bytes = b"\n") -> bytes:
    rows = messages_frame(2)
    return b"".join(f"{('ham', 'spam')[label]}\t{text}".encode() + line_end
                    for text, label in zip(rows["text"], rows["label"], strict=True))


def _zip_url(tmp_path: Path, members: dict[str, bytes]) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    path = tmp_path / "sms+spam+collection.zip"
    path.write_bytes(buffer.getvalue())
    return path.as_uri()


def test_download_from_a_file_url_verifies_and_caches(tmp_path, empty_env):
    content = _synthetic_collection()
    url = _zip_url(tmp_path, {"readme": b"synthetic", UCI_FILE: content})
    path = download_dataset(url=url, sha256=hashlib.sha256(content).hexdigest())
    assert path == empty_env / UCI_FILE
    assert path.read_bytes() == content
    assert len(read_messages(path)) == 40
    assert [p.name for p in empty_env.iterdir()] == [UCI_FILE]  # no temporary file left behind


def test_download_checksum_ignores_crlf_line_ends(tmp_path, empty_env):
    url = _zip_url(tmp_path, {UCI_FILE: _synthetic_collection(b"\r\n")})
    lf_digest = hashlib.sha256(_synthetic_collection(b"\n")).hexdigest()
    assert download_dataset(url=url, sha256=lf_digest).is_file()


def test_resolve_data_downloads_once_into_the_cache(tmp_path, empty_env):
    content = _synthetic_collection()
    url = _zip_url(tmp_path, {UCI_FILE: content})
    first = resolve_data(None, url=url, sha256=hashlib.sha256(content).hexdigest())
    assert first == empty_env / UCI_FILE
    # Now it is cached: a broken URL no longer matters.
    assert resolve_data(None, url=(tmp_path / "gone.zip").as_uri()) == first


def test_download_checksum_mismatch_keeps_nothing(tmp_path, empty_env):
    url = _zip_url(tmp_path, {UCI_FILE: _synthetic_collection()})
    with pytest.raises(DataError, match="does not match the expected checksum"):
        download_dataset(url=url, sha256="0" * 64)
    assert not (empty_env / UCI_FILE).exists()


def test_download_of_a_zip_without_the_collection(tmp_path, empty_env):
    url = _zip_url(tmp_path, {"readme": b"nothing here"})
    with pytest.raises(DataError, match=f"holds no {UCI_FILE}"):
        download_dataset(url=url, sha256=None)


def test_download_of_something_that_is_not_a_zip(tmp_path, empty_env):
    path = tmp_path / "page.html"
    path.write_text("<html>maintenance</html>")
    with pytest.raises(DataError, match="not a valid zip"):
        download_dataset(url=path.as_uri(), sha256=None)


@pytest.mark.parametrize("kind", ["missing-file", "closed-port"])
def test_download_offline_fails_with_one_sentence_saying_how_to_provide_the_file(tmp_path, empty_env, kind):
    url = (tmp_path / "missing.zip").as_uri() if kind == "missing-file" else "http://127.0.0.1:9/sms.zip"
    with pytest.raises(DataError) as info:
        download_dataset(url=url, timeout=5)
    message = str(info.value)
    assert url in message
    assert "--data" in message and "SPAMCORE_DATA" in message
    assert "\n" not in message and ". " not in message.replace(url, "URL")  # one sentence, one line
    assert not (empty_env / UCI_FILE).exists()


def test_deduplicate_keeps_first_of_each_text_and_label():
    from spamcore.data.messages import deduplicate

    frame = pd.DataFrame({"text": ["a", "b", "a", "a"], "label": [0, 1, 0, 1]})
    assert deduplicate(frame).index.tolist() == [0, 1, 3]  # same text with another label is kept


def test_duplicate_audit_counts_test_messages_seen_in_training():
    from conftest import messages_frame

    from spamcore.data.messages import duplicate_audit, split_dataset

    frame = pd.concat([messages_frame(2), messages_frame(1)], ignore_index=True)  # the first 20 rows twice
    split = split_dataset(frame)
    audit = duplicate_audit(frame, split)
    assert audit["repeated_rows"] == 20 and audit["distinct_texts"] == 40
    expected = int(split.test["text"].isin(set(split.train["text"])).sum())
    assert audit["test_in_train"] == expected > 0
    clean = split_dataset(frame.drop_duplicates())
    assert duplicate_audit(frame.drop_duplicates(), clean)["test_in_train"] == 0


def test_duplicate_audit_on_the_real_collection(real_data):
    from spamcore.data.messages import duplicate_audit, read_messages, split_dataset

    frame = read_messages(real_data)
    audit = duplicate_audit(frame, split_dataset(frame))
    assert audit["repeated_rows"] == 403 and audit["test_in_train"] == 92
