"""Registry endpoints: the `registries.conf` format of argocd-image-updater, and endpoint lookup.

Owns: the `Endpoint` type, strict parsing of registries.conf (pydantic), the built-in Docker Hub
default, and `resolve(image)`: exact prefix, else longest prefix, else the default registry for
an image without a registry host, else an endpoint inferred from the host.
Pure: reading the file is the caller's job.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Endpoint:
    """How to talk to one registry.

    `api_url` has a scheme and no trailing slash (`https://registry-1.docker.io`). `limit` is
    requests per second (None = unlimited). `credentials` is a credential reference string
    (see `image_updater.credentials`) or None. `credsexpire` is seconds (None = never).
    `default_ns` is prepended to single-component repositories (`nginx` → `library/nginx`).
    """

    name: str
    api_url: str
    prefix: str = ""
    credentials: str | None = None
    credsexpire: float | None = None
    default_ns: str = ""
    default: bool = False
    insecure: bool = False
    ca_file: str | None = None
    tagsortmode: str = "none"  # none | latest-first | latest-last
    limit: float | None = None
