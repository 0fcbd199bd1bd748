"""Weights files: safetensors only (never a pickle), checked against the module they are loaded into."""

from __future__ import annotations

from pathlib import Path

import torch

from spamcore.errors import RunError


def save_state(state: dict[str, torch.Tensor], path: Path) -> None:
    """Write a state dict as safetensors (tensors moved to CPU and made contiguous)."""
    from safetensors.torch import save_file

    save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, str(path), metadata={"format": "pt"})


def read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """A safetensors file's tensors; a missing, truncated or corrupted file is a :class:`RunError`."""
    from safetensors.torch import load_file

    if not path.is_file():
        raise RunError(f"{path}: weights file missing (incomplete run)")
    try:
        return load_file(str(path))
    except Exception as err:  # safetensors raises its own error type for truncated/corrupted files
        raise RunError(f"{path}: weights file is truncated or corrupted ({err})") from None


def load_state(module: torch.nn.Module, state: dict[str, torch.Tensor], path: Path) -> None:
    """Load ``state`` into ``module`` after checking that names and shapes match exactly."""
    expected = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if expected != found:
        missing = sorted(set(expected) - set(found))[:3]
        wrong = sorted(k for k in set(expected) & set(found) if expected[k] != found[k])[:3]
        detail = f"missing {missing}" if missing else f"shape mismatch in {wrong}" if wrong else "unexpected keys"
        raise RunError(f"{path}: weights are from another architecture ({detail}); cannot load them")
    module.load_state_dict(state)
