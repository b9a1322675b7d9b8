"""`load_go_yaml`: YAML 1.2 core types (libyaml), with yaml.v2's YAML 1.1 boolean words marked; and
`reads_as_text`, whether a plain scalar is a string to both YAML versions."""

from __future__ import annotations

import datetime

import pytest

from image_updater.settings.goyaml import GoBoolWord, load_go_yaml, reads_as_text

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


TEXTS = {
    "version": ("1.2.3", True),
    "tag": ("v1.10", True),
    "yaml11-word": ("yes", False),
    "yaml11-sexagesimal": ("1:20", False),
    "yaml12-octal": ("0o17", False),
    "yaml12-float-without-leading-digit": (".4e8", False),
    "float-looking": ("1.10", False),
    "date": ("2024-01-01", False),
    "null": ("~", False),
    "digest": ("sha256:" + "a" * 64, True),
}


@pytest.mark.parametrize(("value", "text"), TEXTS.values(), ids=TEXTS.keys())
def test_reads_as_text_under_both_yaml_versions(value: str, text: bool) -> None:
    assert reads_as_text(value) is text
