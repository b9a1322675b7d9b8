"""manifests/install.yaml is the chart's current default render, and every object the chart can
render is valid against the Kubernetes schemas (kubernetes-validate, offline, strict: unknown
fields are errors). Prometheus Operator kinds have no schema there; they are checked by shape."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from ruamel.yaml import YAML

from devtools import render_install
from devtools.render_install import load_all, render_documents

KUBERNETES_VERSION = "1.30"
OPERATOR_KINDS = {"ServiceMonitor", "PrometheusRule"}
DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")

EVERYTHING_ON = {
    "config": {
        "gitCommitTemplate": "build: update {{ .AppName }}",
        "gitCommitUser": "bot",
        "gitCommitMail": "bot@example.com",
        "applicationsNamespaces": ["team-a"],
    },
    "extraEnv": [{"name": "HTTPS_PROXY", "value": "http://proxy:3128"}],
    "volumes": [{"name": "ssh", "secret": {"secretName": "ssh-known-hosts"}}],
    "volumeMounts": [{"name": "ssh", "mountPath": "/app/config/ssh", "readOnly": True}],
    "imagePullSecrets": [{"name": "pull"}],
    "podAnnotations": {"example.com/team": "platform"},
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
    "metrics": {"serviceMonitor": {"enabled": True}, "prometheusRule": {"enabled": True}},
}


def install_objects() -> list[dict[str, Any]]:
    return list(YAML(typ="safe", pure=True).load_all(render_install.INSTALL_YAML.read_text()))


def test_install_yaml_is_current() -> None:
    assert render_install.INSTALL_YAML.read_text() == render_install.install_yaml(), (
        "manifests/install.yaml is stale: run python -m devtools.render_install"
    )


def test_check_mode_agrees() -> None:
    assert render_install.main(["--check"]) == 0


def test_check_mode_notices_a_stale_file_and_writing_fixes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "manifests" / "install.yaml"
    monkeypatch.setattr(render_install, "INSTALL_YAML", target)
    assert render_install.main(["--check"]) == 1
    target.parent.mkdir()
    target.write_text(render_install.install_yaml().replace("replicas: 1", "replicas: 2"))
    assert render_install.main(["--check"]) == 1
    assert "is stale" in capsys.readouterr().out
    assert render_install.main([]) == 0
    assert render_install.main(["--check"]) == 0


def test_install_yaml_is_namespaced_to_argocd() -> None:
    objects = install_objects()
    assert {o["kind"] for o in objects} >= {"Deployment", "Service", "ConfigMap", "ClusterRole", "Role"}
    cluster_scoped = {"ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] not in cluster_scoped} == {"argocd"}


def validate(obj: dict[str, Any]) -> None:
    if obj["kind"] in OPERATOR_KINDS:
        SHAPES[obj["kind"]](obj["spec"])
        return
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as err:
        where = ".".join(str(p) for p in err.path)
        pytest.fail(f"{obj['kind']}/{obj['metadata']['name']}: {where}: {err.message}")


def service_monitor_shape(spec: dict[str, Any]) -> None:
    assert set(spec) <= {"selector", "endpoints", "namespaceSelector", "jobLabel"}
    assert spec["selector"]["matchLabels"]
    for endpoint in spec["endpoints"]:
        assert set(endpoint) <= {
            "port",
            "path",
            "interval",
            "scrapeTimeout",
            "relabelings",
            "metricRelabelings",
        }
        assert DURATION.match(endpoint["interval"])


def prometheus_rule_shape(spec: dict[str, Any]) -> None:
    assert set(spec) == {"groups"}
    for group in spec["groups"]:
        assert set(group) == {"name", "rules"}
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
            assert rule["alert"]
            assert rule["expr"].strip()
            assert DURATION.match(rule["for"])
            assert all(isinstance(v, str) for v in {**rule["labels"], **rule["annotations"]}.values())


SHAPES = {"ServiceMonitor": service_monitor_shape, "PrometheusRule": prometheus_rule_shape}


@pytest.mark.parametrize("obj", install_objects(), ids=lambda o: f"{o['kind']}-{o['metadata']['name']}")
def test_install_yaml_objects_are_valid(obj: dict[str, Any]) -> None:
    validate(obj)


def test_every_renderable_object_is_valid() -> None:
    objects = load_all(render_documents(EVERYTHING_ON, release="image-updater", namespace="gitops"))
    assert {o["kind"] for o in objects} >= OPERATOR_KINDS
    for obj in objects:
        validate(obj)
