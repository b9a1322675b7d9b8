"""The chart's webhook toggle: off by default (nothing listens, no Service, no Ingress); on, it
writes upstream's ConfigMap keys, opens the container's `webhook` port behind a Service with
argo-helm's `service.*` values and an optional Ingress with its `ingress.*` values, mounts the TLS
Secret where upstream reads it, and wires every type's secret key. Objects are valid Kubernetes."""

from __future__ import annotations

from typing import Any

import pytest

from image_updater.webhooks.receiving import TYPES
from tests.deploy.test_chart import container, one, render, settings_map
from tests.deploy.test_install_manifest import validate

ON: dict[str, Any] = {"webhook": {"enabled": True}}


def _kinds(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def test_off_by_default() -> None:
    objects = render()
    assert "webhook.enable" not in settings_map(objects)["data"]
    assert "webhook" not in {port["name"] for port in container(objects)["ports"]}
    assert [s["metadata"]["name"] for s in _kinds(objects, "Service")] == ["argocd-image-updater-metrics"]
    assert _kinds(objects, "Ingress") == []


def test_on_it_writes_upstreams_keys_and_opens_the_port() -> None:
    objects = render({"webhook": {"enabled": True, "port": 9443, "rateLimitAllowed": 120}})
    data = settings_map(objects)["data"]
    assert {key: data[key] for key in data if key.startswith("webhook.") or key == "disable-tls"} == {
        "webhook.enable": "true",
        "webhook.port": "9443",
        "webhook.require-secret": "true",
        "webhook.ratelimit-allowed": "120",
        "disable-tls": "false",
    }
    assert {"name": "webhook", "containerPort": 9443, "protocol": "TCP"} in container(objects)["ports"]


def test_the_service_targets_the_webhook_port_with_argo_helms_values() -> None:
    service_values = {"type": "NodePort", "port": 443, "annotations": {"a": "b"}, "nodePortHttps": 30443}
    objects = render({**ON, "service": service_values})
    (service,) = [s for s in _kinds(objects, "Service") if s["metadata"]["name"] == "argocd-image-updater"]
    assert service["spec"]["ports"] == [
        {"name": "server-port", "port": 443, "targetPort": "webhook", "protocol": "TCP", "nodePort": 30443}
    ]
    assert service["metadata"]["annotations"] == {"a": "b"}
    validate(service)


def test_the_ingress_routes_only_the_webhook_path() -> None:
    ingress_values = {
        "enabled": True,
        "hostname": "hooks.example.com",
        "ingressClassName": "nginx",
        "annotations": {"nginx.ingress.kubernetes.io/backend-protocol": "HTTPS"},
        "tls": [{"hosts": ["hooks.example.com"], "secretName": "hooks-tls"}],
    }
    ingress = one(render({**ON, "ingress": ingress_values}), "Ingress")
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "hooks.example.com"
    assert [(p["path"], p["backend"]["service"]["port"]["number"]) for p in rule["http"]["paths"]] == [
        ("/webhook", 8080)
    ]
    assert ingress["spec"]["tls"] == ingress_values["tls"]
    validate(ingress)


@pytest.mark.parametrize(
    ("values", "mounted"),
    [
        pytest.param(ON, True, id="tls"),
        pytest.param({"webhook": {"enabled": True, "disableTLS": True}}, False, id="plain-http"),
    ],
)
def test_the_tls_secret_is_mounted_where_upstream_reads_it(values: dict[str, Any], mounted: bool) -> None:
    objects = render(values)
    mounts = {m["name"]: m["mountPath"] for m in container(objects)["volumeMounts"]}
    volumes = {v["name"]: v for v in one(objects, "Deployment")["spec"]["template"]["spec"]["volumes"]}
    assert (mounts.get("webhook-tls") == "/app/config/tls") is mounted
    if mounted:
        assert volumes["webhook-tls"]["secret"] == {
            "secretName": "argocd-image-updater-tls",
            "optional": True,
        }


def test_every_types_secret_key_is_wired() -> None:
    env = {e["name"]: e["valueFrom"] for e in container(render(ON))["env"] if "valueFrom" in e}
    for kind in TYPES.values():
        ref = env[kind.secret_env]["secretKeyRef"]
        assert (ref["key"], ref["optional"]) == (f"webhook.{kind.secret_name}-secret", True)


def test_every_rendered_object_is_valid() -> None:
    for obj in render({**ON, "ingress": {"enabled": True, "hostname": "h.example.com"}}):
        validate(obj)
