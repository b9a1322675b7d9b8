"""The `.argocd-source-<app>.yaml` merge against upstream's own cases: kustomize images as
`mergeKustomizeOverride` merges them, Helm parameters in the order the file already has."""

from __future__ import annotations

import pytest

from image_updater.refs import parse_image
from image_updater.writeback import argocd_source
from image_updater.writeback.model import ManifestImage

SHA_A = "sha256:91734281c0ebfc6f1aea979cffeed5079cfe786228a71cc6f1f46a228cde6e34"
SHA_B = "sha256:1a2fe3f9f6d1d38d5a7ee35af732fdb7d15266ec3dbc79bbc0355742cd24d3ec"


def manifest_image(entry: str) -> ManifestImage:
    original, _, target = entry.rpartition("=")
    return ManifestImage(alias=None, image=parse_image(target), kustomize_name=original or None)


def images_file(entries: list[str]) -> str:
    return "kustomize:\n  images:\n" + "".join(f"  - {entry}\n" for entry in entries)


# upstream pkg/argocd/update_test.go Test_mergeKustomizeOverride (existing, new, expected)
@pytest.mark.parametrize(
    ("existing", "new", "expected"),
    [
        pytest.param(["nginx:foo"], ["nginx:foo"], ["nginx:foo"], id="upstream-with-tag"),
        pytest.param(["nginx:foo"], ["nginx"], ["nginx:foo"], id="upstream-no-tag-keeps-the-tag"),
        pytest.param(["nginx"], ["nginx:latest"], ["nginx:latest"], id="upstream-with-tag-1"),
        pytest.param(
            ["nginx:latest"], [f"nginx:latest@{SHA_A}"], [f"nginx:latest@{SHA_A}"], id="upstream-with-tag-sha"
        ),
        pytest.param(
            ["nginx:latest", f"bitnami/nginx:latest@{SHA_B}"],
            [f"nginx:latest@{SHA_A}", f"bitnami/nginx@{SHA_B}"],
            [f"nginx:latest@{SHA_A}", f"bitnami/nginx:latest@{SHA_B}"],
            id="upstream-2-images-same-digest-keeps-latest",
        ),
        pytest.param(
            ["quay.io/nginx:latest"],
            ["quay.io/nginx:latest"],
            ["quay.io/nginx:latest"],
            id="upstream-with-registry",
        ),
        pytest.param(
            ["quay.io/nginx:latest"],
            ["docker.io/nginx:latest"],
            ["quay.io/nginx:latest", "docker.io/nginx:latest"],
            id="upstream-with-registry-1",
        ),
        pytest.param([], ["nginx:foo"], ["nginx:foo"], id="upstream-add-to-empty"),
        pytest.param(
            ["docker.io/library/nginx:1.0.0"],
            ["nginx:1.0.1"],
            ["nginx:1.0.1"],
            id="upstream-docker-io",
        ),
        pytest.param(
            ["docker.io/jannfis/foobar:1.0.0"],
            ["jannfis/foobar:1.0.1"],
            ["jannfis/foobar:1.0.1"],
            id="upstream-docker-io-explicit-vs-implicit-with-org",
        ),
        pytest.param(
            ["123456.abc.ecr.us-east-1.amazonaws.com/myrepo:v1.0.0"],
            ["123456.abc.ecr.us-east-1.amazonaws.com/myrepo:v1.0.1"],
            ["123456.abc.ecr.us-east-1.amazonaws.com/myrepo:v1.0.1"],
            id="upstream-ecr-same-format-update",
        ),
        pytest.param(
            ["jannfis/foobar:1.0.0"],
            ["foobar=jannfis/foobar:1.0.1"],
            ["foobar=jannfis/foobar:1.0.1"],
            id="alias-replaces-the-entry-written-before-the-alias",
        ),
        pytest.param(
            ["foobar=jannfis/foobar:1.0.0"],
            ["foobar=jannfis/foobar:1.0.0"],
            ["foobar=jannfis/foobar:1.0.0"],
            id="alias-same-tag-unchanged",
        ),
        pytest.param(
            ["jannfis/foobar:1.0.1"],
            ["foobar=jannfis/foobar:1.0.1"],
            ["foobar=jannfis/foobar:1.0.1"],
            id="alias-same-tag-still-written-with-the-alias",
        ),
        pytest.param(
            ["service-a=jannfis/foobar:tag-a", "service-b=jannfis/foobar:tag-b"],
            ["service-b=jannfis/foobar:tag-c"],
            ["service-a=jannfis/foobar:tag-a", "service-b=jannfis/foobar:tag-c"],
            id="two-aliases-of-one-image-stay-apart",
        ),
    ],
)
def test_kustomize_images_merge_as_upstream(existing: list[str], new: list[str], expected: list[str]) -> None:
    after = argocd_source.apply(images_file(existing), [manifest_image(e) for e in new], kind="kustomize")
    assert after == images_file(expected)


