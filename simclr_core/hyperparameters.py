"""Frozen hyperparameter dataclasses <-> JSON, stored next to the model they produced."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

ConfigT = TypeVar("ConfigT")


def config_to_dict(config: Any) -> dict[str, Any]:
    """Turn a (possibly nested) frozen dataclass into JSON-safe data.

    Raises:
        TypeError: if ``config`` is not a dataclass instance.
    """
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise TypeError(f"expected a dataclass instance, got {type(config).__name__}")
    return dataclasses.asdict(config)


def config_from_dict(config_class: type[ConfigT], data: dict[str, Any]) -> ConfigT:
    """Build ``config_class`` from data written by :func:`config_to_dict`.

    Lists become tuples and nested dataclasses are rebuilt. Unknown keys are rejected so that a
    typo in a hand-written JSON file fails loudly.

    Raises:
        ValueError: on keys that ``config_class`` does not have.
    """
    if not dataclasses.is_dataclass(config_class):
        raise TypeError(f"{config_class!r} is not a dataclass")
    hints = typing.get_type_hints(config_class)
    known = {field.name for field in dataclasses.fields(config_class)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown {config_class.__name__} fields: {sorted(unknown)}")
    values = {name: _convert(hints[name], value) for name, value in data.items()}
    return config_class(**values)


def save_config(config: Any, path: Path) -> None:
    """Write ``config`` as indented JSON to ``path``."""
    path.write_text(json.dumps(config_to_dict(config), indent=2, sort_keys=True) + "\n")


def load_config(config_class: type[ConfigT], path: Path) -> ConfigT:
    """Read a config written by :func:`save_config`.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: on unknown fields.
    """
    data = json.loads(path.read_text())
    return config_from_dict(config_class, data)


def _convert(annotation: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(annotation) if option is not type(None)]
        return _convert(options[0], value) if len(options) == 1 else value
    if dataclasses.is_dataclass(annotation) and isinstance(value, dict):
        return config_from_dict(typing.cast(type[Any], annotation), value)
    if origin is tuple and isinstance(value, list):
        return tuple(value)
    return value
