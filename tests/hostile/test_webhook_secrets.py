"""The webhook sender (docs/security.md): without the type's secret nothing reaches `on_push`, for
every type and every way of getting the secret wrong; a type with no configured secret refuses
everything; a signed request cannot be replayed; the answer never says whether a repository is
watched, and never carries the secret."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from image_updater.runtime.webhook_server import ACCEPTED
from image_updater.webhooks.events import RegistryPush
from image_updater.webhooks.receiving import TYPES
from tests.webhooks.helpers import SECRET, hub_signature, payload
from tests.webhooks.serving import PLAIN, post, webhook_server

EVERY = replace(PLAIN, secrets=dict.fromkeys(TYPES, SECRET))
FIXTURE = {
    "docker.io": "dockerhub.json",
    "ghcr.io": "ghcr.json",
    "quay.io": "quay.json",
    "harbor": "harbor.json",
    "aliyun-acr": "aliyun.json",
    "cloudevents": "cloudevents-ecr.json",
    "acr": "acr.json",
    "distribution": "distribution.json",
    "gitlab": "distribution.json",
}
# Every place a secret could travel, each with a guess: none of them may open any type.
GUESSES = {
    "nothing": ({}, {}),
    "empty-query": ({"secret": ""}, {}),
    "wrong-query": ({"secret": SECRET[:-1]}, {}),
    "prefix-query": ({"secret": SECRET + "x"}, {}),
    "wrong-header": ({}, {"Authorization": "guess", "X-Webhook-Secret": "guess"}),
    "empty-bearer": ({}, {"Authorization": "Bearer "}),
    "unicode": ({"secret": "s3cret-välue"}, {"Authorization": "Bearer s3cret-välue"}),
    "github-unsigned": ({}, {"X-GitHub-Event": "package", "X-Hub-Signature-256": "sha256="}),
}


def test_every_type_has_a_fixture() -> None:
    assert set(FIXTURE) == set(TYPES)


@pytest.mark.parametrize("kind", sorted(TYPES))
@pytest.mark.parametrize("guess", sorted(GUESSES))
async def test_no_guess_opens_any_type(kind: str, guess: str) -> None:
    query, headers = GUESSES[guess]
    async with webhook_server(EVERY) as server:
        url = f"{server.url}/webhook?type={kind}&" + "&".join(f"{k}={v}" for k, v in query.items())
        status, text = await post(url, payload(FIXTURE[kind]), headers)
        assert status == 401
        assert SECRET not in text
        assert server.recorder.pushes == []
        assert server.count(kind, "refused") == 1


@pytest.mark.parametrize("kind", sorted(TYPES))
async def test_a_type_without_a_configured_secret_refuses_everything(kind: str) -> None:
    others = replace(PLAIN, secrets={name: SECRET for name in TYPES if name != kind})
    headers = {"Authorization": SECRET, "X-Webhook-Secret": SECRET, "X-GitHub-Event": "package"}
    headers["X-Hub-Signature-256"] = hub_signature(payload(FIXTURE[kind]))
    async with webhook_server(others) as server:
        url = f"{server.url}/webhook?type={kind}&secret={SECRET}"
        status, text = await post(url, payload(FIXTURE[kind]), headers)
        assert (status, server.recorder.pushes) == (401, [])
        assert "no secret is configured" in text


async def test_a_signed_github_delivery_cannot_be_replayed() -> None:
    body = payload("ghcr.json")
    headers = {"X-GitHub-Event": "package", "X-Hub-Signature-256": hub_signature(body)}
    async with webhook_server(EVERY) as server:
        url = f"{server.url}/webhook?type=ghcr.io"
        assert await post(url, body, headers) == (200, ACCEPTED)
        status, text = await post(url, body, {**headers, "X-GitHub-Delivery": "another-id"})
        assert (status, "replay" in text) == (401, True)
        assert len(server.recorder.pushes) == 1


async def test_the_answer_is_the_same_for_watched_unwatched_and_unknown_repositories() -> None:
    watched = {"library/test"}

    async def on_push(pushes: Sequence[RegistryPush]) -> None:
        if not watched & {push.repository for push in pushes}:
            raise LookupError(f"nothing watches {pushes[0].repository}")

    bodies = [
        payload("distribution.json"),
        payload("distribution.json").replace(b'"library/test"', b'"team/unwatched"'),
        payload("distribution.json").replace(b'"library/test"', b'"no/such/repository/anywhere"'),
    ]
    headers = {"Authorization": f"Bearer {SECRET}"}
    async with webhook_server(EVERY, on_push=on_push) as server:
        url = f"{server.url}/webhook?type=distribution"
        answers = {await post(url, body, headers) for body in bodies}
        assert answers == {(200, ACCEPTED)}
