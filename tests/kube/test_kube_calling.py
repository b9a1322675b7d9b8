"""API failures become our error tree at one edge, and every request is counted."""

from __future__ import annotations

import socket

import pytest
from kubernetes_asyncio.client import ApiClient, Configuration, CoreV1Api

from image_updater.errors import ConfigError, ImageUpdaterError, TransientError
from image_updater.kube import Api, ClusterSecrets, get_application, list_applications
from image_updater.kube.calling import call
from tests.kube.conftest import APPS, application
from tests.kube.fakeapi import FakeKube


@pytest.mark.parametrize(
    ("code", "reason", "error", "message"),
    [
        pytest.param(
            401, "Unauthorized", ConfigError, "rejected our credentials; check the kubeconfig", id="401"
        ),
        pytest.param(
            403, "Forbidden", ConfigError, "forbidden; grant the service account RBAC access", id="403"
        ),
        pytest.param(429, "TooManyRequests", TransientError, "answered 429", id="429"),
        pytest.param(500, "InternalError", TransientError, "answered 500", id="500"),
        pytest.param(422, "Invalid", ImageUpdaterError, "rejected the request with 422", id="422"),
    ],
)
async def test_statuses_are_translated(
    fake: FakeKube, api: Api, code: int, reason: str, error: type[Exception], message: str
) -> None:
    fake.put(*APPS, application("argocd", "guestbook"))
    fake.fail_next(code, reason)
    with pytest.raises(error, match=message) as caught:
        await get_application(api, "argocd", "guestbook")
    assert type(caught.value) is error
    assert str(caught.value).startswith("cannot get Application argocd/guestbook: ")
    assert (api.counter.requests, api.counter.errors) == (1, 1)


async def test_server_message_is_quoted_on_one_line(fake: FakeKube, api: Api) -> None:
    fake.fail_next(403, "Forbidden")
    with pytest.raises(
        ConfigError, match=r"\(injected Forbidden for GET /apis/argoproj.io/v1alpha1/applications\)"
    ):
        await list_applications(api)


async def test_secret_lookup_failures_other_than_404_are_not_credential_errors(
    fake: FakeKube, api: Api
) -> None:
    fake.fail_next(403, "Forbidden")
    with pytest.raises(ConfigError, match="cannot read Secret apps/pull: forbidden"):
        await ClusterSecrets(api).get_secret("apps", "pull")


async def test_an_unreachable_server_is_transient() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with ApiClient(configuration=Configuration(host=f"http://127.0.0.1:{port}")) as client:
        api = Api(client)
        with pytest.raises(TransientError, match="the Kubernetes API is unreachable"):
            await list_applications(api, namespaces=["argocd"])
    assert (api.counter.requests, api.counter.errors) == (1, 1)


async def test_a_server_that_never_answers_is_transient_after_the_request_timeout() -> None:
    # kubernetes_asyncio sends without a timeout: `call` bounds every request (docs/security.md)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # handshakes complete, nobody answers
        port = listener.getsockname()[1]
        async with ApiClient(configuration=Configuration(host=f"http://127.0.0.1:{port}")) as client:
            api = Api(client)
            request = CoreV1Api(client).list_namespace()
            with pytest.raises(
                TransientError, match="cannot list namespaces: the Kubernetes API is unreachable"
            ):
                await call(api, request, action="list namespaces", seconds=0.2)
    assert (api.counter.requests, api.counter.errors) == (1, 1)
