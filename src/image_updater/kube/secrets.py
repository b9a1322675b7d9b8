"""Reads Secrets from the cluster: pull secrets and credentials, and Argo CD repository secrets.

`ClusterSecrets` is the cluster's `credentials.SecretSource`. Values are decoded to bytes here and
never appear in a message, a repr or a log; errors name only the namespace, the name and the key.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kubernetes_asyncio.client import CoreV1Api
from kubernetes_asyncio.client.exceptions import ApiException

from image_updater.errors import CredentialError
from image_updater.kube.calling import Api, call

SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"
RepositorySecretType = Literal["repository", "repo-creds"]
NOT_FOUND = 404


@dataclass(frozen=True, slots=True)
class RepositorySecret:
    """An Argo CD repository Secret: `repository` matches its `url` exactly, `repo-creds` by prefix."""

    name: str
    secret_type: RepositorySecretType
    data: Mapping[str, bytes] = field(repr=False)


class ClusterSecrets:
    """Secrets read through the Kubernetes API, one request per call (no caching)."""

    __slots__ = ("_api",)

    def __init__(self, api: Api) -> None:
        self._api = api

    async def get_secret(self, namespace: str, name: str) -> dict[str, bytes]:
        """The decoded `data` of Secret `namespace/name`; CredentialError when it does not exist."""
        request = CoreV1Api(self._api.client).read_namespaced_secret(name, namespace)
        try:
            secret = await call(
                self._api, request, action=f"read Secret {namespace}/{name}", passthrough=(NOT_FOUND,)
            )
        except ApiException as exc:
            raise CredentialError(
                f"Secret {namespace}/{name} does not exist; create it or fix the credential reference"
            ) from exc
        return _decoded(self._api.to_json(secret), where=f"{namespace}/{name}")

    async def list_repository_secrets(self, namespace: str) -> list[RepositorySecret]:
        """Argo CD `repository` and `repo-creds` Secrets of `namespace`, sorted by name."""
        request = CoreV1Api(self._api.client).list_namespaced_secret(
            namespace, label_selector=f"{SECRET_TYPE_LABEL} in (repository,repo-creds)"
        )
        listing = self._api.to_json(
            await call(self._api, request, action=f"list repository Secrets in namespace {namespace}")
        )
        return sorted((_repository_secret(item, namespace) for item in listing.get("items") or []), key=_name)


def _repository_secret(item: dict[str, Any], namespace: str) -> RepositorySecret:
    name = str(item["metadata"]["name"])
    kind = (item["metadata"].get("labels") or {}).get(SECRET_TYPE_LABEL)
    secret_type: RepositorySecretType = "repo-creds" if kind == "repo-creds" else "repository"
    return RepositorySecret(name, secret_type, _decoded(item, where=f"{namespace}/{name}"))


def _decoded(secret: dict[str, Any], *, where: str) -> dict[str, bytes]:
    decoded: dict[str, bytes] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            decoded[str(key)] = base64.b64decode(str(value), validate=True)
        except binascii.Error as exc:
            raise CredentialError(f"Secret {where} field {key!r} is not valid base64") from exc
    return decoded


def _name(secret: RepositorySecret) -> str:
    return secret.name
