"""Each provider's documented example payload, with its secret sent as the provider sends it,
becomes the push it describes; wrong and missing secrets are refused per type."""

from __future__ import annotations

import json

import pytest

from image_updater.errors import InvalidWebhook, WebhookAuthError
from image_updater.webhooks.events import RegistryPush
from image_updater.webhooks.requests import WebhookRequest
from tests.webhooks.helpers import SECRET, hub_signature, payload, received, request

GITHUB = {"X-GitHub-Event": "package", "X-Hub-Signature-256": hub_signature(payload("ghcr.json"))}
AUTH = {"Authorization": SECRET}
QUERY = {"secret": SECRET}


@pytest.mark.parametrize(
    ("hook", "push"),
    [
        pytest.param(
            request("docker.io", payload("dockerhub.json"), query=QUERY),
            RegistryPush("docker.io", "svendowideit/testhook", "latest"),
            id="docker-hub",
        ),
        pytest.param(
            request("ghcr.io", payload("ghcr.json"), headers=GITHUB),
            RegistryPush("ghcr.io", "octo-org/hello-world", "v1.0.0"),
            id="ghcr",
        ),
        pytest.param(
            request("quay.io", payload("quay.json"), query=QUERY),
            RegistryPush("quay.io", "mynamespace/repository", "latest"),
            id="quay",
        ),
        pytest.param(
            request("harbor", payload("harbor.json"), headers=AUTH),
            RegistryPush("hub.harbor.com", "test-webhook/debian", "latest"),
            id="harbor",
        ),
        pytest.param(
            request("aliyun-acr", payload("aliyun.json"), query=QUERY),
            RegistryPush("registry.cn-hangzhou.aliyuncs.com", "namespace/repotest", "latest"),
            id="aliyun-acr",
        ),
        pytest.param(
            request(
                "aliyun-acr",
                payload("aliyun.json"),
                query={**QUERY, "registry_url": "inst-registry.cn-shanghai.cr.aliyuncs.com"},
            ),
            RegistryPush("inst-registry.cn-shanghai.cr.aliyuncs.com", "namespace/repotest", "latest"),
            id="aliyun-acr-registry-url",
        ),
        pytest.param(
            request("cloudevents", payload("cloudevents-ecr.json"), headers={"X-Webhook-Secret": SECRET}),
            RegistryPush("123456789012.dkr.ecr.us-east-1.amazonaws.com", "my-app", "v1.2.3"),
            id="cloudevents-ecr",
        ),
        pytest.param(
            request("cloudevents", payload("cloudevents-generic.json"), query=QUERY),
            RegistryPush("registry.example.com", "myapp/backend", "v2.0.0"),
            id="cloudevents-generic",
        ),
        pytest.param(
            request("acr", payload("acr.json"), headers=AUTH),
            RegistryPush("myregistry.azurecr.io", "hello-world", "v1"),
            id="azure-acr",
        ),
    ],
)
def test_a_documented_payload_becomes_its_push(hook: WebhookRequest, push: RegistryPush) -> None:
    assert received(hook) == (push,)


def test_an_official_docker_hub_image_is_named_with_library() -> None:
    body = json.dumps({"repository": {"repo_name": "nginx"}, "push_data": {"tag": "1.27"}}).encode()
    assert received(request("docker.io", body, query=QUERY)) == (
        RegistryPush("docker.io", "library/nginx", "1.27"),
    )


@pytest.mark.parametrize(
    ("kind", "fixture", "query", "headers"),
    [
        pytest.param("docker.io", "dockerhub.json", {}, {}, id="docker-hub-missing"),
        pytest.param("docker.io", "dockerhub.json", {"secret": "nope"}, {}, id="docker-hub-wrong"),
        pytest.param(
            "docker.io", "dockerhub.json", {}, {"Authorization": SECRET}, id="docker-hub-in-a-header"
        ),
        pytest.param("quay.io", "quay.json", {"secret": SECRET + "x"}, {}, id="quay-longer"),
        pytest.param("aliyun-acr", "aliyun.json", {"secret": ""}, {}, id="aliyun-empty"),
        pytest.param("harbor", "harbor.json", QUERY, {}, id="harbor-in-the-query"),
        pytest.param("harbor", "harbor.json", {}, {"Authorization": f"Bearer {SECRET}"}, id="harbor-bearer"),
        pytest.param(
            "cloudevents", "cloudevents-ecr.json", {}, {"X-Webhook-Secret": "no"}, id="cloudevents-wrong"
        ),
        pytest.param("ghcr.io", "ghcr.json", {}, {"X-GitHub-Event": "package"}, id="ghcr-unsigned"),
        pytest.param(
            "ghcr.io",
            "ghcr.json",
            {},
            {"X-GitHub-Event": "package", "X-Hub-Signature-256": hub_signature(b"another body")},
            id="ghcr-signature-of-another-body",
        ),
        pytest.param(
            "ghcr.io",
            "ghcr.json",
            {},
            {
                "X-GitHub-Event": "package",
                "X-Hub-Signature-256": hub_signature(payload("ghcr.json"), "other"),
            },
            id="ghcr-signed-with-another-secret",
        ),
        pytest.param(
            "ghcr.io",
            "ghcr.json",
            QUERY,
            {"X-GitHub-Event": "package"},
            id="ghcr-secret-in-the-query",
        ),
    ],
)
def test_a_wrong_or_missing_secret_is_refused(
    kind: str, fixture: str, query: dict[str, str], headers: dict[str, str]
) -> None:
    with pytest.raises(WebhookAuthError, match=rf"^webhook type {kind}: "):
        received(request(kind, payload(fixture), query=query, headers=headers))


