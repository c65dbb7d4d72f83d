"""annotator.json: the project's name, format version, label schema and settings.

Opening a project reads it through plain checks (:func:`read_config`), so the window
starts without generating pydantic's validators; anything unusual goes to pydantic.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from annotator.core.errors import AnnotatorError, InputError
from annotator.core.models import (
    CATEGORIES,
    DocumentCategory,
    Label,
    LabelSchema,
    RelationType,
)
from annotator.core.schema import default_schema

FORMAT_VERSION = 1


class ProjectConfig(BaseModel):
    # Built on first validation: opening a project reads annotator.json through
    # read_config's plain checks, so the window starts without generating a schema.
    model_config = ConfigDict(defer_build=True, extra="allow")

    name: str
    format_version: int = FORMAT_VERSION
    schema_: LabelSchema = Field(default_factory=default_schema, alias="schema")
    settings: dict[str, Any] = Field(default_factory=dict)

    def to_json(self) -> bytes:
        data = self.model_dump(mode="json", by_alias=True)
        return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"


_CONFIG_KEYS = frozenset({"name", "format_version", "schema", "settings"})
_LABEL_KEYS = frozenset({"name", "category", "color", "hotkey", "description"})
_RELATION_KEYS = frozenset({"name", "head", "tail", "hotkey"})
_PLAIN_NAME = re.compile(r"[^\s,]+")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def read_config(data: Any) -> ProjectConfig:
    """annotator.json's contents as a ProjectConfig, exactly as ``model_validate`` gives it.

    A config in the shape the program writes is checked here, field by field with the
    models' own rules (a little stricter), and built without validating again; anything
    else goes through pydantic, which accepts or refuses it with its own message.
    """
    config = _plain_config(data)
    return config if config is not None else ProjectConfig.model_validate(data)


def _plain_config(data: Any) -> ProjectConfig | None:
    # Extra keys (the model allows them) are left to pydantic, which counts them as set.
    if type(data) is not dict or not data.keys() <= _CONFIG_KEYS:
        return None
    if type(data.get("name")) is not str:
        return None
    if "format_version" in data and type(data["format_version"]) is not int:
        return None
    if "settings" in data and type(data["settings"]) is not dict:
        return None
    values = dict(data)
    if "schema" in data:
        schema = _plain_schema(data["schema"])
        if schema is None:
            return None
        values["schema"] = schema
    return ProjectConfig.model_construct(**values)


def _plain_schema(data: Any) -> LabelSchema | None:
    if type(data) is not dict or not data.keys() <= {"labels", "relations", "categories"}:
        return None
    values: dict[str, Any] = {}
    if "labels" in data:
        labels = data["labels"]
        if type(labels) is not list or not all(map(_plain_label, labels)):
            return None
        names = [label["name"] for label in labels]
        hotkeys = [label["hotkey"] for label in labels if label.get("hotkey")]
        if len(set(names)) != len(names) or len(set(hotkeys)) != len(hotkeys):
            return None  # pydantic names the duplicate
        values["labels"] = [Label.model_construct(**label) for label in labels]
    if "relations" in data:
        relations = data["relations"]
        if type(relations) is not list or not all(map(_plain_relation, relations)):
            return None
        names = [relation["name"] for relation in relations]
        if len(set(names)) != len(names):
            return None
        values["relations"] = [RelationType.model_construct(**rel) for rel in relations]
    if "categories" in data:
        categories = data["categories"]
        if type(categories) is not list or not all(map(_plain_category, categories)):
            return None
        names = [category["name"] for category in categories]
        keys = [
            key.upper()
            for key in [
                *(label.hotkey for label in values.get("labels", [])),
                *(rel.hotkey for rel in values.get("relations", [])),
            ]
            if key
        ]
        keys = list(set(keys))
        keys += [key.upper() for c in categories for key in c.get("hotkeys", {}).values() if key]
        if len(set(names)) != len(names) or len(set(keys)) != len(keys):
            return None  # pydantic names the duplicate
        values["categories"] = [DocumentCategory.model_construct(**c) for c in categories]
    return LabelSchema.model_construct(**values)


_CATEGORY_KEYS = frozenset({"name", "choices", "multiple", "hotkeys", "description"})


def _plain_category(category: Any) -> bool:
    if type(category) is not dict or not category.keys() <= _CATEGORY_KEYS:
        return False
    name, choices = category.get("name"), category.get("choices")
    hotkeys = category.get("hotkeys", {})
    return (
        type(name) is str
        and name != ""
        and ":" not in name
        and type(choices) is list
        and bool(choices)
        and all(type(choice) is str and choice for choice in choices)
        and len(set(choices)) == len(choices)
        and type(category.get("multiple", False)) is bool
        and type(category.get("description", "")) is str
        and type(hotkeys) is dict
        and all(choice in choices and type(key) is str for choice, key in hotkeys.items())
    )


def _plain_label(label: Any) -> bool:
    return (
        type(label) is dict
        and label.keys() <= _LABEL_KEYS
        and type(label.get("name")) is str
        and _PLAIN_NAME.fullmatch(label["name"]) is not None
        and label.get("category", "entity") in CATEGORIES
        and type(label.get("color", "")) is str
        and ("color" not in label or _COLOR.fullmatch(label["color"]) is not None)
        and type(label.get("hotkey", "")) is str
        and type(label.get("description", "")) is str
    )


def _plain_relation(relation: Any) -> bool:
    return (
        type(relation) is dict
        and relation.keys() <= _RELATION_KEYS
        and type(relation.get("name")) is str
        and relation["name"] != ""
        and type(relation.get("hotkey", "")) is str
        and all(
            type(ends) is list and all(type(end) is str for end in ends)
            for ends in (relation.get("head", []), relation.get("tail", []))
        )
    )


def load_config(config_path: Path) -> ProjectConfig:
    """annotator.json read and checked for :meth:`Project.open`: one line naming the file
    when it is not valid JSON, not a config, or of a newer format than this program's."""
    try:
        config = read_config(orjson.loads(config_path.read_bytes()))
    except orjson.JSONDecodeError as exc:
        raise InputError(config_path, f"not valid JSON: {exc}", _json_error_line(exc)) from None
    except ValidationError as exc:
        raise InputError(config_path, _first_validation_error(exc)) from None
    if config.format_version > FORMAT_VERSION:
        raise AnnotatorError(
            f"{config_path}: format version {config.format_version} is newer than this "
            f"program understands ({FORMAT_VERSION}); update annotator"
        )
    return config


def _json_error_line(exc: orjson.JSONDecodeError) -> int | None:
    return getattr(exc, "lineno", None)


def _first_validation_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {error.get('msg')}" if where else str(error.get("msg"))
