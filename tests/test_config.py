"""spamcore.model.config: recipe defaults, validation that names the bad value, dict round trips."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from spamcore.errors import ConfigError
from spamcore.model.config import BUNDLED_MODEL, FRESH_EPOCHS, PERTURB_SHARE, TrainConfig, recipe_defaults


def test_frozen_defaults_are_the_reference_recipe():
    config = recipe_defaults("frozen")
    assert (config.recipe, config.max_length, config.batch_size, config.lr, config.epochs) == (
        "frozen", 25, 16, 1e-5, 10,
    )
    assert config.class_weighted and config.pooling == "cls"
    assert (config.hidden_units, config.dropout) == (512, 0.1)
    assert config.model == BUNDLED_MODEL and config.seed == 42
    assert config == TrainConfig()  # the dataclass defaults are the frozen recipe


def test_finetune_defaults():
    config = recipe_defaults("finetune")
    assert (config.recipe, config.max_length, config.batch_size, config.lr, config.epochs) == (
        "finetune", 64, 32, 1e-4, FRESH_EPOCHS,
    )
    assert config.perturb_share == PERTURB_SHARE  # perturbations drawn per read (issue 31), no fixed copies
    assert TrainConfig().perturb_share is None  # runs saved before issue 31 trained on fixed copies
    assert (config.augment, config.extra_data, config.dedupe) == (
        "crop,digits,numbers,typos,leet,footers,chat,swaps", "bundled:modern", False)
    assert not config.class_weighted and not config.originals_last  # measured, not kept (README)
    assert (config.weight_decay, config.warmup_ratio) == (0.01, 0.1)
    assert not TrainConfig().originals_last  # runs saved before it existed trained on a plain shuffle


def test_perturb_share_is_a_share():
    with pytest.raises(ConfigError, match="perturb_share"):
        TrainConfig(perturb_share=1.5)
    assert TrainConfig.from_dict({"perturb_share": 0.3}).perturb_share == 0.3


def test_originals_last_must_be_a_bool():
    with pytest.raises(ConfigError, match="originals_last must be true or false"):
        TrainConfig(originals_last="yes")  # type: ignore[arg-type]


def test_recipe_defaults_apply_overrides_and_ignore_none():
    config = recipe_defaults("finetune", epochs=1, lr=None, max_rows=None, model="some/model")
    assert (config.epochs, config.lr, config.max_rows, config.model) == (1, 1e-4, None, "some/model")


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TrainConfig().epochs = 3  # type: ignore[misc]


def test_replace_validates():
    assert TrainConfig().replace(epochs=3).epochs == 3
    with pytest.raises(ConfigError, match="epochs"):
        TrainConfig().replace(epochs=0)


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("epochs", 0, "0"),
        ("epochs", 10000, "10000"),
        ("epochs", 2.5, "2.5"),
        ("epochs", True, "True"),
        ("batch_size", 0, "0"),
        ("batch_size", "16", "'16'"),
        ("lr", -1.0, "-1.0"),
        ("lr", 0.0, "0.0"),
        ("lr", math.nan, "nan"),
        ("lr", math.inf, "inf"),
        ("lr", "fast", "'fast'"),
        ("max_length", 1, "1"),
        ("max_length", 100000, "100000"),
        ("recipe", "distill", "'distill'"),
        ("pooling", "max", "'max'"),
        ("device", "tpu", "'tpu'"),
        ("precision", "fp8", "'fp8'"),
        ("max_rows", 5, "5"),
        ("max_rows", 19, "19"),
        ("patience", 0, "0"),
        ("seed", -1, "-1"),
        ("dropout", 1.0, "1.0"),
        ("warmup_ratio", 1.0, "1.0"),
        ("hidden_units", 0, "0"),
        ("grad_clip", -0.5, "-0.5"),
    ],
)
def test_validation_error_names_setting_and_value(field, value, shown):
    with pytest.raises(ConfigError) as info:
        TrainConfig(**{field: value})
    message = str(info.value)
    assert message.startswith(field), message
    assert message.endswith(shown), message


@pytest.mark.parametrize("model", ["", "   "])
def test_empty_model(model):
    with pytest.raises(ConfigError, match="model"):
        TrainConfig(model=model)


@pytest.mark.parametrize(
    "values",
    [dict(epochs=1), dict(epochs=1000), dict(lr=1.0 - 1e-9), dict(max_length=2), dict(max_length=512),
     dict(max_rows=20), dict(patience=1), dict(dropout=0.0), dict(grad_clip=0.0)],
)
def test_limits_are_allowed(values):
    config = TrainConfig(**values)
    assert all(getattr(config, k) == v for k, v in values.items())


def test_bad_recipe_in_recipe_defaults():
    with pytest.raises(ConfigError, match="'nope'"):
        recipe_defaults("nope")


def test_config_error_is_a_value_error():
    with pytest.raises(ValueError):
        TrainConfig(batch_size=0)


def test_from_dict_refuses_unknown_keys():
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict({"epochs": 2, "learning_rate": 0.1, "zz": 1})
    assert "learning_rate, zz" in str(info.value)


def test_from_dict_validates_values():
    with pytest.raises(ConfigError, match="batch_size"):
        TrainConfig.from_dict({"batch_size": -3})


@pytest.mark.parametrize(
    "config",
    [TrainConfig(), recipe_defaults("finetune", epochs=1, max_rows=100, patience=2, model="/tmp/model", seed=7)],
)
def test_round_trip_through_json(config):
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


def test_to_dict_holds_every_field():
    assert set(TrainConfig().to_dict()) == {f.name for f in dataclasses.fields(TrainConfig)}