@pytest.mark.parametrize(
    ("kind", "body", "headers"),
    [
        pytest.param("ghcr.io", payload("ghcr.json"), {"X-GitHub-Event": "ping"}, id="ghcr-ping"),
        pytest.param(
            "ghcr.io",
            payload("ghcr.json").replace(b'"published"', b'"updated"'),
            {"X-GitHub-Event": "package"},
            id="ghcr-updated",
        ),
        pytest.param(
            "ghcr.io",
            payload("ghcr.json").replace(b'"name": "v1.0.0"', b'"name": ""'),
            {"X-GitHub-Event": "package"},
            id="ghcr-untagged",
        ),
        pytest.param(
            "harbor",
            payload("harbor.json").replace(b"PUSH_ARTIFACT", b"DELETE_ARTIFACT"),
            AUTH,
            id="harbor-delete",
        ),
    ],
)
def test_authenticated_events_that_are_not_pushes_name_nothing(
    kind: str, body: bytes, headers: dict[str, str]
) -> None:
    if kind == "ghcr.io":
        headers = {**headers, "X-Hub-Signature-256": hub_signature(body)}
    assert received(request(kind, body, headers=headers)) == ()


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        pytest.param(
            "docker.io", b'{"repository": {"repo_name": "a/b"}}', "no push_data.tag", id="docker-no-tag"
        ),
        pytest.param("docker.io", b'{"push_data": {"tag": "1"}}', "no repository", id="docker-no-repository"),
        pytest.param(
            "docker.io",
            b'{"repository": {"repo_name": "a/../b"}, "push_data": {"tag": "1"}}',
            "repository component",
            id="docker-path-traversal",
        ),
        pytest.param(
            "docker.io",
            b'{"repository": {"repo_name": "a/b"}, "push_data": {"tag": "1 2; rm -rf"}}',
            "is not a valid tag",
            id="docker-bad-tag",
        ),
        pytest.param(
            "quay.io", b'{"repository": "a/b", "updated_tags": []}', "no updated_tags", id="quay-no-tags"
        ),
        pytest.param(
            "quay.io",
            b'{"repository": "a/b", "docker_url": "evil host/a/b", "updated_tags": ["1"]}',
            "is not a host",
            id="quay-bad-host",
        ),
        pytest.param(
            "harbor",
            b'{"type": "PUSH_ARTIFACT", "event_data": {"resources": [{"resource_url": "harbor"}], '
            b'"repository": {"repo_full_name": "a/b"}}}',
            "is not a host",
            id="harbor-no-host",
        ),
        pytest.param(
            "aliyun-acr",
            b'{"repository": {"name": "a"}, "push_data": {"tag": "1"}}',
            "region",
            id="aliyun-no-region",
        ),
        pytest.param(
            "cloudevents", b'{"type": "com.amazon.ecr.image.push"}', "no specversion", id="ce-no-version"
        ),
        pytest.param(
            "cloudevents",
            b'{"specversion": "1.0", "type": "com.example.other"}',
            "unsupported",
            id="ce-other-type",
        ),
        pytest.param(
            "cloudevents",
            b'{"specversion": "1.0", "type": "com.amazon.ecr.image.push", "source": "x", '
            b'"data": {"repositoryName": "a", "imageTag": "1"}}',
            "no repository, tag or registry",
            id="ce-ecr-no-registry",
        ),
    ],
)
def test_a_payload_without_what_its_type_needs_is_refused(kind: str, body: bytes, message: str) -> None:
    with pytest.raises(InvalidWebhook, match=rf"^webhook type {kind}: .*{message}"):
        received(request(kind, body, query=QUERY, headers=AUTH))


def test_without_required_secrets_an_unconfigured_type_is_not_checked() -> None:
    assert received(request("quay.io", payload("quay.json")), secret=None, require_secret=False)


def test_a_configured_secret_is_checked_even_when_secrets_are_not_required() -> None:
    with pytest.raises(WebhookAuthError):
        received(request("quay.io", payload("quay.json")), require_secret=False)
