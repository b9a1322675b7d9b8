"""The git-branch setting (pure), and write branches against a real server (force only there)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pytest

from image_updater.changes import Change
from image_updater.errors import InvalidWriteBackConfig
from image_updater.refs import Digest, ImageRef, Tag
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_auth import HttpsAuth
from image_updater.writeback.git_branches import (
    BranchImage,
    TargetBranch,
    branch_template_data,
    changes_sha256,
    parse_git_branch,
)

if TYPE_CHECKING:
    from conftest import Remote


def change(repo: str, old: str, new: str, *, alias: str | None = None, registry: str = "") -> Change:
    return Change(
        alias=alias,
        old=ImageRef(registry=registry, repository=repo, tag=Tag(old)),
        new=ImageRef(registry=registry, repository=repo, tag=Tag(new)),
    )


WEB = change("org/web", "1.0.0", "1.1.0", alias="web", registry="ghcr.io")
API = change("api", "2.0.0", "2.0.1")

PARSE_CASES = [
    ("plain", "main", "HEAD", "main", None),
    ("empty-uses-target-revision", "", "release", "release", None),
    ("empty-and-head", "", "HEAD", "HEAD", None),
    ("base-and-template", "main:image-updater-{{.SHA256}}", "x", "main", "image-updater-{{.SHA256}}"),
    ("template-only", ":update-{{.AppName}}", "stable", "stable", "update-{{.AppName}}"),
    ("spaces-trimmed", " main : b-{{.AppName}} ", "x", "main", "b-{{.AppName}}"),
]


@pytest.mark.parametrize(
    ("annotation", "revision", "base", "template"),
    [c[1:] for c in PARSE_CASES],
    ids=[c[0] for c in PARSE_CASES],
)
def test_parse_git_branch(annotation: str, revision: str, base: str, template: str | None) -> None:
    spec = parse_git_branch(annotation, target_revision=revision)
    assert spec.base == base
    assert (spec.write_template.source if spec.write_template else None) == template


PARSE_ERRORS = [
    ("two-colons", "a:b:c", "more than one ':'"),
    ("empty-template", "main:", "template after ':' is empty"),
    ("bad-base", "ma..in", "not a valid git branch name"),
    ("bad-template", "main:x-{{ upper .AppName }}", 'template: git-branch:1: function "upper" not defined'),
]


@pytest.mark.parametrize(
    ("annotation", "problem"), [c[1:] for c in PARSE_ERRORS], ids=[c[0] for c in PARSE_ERRORS]
)
def test_parse_git_branch_errors(annotation: str, problem: str) -> None:
    with pytest.raises(InvalidWriteBackConfig, match=problem):
        parse_git_branch(annotation, target_revision="main")


def test_sha256_is_upstreams_formula() -> None:
    expected = hashlib.sha256(b"org/web-1.0.0-1.1.0,api-2.0.0-2.0.1,").hexdigest()
    assert changes_sha256([WEB, API]) == expected


def test_digest_is_used_as_tag_when_set() -> None:
    digest = Digest("sha256:" + "a" * 64)
    moved = Change(alias=None, old=ImageRef("", "app", Tag("1")), new=ImageRef("", "app", Tag("2"), digest))
    data = branch_template_data([moved], app_name="a", app_namespace="n")
    assert data.Images == (BranchImage(Name="app", Alias="", OldTag="1", NewTag=digest),)
    spec = parse_git_branch("main:u{{range .Images}}-{{.NewTag}}{{end}}", target_revision="")
    with pytest.raises(InvalidWriteBackConfig, match="not a valid git branch name"):  # ':' is not allowed
        spec.target(changes=[moved])


RENDER_CASES = [
    (
        "images",
        "main:image-updater{{range .Images}}-{{.Name}}-{{.NewTag}}{{end}}",
        "image-updater-org/web-1.1.0-api-2.0.1",
    ),
    ("sha", "main:image-updater-{{.SHA256}}", "image-updater-" + changes_sha256([WEB, API])),
    (
        "app",
        "main:{{.AppNamespace}}/{{.AppName}}{{range .Images}}{{if .Alias}}-{{.Alias}}{{end}}{{end}}",
        "argocd/shop-web",
    ),
    ("no-template", "main", None),
]


@pytest.mark.parametrize(
    ("annotation", "write"), [c[1:] for c in RENDER_CASES], ids=[c[0] for c in RENDER_CASES]
)
def test_write_branch_rendering(annotation: str, write: str | None) -> None:
    target = parse_git_branch(annotation, target_revision="").target(
        changes=[WEB, API], app_name="shop", app_namespace="argocd"
    )
    assert target == TargetBranch(base="main", write=write)


def test_rendered_name_truncated_to_255() -> None:
    many = [change(f"repo{i:03}", "1", "2") for i in range(40)]
    target = parse_git_branch("main:u{{range .Images}}-{{.Name}}{{end}}", target_revision="").target(
        changes=many
    )
    assert target.write is not None
    assert len(target.write) == 255


def test_rendered_name_must_be_a_valid_ref() -> None:
    spec = parse_git_branch("main:x {{.AppName}}", target_revision="")
    with pytest.raises(InvalidWriteBackConfig, match="not a valid git branch name"):
        spec.target(changes=[WEB], app_name="a")


async def test_write_branch_starts_from_base_then_is_reused_and_only_it_is_forced(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth
) -> None:
    main_before = remote.tip()
    spec = parse_git_branch("main:image-updater-{{.AppName}}", target_revision="")
    target = spec.target(changes=[WEB], app_name="guestbook")
    edits = {"apps/guestbook/values.yaml": lambda text: "image:\n  tag: 1.1.0\n"}
    first = await writer.write(
        repo_url=remote.http_url, branch=target, auth=https_auth, edits=edits, message="one"
    )
    assert first.branch == "image-updater-guestbook"
    assert remote.log("image-updater-guestbook")[0][1] == [main_before]  # started from main
    assert remote.tip() == main_before  # main untouched
    more = {"apps/shop/values.yaml": lambda text: "image:\n  tag: 2.1.0\n"}
    second = await writer.write(
        repo_url=remote.http_url, branch=target, auth=https_auth, edits=more, message="two"
    )
    assert remote.log("image-updater-guestbook")[0][1] == [first.commit]  # reused the existing write branch
    assert second.commit == remote.tip("image-updater-guestbook")
    await writer.write(
        repo_url=remote.http_url,
        branch=TargetBranch(base="main"),
        auth=https_auth,
        edits={"README.md": lambda text: "changed\n"},
        message="to main",
    )
    pushes = [argv for argv in writer.trace.argv if "push" in argv]
    assert [any(a.startswith("--force") for a in argv) for argv in pushes] == [True, True, False]
    assert all(argv[-1] == "HEAD:refs/heads/image-updater-guestbook" for argv in pushes[:2])
    assert not list(writer.cache.tree_dir(remote.http_url, "image-updater-guestbook").parent.glob("*/x"))
