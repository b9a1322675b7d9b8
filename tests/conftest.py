"""Shared fixtures: real local registries (anonymous, htpasswd, token) and a leaked-task check.

One registry per auth mode per test session (they start in ~50 ms but share two cores with
everything else). Tests must not interfere through them: take a repository from `fresh_repo`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import itertools
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from devtools import oci
from devtools.registry import LocalRegistry, start_registry, start_token_registry
from devtools.tokenserver import TokenServer

REGISTRY_USER = "tester"
REGISTRY_PASSWORD = "correct-horse-battery"
CREATED = dt.datetime(2024, 1, 15, 12, 0, tzinfo=dt.UTC)

_repo_numbers = itertools.count()


@dataclass(frozen=True, slots=True)
class PushedImage:
    """An image pushed for one test: where it is and what it is."""

    registry: LocalRegistry
    repository: str
    tag: str
    digest: str
    created: dt.datetime


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    """An anonymous registry: anyone may pull, push and delete."""
    with start_registry(tmp_path_factory.mktemp("registry-anonymous")) as running:
        yield running


@pytest.fixture(scope="session")
def registry_auth() -> oci.BasicAuth:
    """The (user, password) that `registry_htpasswd` and `registry_token` accept."""
    return (REGISTRY_USER, REGISTRY_PASSWORD)


@pytest.fixture(scope="session")
def registry_htpasswd(
    tmp_path_factory: pytest.TempPathFactory, registry_auth: oci.BasicAuth
) -> Iterator[LocalRegistry]:
    """A registry behind Basic auth: every request, pulls included, needs `registry_auth`."""
    user, password = registry_auth
    workdir = tmp_path_factory.mktemp("registry-htpasswd")
    with start_registry(workdir, auth="htpasswd", users={user: password}) as running:
        yield running


@pytest.fixture(scope="session")
def registry_token(
    tmp_path_factory: pytest.TempPathFactory, registry_auth: oci.BasicAuth
) -> Iterator[LocalRegistry]:
    """A registry behind a token server: `registry_auth` may pull, push and delete; anonymous may pull."""
    user, password = registry_auth
    with start_token_registry(tmp_path_factory.mktemp("registry-token"), users={user: password}) as running:
        yield running


@pytest.fixture(scope="session")
def token_server(registry_token: LocalRegistry) -> TokenServer:
    """The token server behind `registry_token` (`tokens_issued`, `issued`, `expires_in`)."""
    assert registry_token.token_server is not None
    return registry_token.token_server


@pytest.fixture
def fresh_repo(request: pytest.FixtureRequest) -> str:
    """A repository name no other test uses, derived from the test name (`t/test-foo-a-3`)."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:60].strip("-")
    return f"t/{slug or 'test'}-{next(_repo_numbers)}"


@pytest.fixture
def pushed_image(registry: LocalRegistry, fresh_repo: str) -> PushedImage:
    """One linux/amd64 image tagged `1.0.0` in a fresh repository of the anonymous registry."""
    digest = oci.push_image(registry.url, fresh_repo, "1.0.0", created=CREATED)
    return PushedImage(registry, fresh_repo, "1.0.0", digest, CREATED)


@pytest.fixture(autouse=True)
def _private_cache_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own XDG cache directory, so no run starts warm from another test's cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


@pytest.fixture(autouse=True)
def _no_leaked_tasks(request: pytest.FixtureRequest) -> None:
    """Fail an async test that leaves asyncio tasks running (they would hide lost errors)."""
    if inspect.iscoroutinefunction(getattr(request, "function", None)):
        request.getfixturevalue("_task_leak_guard")


@pytest.fixture
async def _task_leak_guard() -> AsyncIterator[None]:
    before = asyncio.all_tasks()
    yield
    for _ in range(3):  # let cancellations and connection closes that are already scheduled finish
        await asyncio.sleep(0)
    leaked = asyncio.all_tasks() - before - {asyncio.current_task()}
    for task in leaked:
        task.cancel()
    if leaked:
        names = ", ".join(sorted(task.get_name() for task in leaked))
        pytest.fail(f"the test left {len(leaked)} asyncio task(s) running: {names}")
