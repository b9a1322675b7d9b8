"""Secret manifests on disk as a SecretSource."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from image_updater.errors import CredentialError
from image_updater.sources.secret_files import SecretFiles

PASSWORD = "s3cr3t-Passw0rd"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


SEED_SECRET = f"""\
apiVersion: v1
kind: Secret
metadata:
  name: ghcr-creds
  namespace: argocd
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: {_b64('{"auths": {}}')}
"""


async def test_reads_the_seed_article_secret(tmp_path: Path) -> None:
    _write(tmp_path, "ghcr-creds.yaml", SEED_SECRET)
    assert await SecretFiles(tmp_path).get_secret("argocd", "ghcr-creds") == {
        ".dockerconfigjson": b'{"auths": {}}'
    }


async def test_multi_document_recursive_yml_and_default_namespace(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "a/b/many.yml",
        "---\nkind: ConfigMap\nmetadata: {name: ignored}\n---\n"
        f"kind: Secret\nmetadata: {{name: one}}\nstringData: {{creds: 'bot:{PASSWORD}'}}\n"
        "---\n"
        f"kind: Secret\nmetadata: {{name: two, namespace: ci}}\ndata: {{creds: {_b64('x:y')}}}\n---\n",
    )
    files = SecretFiles(tmp_path)
    assert await files.get_secret("default", "one") == {"creds": f"bot:{PASSWORD}".encode()}
    assert await files.get_secret("ci", "two") == {"creds": b"x:y"}


async def test_string_data_wins_over_data(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "s.yaml",
        f"kind: Secret\nmetadata: {{name: s}}\ndata: {{a: {_b64('old')}, b: {_b64('kept')}}}\n"
        "stringData: {a: new}\n",
    )
    assert await SecretFiles(tmp_path).get_secret("default", "s") == {"a": b"new", "b": b"kept"}


async def test_base64_may_be_wrapped(tmp_path: Path) -> None:
    encoded = _b64("x" * 100)
    wrapped = "\n    ".join(encoded[i : i + 40] for i in range(0, len(encoded), 40))
    _write(tmp_path, "s.yaml", f"kind: Secret\nmetadata: {{name: s}}\ndata:\n  a: >-\n    {wrapped}\n")
    assert await SecretFiles(tmp_path).get_secret("default", "s") == {"a": b"x" * 100}


async def test_hidden_paths_are_skipped(tmp_path: Path) -> None:
    # A mounted Secret volume repeats every file under ..data/ and ..<timestamp>/.
    _write(tmp_path, "s.yaml", "kind: Secret\nmetadata: {name: s}\nstringData: {a: visible}\n")
    _write(tmp_path, "..data/s.yaml", "kind: Secret\nmetadata: {name: s}\nstringData: {a: hidden}\n")
    _write(tmp_path, ".git/x.yaml", "kind: Secret\nmetadata: {name: s}\n")
    _write(tmp_path, "notes.txt", "kind: Secret\nmetadata: {name: s}\n")
    assert await SecretFiles(tmp_path).get_secret("default", "s") == {"a": b"visible"}


async def test_missing_secret_names_namespace_and_name(tmp_path: Path) -> None:
    _write(tmp_path, "ghcr-creds.yaml", SEED_SECRET)
    with pytest.raises(CredentialError, match=r"^Secret argocd/other not found in .*; add a manifest"):
        await SecretFiles(tmp_path).get_secret("argocd", "other")


async def test_duplicate_names_both_files(tmp_path: Path) -> None:
    first = _write(tmp_path, "a.yaml", SEED_SECRET)
    second = _write(tmp_path, "sub/b.yml", SEED_SECRET)
    with pytest.raises(CredentialError) as caught:
        await SecretFiles(tmp_path).get_secret("argocd", "ghcr-creds")
    assert str(caught.value) == (
        f"Secret argocd/ghcr-creds is defined twice: in {first} and in {second}; remove one"
    )


async def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="does not exist or is not a directory"):
        await SecretFiles(tmp_path / "nope").get_secret("a", "b")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            f"kind: Secret\nstringData: {{a: '{PASSWORD}\n", ": line 3: not valid YAML", id="bad-yaml"
        ),
        pytest.param(
            f"kind: Secret\nmetadata: {{name: s}}\nstringData:\n\t a: {PASSWORD}\n",
            ": line 4: not valid YAML",
            id="tab",
        ),
        pytest.param(
            f"kind: Secret\nstringData: {{a: {PASSWORD}}}\n", "document 1: the Secret has no metadata.name"
        ),
        pytest.param(
            "---\nkind: Secret\nmetadata: {name: a}\n---\nkind: Secret\nmetadata: {name: b, namespace: 3}\n",
            "document 2: metadata.namespace must be a non-empty string",
            id="namespace-int",
        ),
        pytest.param(
            f"kind: Secret\nmetadata: {{name: s}}\ndata: {{a: '{PASSWORD}!'}}\n",
            'document 1 (Secret default/s): data "a": is not valid base64; put plain text under stringData',
            id="data-not-base64",
        ),
        pytest.param(
            "kind: Secret\nmetadata: {name: s}\ndata: {a: 12}\n",
            'data "a": must be a base64 string (quote it)',
            id="data-int",
        ),
        pytest.param(
            "kind: Secret\nmetadata: {name: s}\nstringData: {a: 12}\n",
            'stringData "a": must be a string (quote it)',
            id="string-data-int",
        ),
        pytest.param(
            f"kind: Secret\nmetadata: {{name: s}}\ndata: ['{PASSWORD}']\n",
            "data must be a mapping of field names to strings",
            id="data-list",
        ),
    ],
)
async def test_malformed_file_names_it_without_quoting_it(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, "bad.yaml", text)
    with pytest.raises(CredentialError) as caught:
        await SecretFiles(tmp_path).get_secret("default", "s")
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)
    assert PASSWORD not in str(caught.value)


async def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "bin.yaml").write_bytes(b"kind: Secret\n\xff\xfe")
    with pytest.raises(CredentialError, match=r"bin\.yaml: not valid UTF-8 YAML"):
        await SecretFiles(tmp_path).get_secret("default", "s")


async def test_files_are_read_again_on_each_lookup(tmp_path: Path) -> None:
    path = _write(tmp_path, "s.yaml", "kind: Secret\nmetadata: {name: s}\nstringData: {a: one}\n")
    files = SecretFiles(tmp_path)
    assert await files.get_secret("default", "s") == {"a": b"one"}
    path.write_text("kind: Secret\nmetadata: {name: s}\nstringData: {a: two}\n")
    assert await files.get_secret("default", "s") == {"a": b"two"}
