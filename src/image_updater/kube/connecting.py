"""Builds the Kubernetes API client: from a kubeconfig file (and context), or in-cluster.

The only module that reads kubeconfig files or service-account tokens. Failures become
ConfigError saying what to fix; token and key contents never reach a message (kubeconfig parse
errors are reported by kind, not text, because YAML errors quote the file).
"""

from __future__ import annotations

from pathlib import Path

from kubernetes_asyncio.client import ApiClient, Configuration
from kubernetes_asyncio.config import ConfigException, load_kube_config
from kubernetes_asyncio.config.incluster_config import (
    SERVICE_CERT_FILENAME,
    SERVICE_TOKEN_FILENAME,
    InClusterConfigLoader,
)

from image_updater.errors import ConfigError
from image_updater.kube.calling import Api, ApiCounter


async def connect(
    *, kubeconfig: str | Path | None = None, context: str | None = None, counter: ApiCounter | None = None
) -> Api:
    """An `Api` for the cluster of `kubeconfig` (its `context`, or its current one); in-cluster when
    no kubeconfig is given. The caller closes `api.client` (`await api.client.close()`).
    """
    if kubeconfig is None:
        if context is not None:
            raise ConfigError(f"a kubeconfig context ({context}) was given without a kubeconfig file")
        configuration = in_cluster_configuration()
    else:
        configuration = await kubeconfig_configuration(Path(kubeconfig), context=context)
    return Api(ApiClient(configuration=configuration), counter or ApiCounter())


async def kubeconfig_configuration(path: Path, *, context: str | None = None) -> Configuration:
    """The client configuration a kubeconfig file describes (exec plugins and tokens included)."""
    _require_file(path)
    configuration = Configuration()
    try:
        await load_kube_config(
            config_file=str(path), context=context, client_configuration=configuration, persist_config=False
        )
    except ConfigException as exc:
        raise ConfigError(f"cannot use kubeconfig {path}: {_one_line(exc)}") from exc
    except Exception as exc:  # the loader lets YAML, key and type errors of a malformed file escape
        raise ConfigError(
            f"kubeconfig {path} is malformed ({type(exc).__name__}); check it with kubectl"
        ) from exc
    return configuration


def in_cluster_configuration(
    *, token_file: str = SERVICE_TOKEN_FILENAME, ca_file: str = SERVICE_CERT_FILENAME
) -> Configuration:
    """The configuration of the pod's service account; ConfigError outside a cluster."""
    configuration = Configuration()
    try:
        InClusterConfigLoader(token_filename=token_file, cert_filename=ca_file).load_and_set(configuration)
    except (ConfigException, OSError) as exc:
        raise ConfigError(
            f"not running in a Kubernetes cluster ({_one_line(exc)}); "
            "pass --kubeconfig to use a kubeconfig file"
        ) from exc
    return configuration


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise ConfigError(f"kubeconfig {path} does not exist; pass an existing file or run in a cluster")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]
