"""spamcore.teaching.masked on tiny BERTs: a checkpoint's own MLM and NSP heads are found and used, a checkpoint
without them is told apart, masking, a head trained here learns and survives a save and load, the CLI."""

from __future__ import annotations

import pytest
import torch
from conftest import HAM, SPAM, messages_frame

from spamcore.cli import main
from spamcore.model.loading import load_tokenizer
from spamcore.teaching.masked import (
    HeadScore,
    fit_and_score,
    frequency_baseline,
    guesses,
    head_file,
    head_parameters,
    is_next_probability,
    load_head,
    load_mlm,
    load_nsp,
    mask_batch,
    masked_accuracy,
    save_head,
    train_head,
)


@pytest.fixture(scope="module")
def pretraining_dir(tiny_model_dir, tmp_path_factory):
    """The tiny BERT saved with both pre-training heads (as bert-base-uncased is)."""
    from transformers import BertConfig, BertForPreTraining

    path = tmp_path_factory.mktemp("tiny-pretraining")
    torch.manual_seed(1)
    BertForPreTraining(BertConfig.from_pretrained(tiny_model_dir)).save_pretrained(path)
    load_tokenizer(str(tiny_model_dir)).save_pretrained(path)
    return path


def test_a_checkpoint_with_heads_uses_its_own_and_one_without_says_so(tiny_model_dir, pretraining_dir):
    _, own = load_mlm(str(pretraining_dir))
    assert own
    _, own = load_mlm(str(tiny_model_dir))
    assert not own
    assert load_nsp(str(tiny_model_dir)) is None
    nsp = load_nsp(str(pretraining_dir))
    tokenizer = load_tokenizer(str(pretraining_dir))
    p = is_next_probability(nsp, tokenizer, HAM[0], HAM[1])
    assert 0.0 < p < 1.0
    with torch.inference_mode():  # the same number the head gives by hand (label 0 is IsNext)
        enc = tokenizer(HAM[0], HAM[1], return_tensors="pt")
        assert p == pytest.approx(float(torch.softmax(nsp(**enc).seq_relationship_logits, -1)[0, 0]), abs=1e-6)


def test_guesses_are_the_heads_top_tokens_in_order(pretraining_dir):
    mlm, _ = load_mlm(str(pretraining_dir))
    tokenizer = load_tokenizer(str(pretraining_dir))
    ids = tokenizer("see you at [MASK] later")["input_ids"]
    position = ids.index(tokenizer.mask_token_id)
    top = guesses(mlm, tokenizer, ids, [position], k=5)[position]
    assert len(top) == 5 and all(isinstance(g.token, str) for g in top)
    probs = [g.probability for g in top]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0 + 1e-6
    with torch.inference_mode():
        logits = mlm(input_ids=torch.tensor([ids])).logits[0, position]
    assert tokenizer.convert_ids_to_tokens(int(logits.argmax())) == top[0].token


def test_masking_hides_word_pieces_only_and_at_least_one_per_message(tiny_model_dir):
    tokenizer = load_tokenizer(str(tiny_model_dir))
    ids = [tokenizer(t)["input_ids"] for t in HAM + SPAM]
    inputs, mask, labels = mask_batch(ids, tokenizer, torch.Generator().manual_seed(0))
    chosen = labels != -100
    assert chosen.any(1).all()
    special = torch.isin(labels[chosen], torch.tensor(tokenizer.all_special_ids))
    assert not special.any()
    assert (inputs[chosen] == tokenizer.mask_token_id).all()
    padded = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in ids], batch_first=True)
    assert torch.equal(labels[chosen], padded[chosen]) and torch.equal(inputs[~chosen], padded[~chosen])
    assert mask.sum(1).tolist() == [len(s) for s in ids]


def test_a_head_trained_here_learns_and_survives_a_save_and_load(tiny_model_dir, tmp_path):
    tokenizer = load_tokenizer(str(tiny_model_dir))
    texts = list(messages_frame(repeat=3)["text"])
    mlm, _ = load_mlm(str(tiny_model_dir))
    encoder_before = {k: v.clone() for k, v in mlm.base_model.state_dict().items()}
    top1_before, _, _ = masked_accuracy(mlm, tokenizer, texts)
    stages = []
    trained = train_head(mlm, tokenizer, texts, epochs=30, lr=1e-2, progress=lambda s, f: stages.append(f))
    top1_after, top5_after, n = masked_accuracy(mlm, tokenizer, texts)
    assert trained > len(texts) and n > 0 and stages[-1] == 1.0
    assert top1_after > top1_before + 0.1 and top5_after >= top1_after
    base1, base5 = frequency_baseline(tokenizer, texts, texts)
    assert 0 <= base1 <= base5 <= 1
    assert top5_after > base5  # it learned more than which tokens are common
    for key, value in mlm.base_model.state_dict().items():  # the encoder stayed as pre-trained
        assert torch.equal(value, encoder_before[key]), key
    assert all(not p.requires_grad for p in head_parameters(mlm))

    score = HeadScore(top1_after, top5_after, base1, base5, n, trained, 1.0)
    path = head_file(str(tiny_model_dir), tmp_path)
    save_head(mlm, score, path)
    fresh, _ = load_mlm(str(tiny_model_dir))
    assert load_head(fresh, path) == score
    ids = tokenizer("see you at [MASK] later")["input_ids"]
    position = ids.index(tokenizer.mask_token_id)
    assert guesses(fresh, tokenizer, ids, [position]) == guesses(mlm, tokenizer, ids, [position])
    path.write_bytes(b"damaged")
    assert load_head(fresh, path) is None
    assert load_head(fresh, tmp_path / "none.safetensors") is None


def test_fit_and_score_reports_held_out_accuracy_and_the_baseline(tiny_model_dir):
    tokenizer = load_tokenizer(str(tiny_model_dir))
    mlm, _ = load_mlm(str(tiny_model_dir))
    score = fit_and_score(mlm, tokenizer, HAM + SPAM, HAM[:4], epochs=2)
    assert score.targets >= 4 and score.train_targets >= len(HAM + SPAM) and score.seconds > 0
    assert 0 <= score.top1 <= score.top5 <= 1


def test_cli_trains_a_head_for_a_model_without_one(tiny_model_dir, pretraining_dir, tmp_path, capsys):
    data = tmp_path / "messages.csv"
    messages_frame(repeat=2).to_csv(data, index=False)
    assert main(["mlm-head", "--model", str(tiny_model_dir), "--data", str(data), "--cache", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "top-1" in out and "commonest" in out
    assert head_file(str(tiny_model_dir), tmp_path).is_file()
    assert main(["mlm-head", "--model", str(pretraining_dir)]) == 0
    assert "has its own masked-word head" in capsys.readouterr().out
    assert main(["mlm-head", "--model", str(tmp_path / "missing"), "--data", str(data)]) == 2
    assert "does not exist" in capsys.readouterr().err
