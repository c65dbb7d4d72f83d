"""read_config (plain checks, no pydantic validation) gives what ProjectConfig.model_validate
gives, and leaves every config it does not fully check to pydantic."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from annotator.core.schema import default_schema
from annotator.store.config import ProjectConfig, _plain_config, read_config

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample" / "annotator.json"


def _outcome(read: Any, data: Any) -> tuple[str, Any]:
    try:
        config = read(copy.deepcopy(data))
    except ValidationError as exc:
        return "error", [(e["loc"], e["msg"]) for e in exc.errors()]
    schema = config.schema_
    return "ok", (
        config.model_dump(mode="json", by_alias=True),
        config.model_fields_set,
        config.__pydantic_extra__,
        schema.model_fields_set,
        [label.model_fields_set for label in schema.labels],
        [relation.model_fields_set for relation in schema.relations],
        config.to_json(),
    )


def _sample() -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(SAMPLE.read_bytes())
    return data


def _with(change: str) -> dict[str, Any]:
    data = _sample()
    labels = data["schema"]["labels"]
    relations = data["schema"]["relations"]
    if change == "duplicate label":
        labels.append(dict(labels[0], hotkey=""))
    elif change == "duplicate hotkey":
        labels[1]["hotkey"] = labels[0]["hotkey"]
    elif change == "bad colour":
        labels[0]["color"] = "red"
    elif change == "name with space":
        labels[0]["name"] = "A B"
    elif change == "name with newline":
        labels[0]["name"] = "A\n"  # pydantic's pattern allows a final newline
    elif change == "unknown category":
        labels[0]["category"] = "thing"
    elif change == "unknown label key":
        labels[0]["shade"] = 1
    elif change == "missing label name":
        del labels[0]["name"]
    elif change == "empty relation name":
        relations[0]["name"] = ""
    elif change == "relation head not strings":
        relations[0]["head"] = [1]
    elif change == "duplicate relation":
        relations.append(relations[0])
    elif change == "version as float":
        data["format_version"] = 1.0
    elif change == "version as bool":
        data["format_version"] = True
    elif change == "version as string":
        data["format_version"] = "1"
    elif change == "name not a string":
        data["name"] = 5
    elif change == "settings not an object":
        data["settings"] = []
    elif change == "extra keys":
        data["owner"] = {"team": "desk"}
    elif change == "schema_ key":
        data["schema_"] = {}  # an extra key to pydantic (the field's name is "schema")
    elif change == "no schema":
        del data["schema"]
    elif change == "schema without relations":
        del data["schema"]["relations"]
    elif change == "labels with defaults only":
        data["schema"]["labels"] = [{"name": "X"}]
    elif change == "unknown schema key":
        data["schema"]["colours"] = []
    return data


CHANGES = [
    "none",
    "duplicate label",
    "duplicate hotkey",
    "bad colour",
    "name with space",
    "name with newline",
    "unknown category",
    "unknown label key",
    "missing label name",
    "empty relation name",
    "relation head not strings",
    "duplicate relation",
    "version as float",
    "version as bool",
    "version as string",
    "name not a string",
    "settings not an object",
    "extra keys",
    "schema_ key",
    "no schema",
    "schema without relations",
    "labels with defaults only",
    "unknown schema key",
]


@pytest.mark.parametrize("change", CHANGES)
def test_read_config_matches_pydantic(change: str) -> None:
    data = _with(change)
    assert _outcome(read_config, data) == _outcome(ProjectConfig.model_validate, data)


def test_the_configs_the_program_writes_take_the_plain_path() -> None:
    written = ProjectConfig(name="p", schema=default_schema()).to_json()
    for data in (_sample(), orjson.loads(written), {"name": "bare"}):
        assert _plain_config(copy.deepcopy(data)) is not None
    for change in ("duplicate label", "bad colour", "version as bool", "extra keys"):
        assert _plain_config(_with(change)) is None


def test_non_objects_go_to_pydantic() -> None:
    for data in ([], "x", None, {"schema": {}}):
        with pytest.raises(ValidationError):
            read_config(data)
