"""Recipes: each one owns how its classifier is built for training, saved into a run folder and loaded back.

The registry names each recipe's module and weights file; the module (imported only when needed, so listing
runs does not pull in torch) provides:

- ``Task(config, split, tokenizer, context)``: the trainable part and its training-time view — ``module``,
  ``train_lengths``, ``forward_train(batch)``, ``validate(loss_fn, limit)``, ``trainable_state()``,
  ``load_trainable_state(state)`` and ``classifier()``;
- ``save(module, folder)``: write the trained weights (safetensors) into ``folder``;
- ``load(folder, config)``: rebuild the classifier module from a run folder.

A new recipe is one new module plus one line here (and its defaults in :mod:`spamcore.model.config`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from spamcore.errors import ConfigError
from spamcore.model.config import RECIPES as RECIPE_NAMES


@dataclass(frozen=True)
class RecipeEntry:
    module: str  # the recipe's module, imported on first use
    weights_file: str  # the file in a run folder that holds its trained weights

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


REGISTRY: dict[str, RecipeEntry] = {
    "frozen": RecipeEntry("spamcore.model.recipes.frozen", "head.safetensors"),
    "finetune": RecipeEntry("spamcore.model.recipes.finetune", "model.safetensors"),
}
assert tuple(REGISTRY) == RECIPE_NAMES, "spamcore.model.config.RECIPES and the registry must name the same recipes"


def entry(name: str) -> RecipeEntry:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown recipe {name!r}; choose from {', '.join(REGISTRY)}") from None


def recipe(name: str) -> ModuleType:
    """The module of recipe ``name`` (``Task``, ``save``, ``load``)."""
    return entry(name).load()
