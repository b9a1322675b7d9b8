"""`test --kubeconfig`: pull secrets read from a cluster (the fake API server) for a private registry."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from devtools import oci
from devtools.registry import LocalRegistry
from image_updater.errors import CredentialError
from image_updater.runtime.tagcheck import CheckOptions, check_image
from tests.runtime.conftest import Cluster


def dockerconfig(host: str, user: str, password: str) -> dict[str, str]:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    config = json.dumps({"auths": {host: {"username": user, "password": password, "auth": auth}}})
    return {".dockerconfigjson": base64.b64encode(config.encode()).decode()}


async def test_pull_secret_from_the_cluster(
    cluster: Cluster, registry_htpasswd: LocalRegistry, registry_auth: tuple[str, str]
) -> None:
    oci.push_image(
        registry_htpasswd.url,
        "kube/private",
        "3.1.4",
        created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        auth=registry_auth,
    )
    secret = {
        "metadata": {"name": "regcreds", "namespace": "argocd"},
        "type": "kubernetes.io/dockerconfigjson",
    }
    cluster.fake.put(
        "v1", "secrets", {**secret, "data": dockerconfig(registry_htpasswd.host, *registry_auth)}
    )
    options = CheckOptions(
        image=f"{registry_htpasswd.host}/kube/private",
        credentials="pullsecret:argocd/regcreds",
        kubeconfig=cluster.settings.kubeconfig,
    )
    report = await check_image(options, environ={})
    assert report.chosen is not None
    assert report.chosen.tag == "3.1.4"
    missing = CheckOptions(
        image=options.image, credentials="pullsecret:argocd/nope", kubeconfig=options.kubeconfig
    )
    with pytest.raises(CredentialError, match="argocd/nope"):
        await check_image(missing, environ={})
