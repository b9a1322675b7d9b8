"""Secrets and Argo CD repository Secrets read through the real client from the fake API server."""

from __future__ import annotations

import base64

import pytest

from image_updater.credentials import SecretSource
from image_updater.errors import CredentialError
from image_updater.kube import Api, ClusterSecrets, RepositorySecret
from tests.kube.fakeapi import FakeKube

SECRETS = ("v1", "secrets")
PASSWORD = b"s3cr3t-do-not-print"


def secret(namespace: str, name: str, data: dict[str, bytes], labels: dict[str, str] | None = None) -> dict:
    encoded = {key: base64.b64encode(value).decode() for key, value in data.items()}
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels or {}}, "data": encoded}


def repo_secret(name: str, kind: str, url: str) -> dict:
    labels = {"argocd.argoproj.io/secret-type": kind}
    return secret("argocd", name, {"url": url.encode(), "password": PASSWORD}, labels)


async def test_reads_and_decodes_a_secret(fake: FakeKube, api: Api) -> None:
    fake.put(*SECRETS, secret("apps", "pull", {".dockerconfigjson": b'{"auths":{}}', "token": PASSWORD}))
    source: SecretSource = ClusterSecrets(api)
    assert await source.get_secret("apps", "pull") == {
        ".dockerconfigjson": b'{"auths":{}}',
        "token": PASSWORD,
    }
    assert fake.requests[-1].path == "/api/v1/namespaces/apps/secrets/pull"


async def test_a_secret_without_data_is_empty(fake: FakeKube, api: Api) -> None:
    fake.put(*SECRETS, {"metadata": {"name": "empty", "namespace": "apps"}})
    assert await ClusterSecrets(api).get_secret("apps", "empty") == {}


async def test_a_missing_secret_is_a_credential_error_naming_it(fake: FakeKube, api: Api) -> None:
    fake.put(*SECRETS, secret("apps", "other", {"token": PASSWORD}))
    with pytest.raises(CredentialError, match="Secret apps/pull does not exist") as caught:
        await ClusterSecrets(api).get_secret("apps", "pull")
    assert PASSWORD.decode() not in str(caught.value)
    assert (api.counter.requests, api.counter.errors) == (1, 1)


async def test_invalid_base64_names_the_key_not_the_value(fake: FakeKube, api: Api) -> None:
    fake.put(*SECRETS, {"metadata": {"name": "bad", "namespace": "apps"}, "data": {"token": "s3cr3t!!"}})
    with pytest.raises(CredentialError, match="Secret apps/bad field 'token' is not valid base64") as caught:
        await ClusterSecrets(api).get_secret("apps", "bad")
    assert "s3cr3t" not in str(caught.value)


async def test_lists_repository_secrets_by_label(fake: FakeKube, api: Api) -> None:
    fake.put(*SECRETS, repo_secret("repo-b", "repository", "https://git.example/b.git"))
    fake.put(*SECRETS, repo_secret("creds-a", "repo-creds", "https://git.example/"))
    fake.put(*SECRETS, repo_secret("cluster-x", "cluster", "https://k8s.example"))
    fake.put(*SECRETS, secret("argocd", "unlabelled", {"url": b"https://git.example/c.git"}))
    fake.put(
        *SECRETS,
        {**repo_secret("elsewhere", "repository", "https://x"), "metadata": {"name": "e", "namespace": "x"}},
    )

    found = await ClusterSecrets(api).list_repository_secrets("argocd")

    assert [(s.name, s.secret_type, s.data["url"]) for s in found] == [
        ("creds-a", "repo-creds", b"https://git.example/"),
        ("repo-b", "repository", b"https://git.example/b.git"),
    ]
    assert (
        fake.requests[-1].query["labelSelector"]
        == "argocd.argoproj.io/secret-type in (repository,repo-creds)"
    )
    assert PASSWORD.decode() not in repr(found)


def test_repository_secret_repr_hides_data() -> None:
    assert "password" not in repr(RepositorySecret("r", "repository", {"password": PASSWORD}))
