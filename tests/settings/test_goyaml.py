"""`load_go_yaml`: YAML 1.2 core types (libyaml), with yaml.v2's YAML 1.1 boolean words marked."""

from __future__ import annotations

import datetime

import pytest

from image_updater.settings.goyaml import GoBoolWord, load_go_yaml

SCALARS = {
    "yaml11-word-is-marked": ("yes", GoBoolWord("yes")),
    "yaml11-word-off": ("Off", GoBoolWord("Off")),
    "yaml12-bool": ("False", False),
    "quoted-word-is-text": ("'yes'", "yes"),
    "explicit-bool": ("!!bool yes", True),
    "null": ("~", None),
    "empty-is-null": ("", None),
    "int": ("-12", -12),
    "leading-zero-is-decimal": ("0777", 777),
    "octal-0o": ("0o17", 15),
    "hex": ("0x1F", 31),
    "binary": ("0b101", 5),
    "underscores": ("1_000", 1000),
    "float": ("1.10", 1.1),
    "exponent": ("1e3", 1000.0),
    "infinity": ("-.inf", float("-inf")),
    "sexagesimal-is-text": ("1:20", "1:20"),
    "duration-is-text": ("1h30m", "1h30m"),
    "date": ("2024-01-02", datetime.date(2024, 1, 2)),
}


@pytest.mark.parametrize(("text", "value"), SCALARS.values(), ids=SCALARS.keys())
def test_scalars(text: str, value: object) -> None:
    loaded = load_go_yaml(f"key: {text}\n", source="registries.conf")["key"]
    assert loaded == value
    assert type(loaded) is type(value)


def test_merge_keys_and_aliases() -> None:
    text = "base: &b {limit: 5}\nentry:\n  <<: *b\n  name: x\n"
    assert load_go_yaml(text, source="registries.conf")["entry"] == {"limit": 5, "name": "x"}
