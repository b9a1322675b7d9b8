"""The distribution family (`distribution`, `gitlab`, `acr`): the envelope's push events become
pushes, everything else is skipped; each type's secret is checked as its sender sends it."""

from __future__ import annotations

import json

import pytest

from image_updater.errors import InvalidWebhook, WebhookAuthError
from image_updater.webhooks.events import RegistryPush
from tests.webhooks.helpers import SECRET, payload, received, request

BEARER = {"Authorization": f"Bearer {SECRET}"}


def test_the_envelope_yields_the_manifest_push_and_skips_blob_pushes_and_pulls() -> None:
    pushes = received(request("distribution", payload("distribution.json"), headers=BEARER))
    assert pushes == (RegistryPush("registrycluster.local", "library/test", "latest"),)


def test_registry_url_names_the_host_image_references_use() -> None:
    hook = request(
        "distribution", payload("distribution.json"), headers=BEARER, query={"registry_url": "LocalHost:5000"}
    )
    assert received(hook) == (RegistryPush("localhost:5000", "library/test", "latest"),)


def _event(repository: str, tag: str, host: str = "registry.local:5000") -> dict[str, object]:
    return {
        "id": f"{repository}-{tag}",
        "action": "push",
        "target": {"repository": repository, "tag": tag},
        "request": {"host": host},
    }


def test_an_invalid_event_is_skipped_and_the_others_kept() -> None:
    events = [
        _event("Team/App", "1.0"),
        _event("team/app", "1.1"),
        _event("team/app", "2.0", host="no host!"),
    ]
    body = json.dumps({"events": events}).encode()
    assert received(request("distribution", body, headers=BEARER)) == (
        RegistryPush("registry.local:5000", "team/app", "1.1"),
    )


def test_repeated_events_for_one_tag_are_one_push() -> None:
    body = json.dumps({"events": [_event("team/app", "1.0"), _event("team/app", "1.0")]}).encode()
    assert len(received(request("distribution", body, headers=BEARER))) == 1


@pytest.mark.parametrize(
    ("kind", "headers", "message"),
    [
        pytest.param("distribution", {}, "Authorization header is missing", id="distribution-missing"),
        pytest.param(
            "distribution", {"Authorization": SECRET}, "does not carry", id="distribution-no-bearer"
        ),
        pytest.param(
            "distribution", {"Authorization": "Bearer wrong"}, "does not carry", id="distribution-wrong"
        ),
        pytest.param("gitlab", {"Authorization": f"Bearer {SECRET}"}, "does not carry", id="gitlab-bearer"),
        pytest.param("gitlab", {"Authorization": "wrong"}, "does not carry", id="gitlab-wrong"),
        pytest.param("acr", {}, "Authorization header is missing", id="acr-missing"),
    ],
)
def test_a_wrong_or_missing_secret_is_refused(kind: str, headers: dict[str, str], message: str) -> None:
    with pytest.raises(WebhookAuthError, match=rf"^webhook type {kind}: .*{message}"):
        received(request(kind, payload("distribution.json"), headers=headers))


def test_gitlab_sends_the_secret_as_the_whole_authorization_header() -> None:
    hook = request("gitlab", payload("distribution.json"), headers={"Authorization": SECRET})
    assert received(hook) == (RegistryPush("registrycluster.local", "library/test", "latest"),)


def test_a_type_without_a_secret_refuses_unless_secrets_are_not_required() -> None:
    hook = request("distribution", payload("distribution.json"))
    with pytest.raises(WebhookAuthError, match=r"no secret is configured; set --distribution-webhook-secret"):
        received(hook, secret=None)
    assert received(hook, secret=None, require_secret=False)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"not json", id="not-json"),
        pytest.param(b"[]", id="not-an-object"),
        pytest.param(b'{"events": {}}', id="events-not-a-list"),
        pytest.param(b"\xff\xfe", id="not-utf8"),
    ],
)
def test_a_malformed_envelope_is_refused(body: bytes) -> None:
    with pytest.raises(InvalidWebhook, match=r"^webhook type distribution: "):
        received(request("distribution", body, headers=BEARER))


def test_acr_push_uses_the_request_host() -> None:
    hook = request("acr", payload("acr.json"), headers={"Authorization": SECRET})
    assert received(hook) == (RegistryPush("myregistry.azurecr.io", "hello-world", "v1"),)


@pytest.mark.parametrize(
    ("event", "pushes"),
    [
        pytest.param({"action": "ping"}, (), id="ping"),
        pytest.param({"action": "delete", "target": {"repository": "a"}}, (), id="delete"),
        pytest.param(
            {
                "action": "push",
                "target": {"repository": "a", "digest": "sha256:x"},
                "request": {"host": "r.io"},
            },
            (RegistryPush("r.io", "a", None),),
            id="push-by-digest",
        ),
    ],
)
def test_acr_events_that_are_not_tag_pushes(
    event: dict[str, object], pushes: tuple[RegistryPush, ...]
) -> None:
    hook = request("acr", json.dumps(event).encode(), headers={"Authorization": SECRET})
    assert received(hook) == pushes


def test_acr_push_without_a_repository_is_refused() -> None:
    hook = request("acr", b'{"action": "push", "target": {"tag": "v1"}}', headers={"Authorization": SECRET})
    with pytest.raises(InvalidWebhook, match=r"names no target.repository"):
        received(hook)
