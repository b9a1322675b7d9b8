"""The bounded YAML loader: what it refuses (one line naming the source) and what it reads as before."""

from __future__ import annotations

from typing import Any

import pytest
from ruamel.yaml import YAML

from image_updater import yamlsafe
from image_updater.errors import InvalidYaml
from image_updater.yamlsafe import YamlLimits


def laughs(levels: int = 9, width: int = 9) -> str:
    """A billion-laughs document: `width ** levels` scalars through aliases, under 1 KB."""
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_is_under_one_kilobyte() -> None:
    assert len(laughs()) < 1024


DEEP = r"^f\.yaml: line 1: nested deeper than 100 levels"
REFUSED: dict[str, tuple[str | bytes, str]] = {
    "billion-laughs": (laughs(), r"^f\.yaml: aliases expand to more than \d+ nodes"),
    "self-reference": ("a: &a [*a]\n", DEEP),
    "deep-block": ("- " * 150 + "x\n", DEEP),
    "deep-flow": ("[" * 150 + "]" * 150, DEEP),
    "libyaml-cap": ("[" * 100_000, r"^f\.yaml: line 1: not valid YAML \(exceeded maximum nesting depth\)"),
    "not-utf8": (b"a: 1\nb: \xff\n", r"^f\.yaml: not valid UTF-8 YAML \(line 2\)"),
    "unclosed": ("a: [1,\n", r"^f\.yaml: line 2: not valid YAML \("),
    "duplicate-key": ("a: 1\na: 2\n", r"^f\.yaml: line 2: not valid YAML \(it has the key 'a' twice"),
    "python-tag": ("a: !!python/object/apply:os.system [true]\n", r"could not determine a constructor"),
    "bad-date": ("d: 2024-13-45\n", r"^f\.yaml: not valid YAML \(month must be in 1\.\.12\)"),
    "control-char": ("a: \x01\n", r"^f\.yaml: .*not valid YAML \(unacceptable character"),
}


@pytest.mark.parametrize(("data", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_refused_in_one_line_naming_the_source(data: str | bytes, message: str) -> None:
    with pytest.raises(InvalidYaml, match=message) as caught:
        yamlsafe.load_documents(data, source="f.yaml")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param("x" * 101, id="str"),
        pytest.param(b"x" * 101, id="bytes"),
        pytest.param("é" * 51, id="multibyte-counted-in-bytes"),
    ],
)
def test_larger_than_the_size_limit_is_refused_before_parsing(data: str | bytes) -> None:
    with pytest.raises(InvalidYaml, match=r"^f\.yaml: larger than 100 bytes, the YAML size limit"):
        yamlsafe.load_documents(data, source="f.yaml", limits=YamlLimits(max_bytes=100))


def test_anchors_used_a_reasonable_number_of_times_load() -> None:
    text = "base: &base {cpu: 1, memory: 2Gi}\n" + "".join(f"r{i}: *base\n" for i in range(500))
    (document,) = yamlsafe.load_documents(text, source="f.yaml")
    assert document["r499"] == {"cpu": 1, "memory": "2Gi"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a: yes\nb: on\nc: 'yes'\n", {"a": True, "b": True, "c": "yes"}, id="yaml-1.1-booleans"),
        pytest.param("tag: 1.10\n", {"tag": 1.1}, id="float"),
        pytest.param("<<: {a: 1}\nb: 2\n", {"a": 1, "b": 2}, id="merge-key"),
        pytest.param("", None, id="empty"),
    ],
)
def test_types_are_read_as_kubernetes_reads_them(text: str, expected: Any) -> None:
    documents = yamlsafe.load_documents(text, source="f.yaml")
    assert (documents[0] if documents else None) == expected


def test_several_documents_share_one_budget() -> None:
    documents = "---\n".join([laughs(levels=4)] * 20)  # each alone within budget, together not
    assert yamlsafe.load_documents(laughs(levels=4), source="f.yaml")
    with pytest.raises(InvalidYaml, match="aliases expand"):
        yamlsafe.load_documents(documents, source="f.yaml", limits=YamlLimits(alias_allowance=1000))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("- a\n", r"^f\.yaml: expected a registry list at the top, got a list$", id="list"),
        pytest.param("3\n", r"^f\.yaml: expected a registry list at the top, got a number$", id="number"),
        pytest.param("a: 1\n---\nb: 2\n", r"^f\.yaml: holds 2 YAML documents; expected one$", id="two"),
    ],
)
def test_load_mapping_names_a_wrong_top_level_type(text: str, message: str) -> None:
    with pytest.raises(InvalidYaml, match=message):
        yamlsafe.load_mapping(text, source="f.yaml", expected="a registry list")


def test_check_nodes_bounds_ruamel_nodes_too() -> None:
    nodes = list(YAML(typ="safe", pure=True).compose_all(laughs()))
    with pytest.raises(InvalidYaml, match="aliases expand"):
        yamlsafe.check_nodes(nodes, size=len(laughs()), source="f.yaml")


def test_unquoted_message_never_carries_the_parsers_words() -> None:
    with pytest.raises(InvalidYaml) as caught:
        yamlsafe.load_documents("password: !s3cret x\n", source="f.yaml")
    assert "s3cret" in str(caught.value)  # the constructor quotes the unknown tag
    assert caught.value.unquoted == "f.yaml: line 1: not valid YAML"