def params_file(*params: tuple[str, str]) -> str:
    body = "".join(f"  - name: {name}\n    value: {value}\n    forcestring: true\n" for name, value in params)
    return "helm:\n  parameters:\n" + body


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        pytest.param(
            [("zeta", "z"), ("image.tag", "v1"), ("alpha", "a")],
            [("zeta", "z"), ("image.tag", "v2"), ("alpha", "a"), ("image.name", "ghcr.io/org/api")],
            id="unsorted-file-keeps-its-order-new-appended",
        ),
        pytest.param(
            [("alpha", "a"), ("image.tag", "v1"), ("zeta", "z")],
            [("alpha", "a"), ("image.name", "ghcr.io/org/api"), ("image.tag", "v2"), ("zeta", "z")],
            id="sorted-file-as-upstream-writes-it-stays-sorted",
        ),
        pytest.param([], [("image.name", "ghcr.io/org/api"), ("image.tag", "v2")], id="new-list-sorted"),
    ],
)
def test_helm_parameters_keep_the_order_of_the_file(
    existing: list[tuple[str, str]], expected: list[tuple[str, str]]
) -> None:
    api = manifest_image("ghcr.io/org/api:v2")
    assert argocd_source.apply(params_file(*existing), [api], kind="helm") == params_file(*expected)


def test_a_file_written_by_upstream_before_v1_2_is_not_rewritten() -> None:
    # upstream <= v1.1 appended parameters in the Application's order; the same values change nothing
    text = params_file(("image.tag", "v2"), ("image.name", "ghcr.io/org/api"))
    assert argocd_source.apply(text, [manifest_image("ghcr.io/org/api:v2")], kind="helm") == text


UNMANAGED = {
    # each scalar we do not manage keeps its spelling, so it means to Argo CD what it meant before
    "yaml11-bool-stays-plain": ("value: yes", "value: yes"),
    "quoted-stays-quoted": ("value: 'yes'", "value: 'yes'"),
    "float-looking-stays": ("value: 1.10", "value: 1.10"),
    "null-stays": ("value: ~", "value: ~"),
    "spaces-stay-plain": ("value: a b", "value: a b"),
    "escapes-stay": ('value: "tab\\there"', 'value: "tab\\there"'),
    "flow-becomes-block": ("value: {a: [1, 2]}", "value:\n      a:\n      - 1\n      - 2"),
    "alias-becomes-a-copy": ("value: &v x\n    other: *v", "value: x\n    other: x"),
}


@pytest.mark.parametrize(("before", "after"), UNMANAGED.values(), ids=UNMANAGED.keys())
def test_unmanaged_values_are_emitted_as_written(before: str, after: str) -> None:
    text = "helm:\n  parameters:\n  - name: a\n    " + before + "\n"
    expected = "helm:\n  parameters:\n  - name: a\n    " + after + "\n"
    expected += "  - name: image.name\n    value: ghcr.io/org/api\n    forcestring: true\n"
    expected += "  - name: image.tag\n    value: v2\n    forcestring: true\n"
    assert argocd_source.apply(text, [manifest_image("ghcr.io/org/api:v2")], kind="helm") == expected
