"""Replays of signed requests and the JSON bounds every parser shares."""

from __future__ import annotations

import pytest

from image_updater.errors import InvalidWebhook, WebhookAuthError
from image_updater.webhooks.requests import MAX_DEPTH
from image_updater.webhooks.secrets import ReplayGuard
from tests.webhooks.helpers import BEARER, hub_signature, payload, received, request

SIGNED = {"X-GitHub-Event": "package", "X-Hub-Signature-256": hub_signature(payload("ghcr.json"))}


def test_a_replayed_signed_request_is_refused_within_the_window() -> None:
    replays = ReplayGuard(window=600)
    assert received(request("ghcr.io", payload("ghcr.json"), headers=SIGNED, at=0), replays=replays)
    with pytest.raises(WebhookAuthError, match=r"^webhook type ghcr.io: .*already received \(a replay\)$"):
        received(request("ghcr.io", payload("ghcr.json"), headers=SIGNED, at=599), replays=replays)


def test_after_the_window_the_signature_is_forgotten() -> None:
    replays = ReplayGuard(window=600)
    received(request("ghcr.io", payload("ghcr.json"), headers=SIGNED, at=0), replays=replays)
    assert received(request("ghcr.io", payload("ghcr.json"), headers=SIGNED, at=601), replays=replays)


def test_the_guard_forgets_the_oldest_beyond_its_capacity() -> None:
    replays = ReplayGuard(capacity=2)
    for index in range(3):
        replays.check(request("ghcr.io", b"", at=index), f"sig-{index}")
    replays.check(request("ghcr.io", b"", at=3), "sig-0")  # forgotten, so accepted again
    with pytest.raises(WebhookAuthError):
        replays.check(request("ghcr.io", b"", at=4), "sig-2")


def test_a_refused_signature_is_not_remembered() -> None:
    replays = ReplayGuard()
    wrong = {**SIGNED, "X-Hub-Signature-256": hub_signature(b"other")}
    with pytest.raises(WebhookAuthError, match="does not match"):
        received(request("ghcr.io", payload("ghcr.json"), headers=wrong), replays=replays)
    assert received(request("ghcr.io", payload("ghcr.json"), headers=SIGNED), replays=replays)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            b'{"events": ' + b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1) + b"}", id="over-the-bound"
        ),
        pytest.param(b'{"events": ' + b"[" * 200_000, id="deeper-than-the-parser-recurses"),
        pytest.param(b'{"events": [' + b'{"a":' * 100 + b"1" + b"}" * 100 + b"]}", id="deep-objects"),
    ],
)
def test_deep_json_is_one_line_error(body: bytes) -> None:
    with pytest.raises(
        InvalidWebhook, match=r"^webhook type distribution: the (JSON is nested|body is not valid)"
    ):
        received(request("distribution", body, headers=BEARER))
