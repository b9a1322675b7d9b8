"""The chart as a drop-in for argo-helm's argocd-image-updater chart: its default values file
(tests/deploy/fixtures, copied unchanged) and a realistic override set render objects equivalent to
argo-helm's, every upstream ConfigMap/Secret key reaches the CLI through upstream's environment
variable, and unknown or unsupported values fail rendering with a message naming them."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import helm_python
import pytest
from ruamel.yaml import YAML

from devtools.render_install import CHART
from image_updater.cli.run_command import run_command
from image_updater.cli.upstream_settings import ignored_settings
from tests.deploy.test_chart import container, one, render
from tests.deploy.test_install_manifest import validate

FIXTURE = Path(__file__).parent / "fixtures" / "argo-helm-argocd-image-updater-0.14.0-values.yaml"
Objects = list[dict[str, Any]]

# Every (environment variable, ConfigMap key) upstream's v0.17.0 install manifest
# (manifests/base/deployment/argocd-image-updater-deployment.yaml) and argo-helm 0.14.0 wire; our
# Deployment must wire the same pairs, so a ConfigMap edited for upstream means the same here.
# (ARGOCD_LOGLEVEL, also fed by log.level, sets the log level of upstream's Argo CD client library.)
UPSTREAM_CONFIGMAP_ENV = {
    ("APPLICATIONS_API", "applications_api"),
    ("ARGOCD_GRPC_WEB", "argocd.grpc_web"),
    ("ARGOCD_SERVER", "argocd.server_addr"),
    ("ARGOCD_INSECURE", "argocd.insecure"),
    ("ARGOCD_PLAINTEXT", "argocd.plaintext"),
    ("IMAGE_UPDATER_INTERVAL", "interval"),
    ("IMAGE_UPDATER_LOGLEVEL", "log.level"),
    ("GIT_COMMIT_USER", "git.user"),
    ("GIT_COMMIT_EMAIL", "git.email"),
    ("GIT_COMMIT_SIGNING_KEY", "git.commit-signing-key"),
    ("GIT_COMMIT_SIGNING_METHOD", "git.commit-signing-method"),
    ("GIT_COMMIT_SIGN_OFF", "git.commit-sign-off"),
    ("IMAGE_UPDATER_KUBE_EVENTS", "kube.events"),
    ("ENABLE_WEBHOOK", "webhook.enable"),
    ("WEBHOOK_PORT", "webhook.port"),
    ("WEBHOOK_RATELIMIT_ALLOWED", "webhook.ratelimit-allowed"),
}
UPSTREAM_SECRET_ENV = {
    ("ARGOCD_TOKEN", "argocd.token"),
    ("DOCKER_WEBHOOK_SECRET", "webhook.docker-secret"),
    ("GHCR_WEBHOOK_SECRET", "webhook.ghcr-secret"),
    ("QUAY_WEBHOOK_SECRET", "webhook.quay-secret"),
    ("HARBOR_WEBHOOK_SECRET", "webhook.harbor-secret"),
    # argo-helm 1.x (upstream 1.x's types)
    ("ALIYUN_ACR_WEBHOOK_SECRET", "webhook.aliyun-acr-secret"),
    ("ACR_WEBHOOK_SECRET", "webhook.acr-secret"),
    ("CLOUDEVENTS_WEBHOOK_SECRET", "webhook.cloudevents-secret"),
}

ECR_SCRIPT = (
    "#!/bin/sh\n"
    'aws ecr --region "$AWS_REGION" get-authorization-token --output text \\\n'
    "  --query 'authorizationData[].authorizationToken' | base64 -d\n"
)
SSH_CONFIG = "Host *\n      PubkeyAcceptedAlgorithms +ssh-rsa\n      HostkeyAlgorithms +ssh-rsa\n"
ECR = "123456789.dkr.ecr.eu-west-1.amazonaws.com"

# What an argo-helm user typically overrides: the ECR `ext:` recipe, an ssh config, flags, env, a
# namespaced install without cluster roles, the metrics port, and the git and Argo CD settings.
OVERRIDES: dict[str, Any] = {
    "namespaceOverride": "tools",
    "replicaCount": 2,
    "image": {"tag": "9.9.9"},
    "imagePullSecrets": [{"name": "pull"}],
    "updateStrategy": {"type": "RollingUpdate"},
    "createClusterRoles": False,
    "rbac": {"enabled": True},
    "containerPort": 8090,
    "config": {
        "name": "custom-config",
        "applicationsAPIKind": "argocd",
        "argocd": {"serverAddress": "argocd-server.argocd", "insecure": True, "token": "s3cr3t-token"},
        "registries": [
            {
                "name": "ECR",
                "api_url": f"https://{ECR}",
                "prefix": ECR,
                "ping": True,
                "credentials": "ext:/scripts/ecr.sh",
                "credsexpire": "10h",
            }
        ],
        "logLevel": "debug",
        "gitCommitUser": "release-bot",
        "gitCommitMail": "bot@example.com",
        "gitCommitTemplate": "chore: update {{ .AppName }}",
        "gitCommitSigningKey": "/app/ssh-keys/id_rsa",
        "gitCommitSigningMethod": "ssh",
        "gitCommitSignOff": True,
        "disableKubeEvents": True,
        "sshConfig": {"config": SSH_CONFIG},
    },
    "authScripts": {"enabled": True, "scripts": {"ecr.sh": ECR_SCRIPT}},
    "extraArgs": ["--max-concurrency", "4", "--dry-run"],
    "extraEnv": [{"name": "AWS_REGION", "value": "eu-west-1"}],
    "extraEnvFrom": [{"secretRef": {"name": "aws-creds"}}],
    "volumes": [{"name": "extra", "emptyDir": {}}],
    "volumeMounts": [{"name": "extra", "mountPath": "/extra"}],
    "initContainers": [{"name": "init", "image": "busybox", "command": ["true"]}],
    "extraObjects": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "{{ .Release.Name }}-x"}}
    ],
    "podAnnotations": {"example.com/a": "1"},
    "podLabels": {"azure.workload.identity/use": "true"},
    "serviceAccount": {
        "name": "iu",
        "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/r"},
        "labels": {"team": "platform"},
    },
    "resources": {"limits": {"memory": "256Mi"}},
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tolerations": [{"key": "dedicated", "operator": "Exists"}],
    "affinity": {"nodeAffinity": {}},
    "priorityClassName": "high",
    "metrics": {
        "enabled": True,
        "service": {"servicePort": 9999, "annotations": {"a": "b"}, "labels": {"l": "v"}},
        "serviceMonitor": {"enabled": True, "interval": "1m", "selector": {"prometheus": "kube-prometheus"}},
    },
}


def argo_helm_defaults() -> dict[str, Any]:
    values = YAML(typ="safe", pure=True).load(FIXTURE.read_text())
    assert isinstance(values, dict)
    return values


def pod_spec(objects: Objects) -> dict[str, Any]:
    spec: dict[str, Any] = one(objects, "Deployment")["spec"]["template"]["spec"]
    return spec


def named(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(item for item in items if item["name"] == name)


def pod_environment(objects: Objects) -> dict[str, str]:
    """The controller's environment as the kubelet builds it from the rendered objects."""
    data = {(o["kind"], o["metadata"]["name"]): o.get("data") or {} for o in objects}
    environment: dict[str, str] = {}
    for entry in container(objects)["env"]:
        source = entry.get("valueFrom", {})
        if "value" in entry:
            environment[entry["name"]] = entry["value"]
        elif ref := source.get("configMapKeyRef"):
            found = data.get(("ConfigMap", ref["name"]), {}).get(ref["key"])
            if found is not None:
                environment[entry["name"]] = found
        elif ref := source.get("secretKeyRef"):
            found = data.get(("Secret", ref["name"]), {}).get(ref["key"])
            if found is not None:
                environment[entry["name"]] = base64.b64decode(found).decode()
    return environment


def cli_params(objects: Objects, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What `image-updater run` makes of the rendered container's args and environment."""
    for name, value in pod_environment(objects).items():
        monkeypatch.setenv(name, value)
    command, *flags = container(objects)["args"]
    assert command == "run"
    return dict(run_command.make_context(command, flags).params)


@pytest.fixture(scope="module")
def defaults() -> Objects:
    return render(argo_helm_defaults())


@pytest.fixture(scope="module")
def overridden() -> Objects:
    return render({**argo_helm_defaults(), **OVERRIDES}, namespace="argocd")


@pytest.mark.parametrize("overrides", [{}, OVERRIDES], ids=["argo-helm-defaults", "overrides"])
def test_lint_is_clean(overrides: dict[str, Any]) -> None:
    values = {**argo_helm_defaults(), **overrides}
    report = helm_python.lint(CHART, values, strict=True, namespace="argocd")
    assert ([m for m in report["messages"] if m["severity"] >= 2], report["errors"]) == ([], [])


def test_argo_helm_defaults_render_what_argo_helm_renders(defaults: Objects) -> None:
    kinds = sorted(o["kind"] for o in defaults)
    assert kinds == sorted(
        [
            "ServiceAccount",
            "ConfigMap",
            "ConfigMap",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            "Deployment",
        ]
    )  # metrics.enabled=false: no Service
    config = next(o for o in defaults if o["metadata"]["name"] == "argocd-image-updater-config")
    assert {"log.level": "info", "kube.events": "false"}.items() <= config["data"].items()
    assert "applications_api" not in config["data"]
    deployment = one(defaults, "Deployment")
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    main = container(defaults)
    # argo-helm's default image is upstream's; it stands for "the chart's image".
    assert main["image"].startswith("ghcr.io/image-updater/image-updater:")
    assert main["imagePullPolicy"] == "Always"
    assert main["securityContext"] == argo_helm_defaults()["securityContext"]
    mounts = {m["mountPath"]: m["name"] for m in main["volumeMounts"]}
    assert {"/app/config", "/app/config/ssh", "/app/.ssh", "/app/ssh-keys/id_rsa", "/tmp"} <= mounts.keys()
    assert "/scripts" not in mounts


def test_argo_helm_defaults_reach_the_cli(defaults: Objects, monkeypatch: pytest.MonkeyPatch) -> None:
    params = cli_params(defaults, monkeypatch)
    assert (params["interval"], params["loglevel"], params["disable_kube_events"]) == (120, "info", False)
    assert (params["git_commit_user"], params["git_commit_email"]) == (
        "argocd-image-updater",
        "noreply@argoproj.io",
    )
    assert ignored_settings(pod_environment(defaults)) == []


def test_every_upstream_configmap_and_secret_key_is_wired(defaults: Objects) -> None:
    wired = set()
    for entry in container(defaults)["env"]:
        source = entry.get("valueFrom", {})
        for kind in ("configMapKeyRef", "secretKeyRef"):
            if ref := source.get(kind):
                assert ref["optional"] is True, entry["name"]
                wired.add((kind, entry["name"], ref["key"]))
    assert {("configMapKeyRef", *pair) for pair in UPSTREAM_CONFIGMAP_ENV} <= wired
    assert {("secretKeyRef", *pair) for pair in UPSTREAM_SECRET_ENV} <= wired


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("Deployment.metadata.namespace", "tools", id="namespaceOverride"),
        pytest.param("Deployment.spec.replicas", 2, id="replicaCount"),
        pytest.param("Deployment.spec.strategy", {"type": "RollingUpdate"}, id="updateStrategy"),
        pytest.param(
            "Deployment.spec.template.spec.imagePullSecrets", [{"name": "pull"}], id="imagePullSecrets"
        ),
        pytest.param("Deployment.spec.template.spec.priorityClassName", "high", id="priorityClassName"),
        pytest.param(
            "Deployment.spec.template.spec.nodeSelector", {"kubernetes.io/os": "linux"}, id="nodeSelector"
        ),
        pytest.param("Deployment.spec.template.spec.tolerations", OVERRIDES["tolerations"], id="tolerations"),
        pytest.param("Deployment.spec.template.spec.affinity", {"nodeAffinity": {}}, id="affinity"),
        pytest.param(
            "Deployment.spec.template.spec.initContainers", OVERRIDES["initContainers"], id="initContainers"
        ),
        pytest.param("Deployment.spec.template.spec.serviceAccountName", "iu", id="serviceAccount.name"),
        pytest.param("Deployment.spec.template.metadata.annotations.example.com/a", "1", id="podAnnotations"),
        pytest.param(
            "Deployment.spec.template.metadata.labels.azure.workload.identity/use", "true", id="podLabels"
        ),
        pytest.param(
            "ServiceAccount/iu.metadata.annotations",
            OVERRIDES["serviceAccount"]["annotations"],
            id="serviceAccount.annotations",
        ),
        pytest.param("ServiceAccount/iu.metadata.labels.team", "platform", id="serviceAccount.labels"),
        pytest.param(
            "ConfigMap/custom-config.data.applications_api", "argocd", id="config.applicationsAPIKind"
        ),
        pytest.param(
            "ConfigMap/custom-config.data.argocd.server_addr",
            "argocd-server.argocd",
            id="config.argocd.serverAddress",
        ),
        pytest.param("ConfigMap/custom-config.data.argocd.insecure", "true", id="config.argocd.insecure"),
        pytest.param("ConfigMap/custom-config.data.argocd.grpc_web", "true", id="config.argocd.grpcWeb"),
        pytest.param("ConfigMap/custom-config.data.argocd.plaintext", "false", id="config.argocd.plaintext"),
        pytest.param(
            "Secret/argocd-image-updater-secret.data.argocd.token",
            base64.b64encode(b"s3cr3t-token").decode(),
            id="config.argocd.token",
        ),
        pytest.param("ConfigMap/custom-config.data.log.level", "debug", id="config.logLevel"),
        pytest.param("ConfigMap/custom-config.data.git.user", "release-bot", id="config.gitCommitUser"),
        pytest.param("ConfigMap/custom-config.data.git.email", "bot@example.com", id="config.gitCommitMail"),
        pytest.param(
            "ConfigMap/custom-config.data.git.commit-message-template",
            "chore: update {{ .AppName }}\n",
            id="config.gitCommitTemplate",
        ),
        pytest.param(
            "ConfigMap/custom-config.data.git.commit-signing-key",
            "/app/ssh-keys/id_rsa",
            id="config.gitCommitSigningKey",
        ),
        pytest.param(
            "ConfigMap/custom-config.data.git.commit-signing-method",
            "ssh",
            id="config.gitCommitSigningMethod",
        ),
        pytest.param(
            "ConfigMap/custom-config.data.git.commit-sign-off", "true", id="config.gitCommitSignOff"
        ),
        pytest.param("ConfigMap/custom-config.data.kube.events", "true", id="config.disableKubeEvents"),
        pytest.param(
            "ConfigMap/argocd-image-updater-ssh-config.data.config", SSH_CONFIG, id="config.sshConfig"
        ),
        pytest.param(
            "ConfigMap/argocd-image-updater-authscripts.data.ecr.sh", ECR_SCRIPT, id="authScripts.scripts"
        ),
        pytest.param("Service.spec.ports.0.port", 9999, id="metrics.service.servicePort"),
        pytest.param("Service.spec.ports.0.name", "metrics", id="metrics-port-name"),
        pytest.param("Service.metadata.annotations", {"a": "b"}, id="metrics.service.annotations"),
        pytest.param("Service.metadata.labels.l", "v", id="metrics.service.labels"),
        pytest.param("ServiceMonitor.spec.endpoints.0.interval", "1m", id="metrics.serviceMonitor.interval"),
        pytest.param(
            "ServiceMonitor.metadata.labels.prometheus",
            "kube-prometheus",
            id="metrics.serviceMonitor.selector",
        ),
    ],
)
def test_override_values_render(overridden: Objects, path: str, expected: Any) -> None:
    head, _, rest = path.partition(".")
    kind, _, name = head.partition("/")
    found = [o for o in overridden if o["kind"] == kind and (not name or o["metadata"]["name"] == name)]
    assert len(found) == 1, path
    value: Any = found[0]
    for part in _split_path(rest):
        value = value[int(part)] if isinstance(value, list) else value[part]
    assert value == expected


def _split_path(path: str) -> list[str]:
    """A dotted path; after `data`, `annotations` or `labels` the rest is one key (keys hold dots)."""
    parts = path.split(".")
    for index, part in enumerate(parts[:-1]):
        if part in {"data", "annotations", "labels"}:
            return [*parts[: index + 1], ".".join(parts[index + 1 :])]
    return parts


def test_override_pod(overridden: Objects) -> None:
    main = container(overridden)
    spec = pod_spec(overridden)
    assert main["image"] == "ghcr.io/image-updater/image-updater:9.9.9"
    assert main["args"][-3:] == ["--max-concurrency", "4", "--dry-run"]  # extraArgs
    assert named(main["env"], "AWS_REGION")["value"] == "eu-west-1"  # extraEnv
    assert main["envFrom"] == [{"secretRef": {"name": "aws-creds"}}]  # extraEnvFrom
    assert main["resources"]["limits"] == {"memory": "256Mi"}
    assert named(main["ports"], "health")["containerPort"] == 8090  # containerPort
    assert "--health-port=8090" in main["args"]
    assert main["livenessProbe"]["httpGet"]["port"] == "health"
    assert named(main["volumeMounts"], "extra")["mountPath"] == "/extra"  # volumeMounts
    assert named(spec["volumes"], "extra") == {"name": "extra", "emptyDir": {}}  # volumes


def test_auth_scripts_are_mounted_executable_at_scripts(overridden: Objects) -> None:
    scripts = named(pod_spec(overridden)["volumes"], "authscripts")["configMap"]
    assert (scripts["name"], scripts["defaultMode"]) == ("argocd-image-updater-authscripts", 0o755)
    assert named(container(overridden)["volumeMounts"], "authscripts")["mountPath"] == "/scripts"
    config = one([o for o in overridden if o["metadata"]["name"] == "custom-config"], "ConfigMap")
    assert "credentials: ext:/scripts/ecr.sh" in config["data"]["registries.conf"]


def test_ssh_config_is_mounted_in_the_users_home(overridden: Objects) -> None:
    volume = named(pod_spec(overridden)["volumes"], "ssh-config")["configMap"]
    assert volume["name"] == "argocd-image-updater-ssh-config"
    assert named(container(overridden)["volumeMounts"], "ssh-config")["mountPath"] == "/app/.ssh"
    dockerfile = (CHART.parents[1] / "Dockerfile").read_text()
    assert "--home-dir /app " in dockerfile  # ssh reads ~/.ssh/config from the passwd home, not $HOME


def test_config_name_is_what_the_pod_reads(overridden: Objects) -> None:
    volume = named(pod_spec(overridden)["volumes"], "config")["configMap"]
    assert volume["name"] == "custom-config"
    refs = {
        e["valueFrom"]["configMapKeyRef"]["name"]
        for e in container(overridden)["env"]
        if "configMapKeyRef" in e.get("valueFrom", {})
    }
    assert refs == {"custom-config"}


def test_without_cluster_roles_a_namespaced_role_and_namespace_watch(overridden: Objects) -> None:
    kinds = {o["kind"] for o in overridden}
    assert not kinds & {"ClusterRole", "ClusterRoleBinding"}
    role = named(
        [o["metadata"] | {"rules": o.get("rules")} for o in overridden if o["kind"] == "Role"],
        "argocd-image-updater-applications",
    )
    assert role["namespace"] == "tools"
    assert {r["resources"][0] for r in role["rules"]} == {
        "applications",
        "secrets",
        "events",
        "imageupdaters",
        "imageupdaters/status",
    }
    assert "--applications-namespace=tools" in container(overridden)["args"]


def test_extra_objects_are_templated(overridden: Objects) -> None:
    assert [o["kind"] for o in overridden if o["metadata"]["name"] == "argocd-image-updater-x"] == [
        "ConfigMap"
    ]


def test_rbac_disabled_renders_no_rbac() -> None:
    objects = render({**argo_helm_defaults(), "rbac": {"enabled": False}})
    assert not {o["kind"] for o in objects} & {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}


def test_overrides_reach_the_cli(overridden: Objects, monkeypatch: pytest.MonkeyPatch) -> None:
    params = cli_params(overridden, monkeypatch)
    assert (params["loglevel"], params["disable_kube_events"], params["dry_run"]) == ("debug", True, True)
    assert (params["git_commit_user"], params["git_commit_email"]) == ("release-bot", "bot@example.com")
    assert (params["git_commit_signing_key"], params["git_commit_signing_method"]) == (
        "/app/ssh-keys/id_rsa",
        "ssh",
    )
    assert params["git_commit_sign_off"] is True
    assert (params["max_concurrency"], params["health_port"]) == (4, 8090)
    assert params["applications_namespace"] == ("tools",)


def test_argocd_api_settings_are_named_as_ignored_without_their_values(overridden: Objects) -> None:
    messages = ignored_settings(pod_environment(overridden))
    assert [m.split()[0] for m in messages] == [
        "APPLICATIONS_API",
        "ARGOCD_SERVER",
        "ARGOCD_GRPC_WEB",
        "ARGOCD_INSECURE",
        "ARGOCD_TOKEN",
    ]
    assert not [m for m in messages if "s3cr3t" in m or "argocd-server.argocd" in m]


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        pytest.param({"extraVolumes": []}, "extraVolumes", id="unknown-top-level"),
        pytest.param({"config": {"gitCommitMial": "x"}}, "gitCommitMial", id="typo-in-config"),
        pytest.param({"metrics": {"service": {"port": 8081}}}, "port", id="unknown-metrics-service-key"),
        pytest.param({"authScripts": {"script": {}}}, "script", id="typo-in-authScripts"),
        pytest.param({"config": {"sshConfig": {"conifg": ""}}}, "conifg", id="typo-in-sshConfig"),
        pytest.param({"rbac": {"create": False}}, "create", id="rbac-create-is-rbac-enabled"),
        pytest.param({"config": {"applicationsAPIKind": "grpc"}}, "applicationsAPIKind", id="bad-api-kind"),
    ],
)
def test_unknown_values_fail_naming_them(values: dict[str, Any], complaint: str) -> None:
    with pytest.raises(helm_python.HelmValuesError, match=complaint):
        render({**argo_helm_defaults(), **values})


def test_the_webhook_ingress_without_the_webhook_server_fails_naming_both() -> None:
    with pytest.raises(helm_python.HelmRenderError, match=r"ingress\.enabled: .*webhook\.enabled=true"):
        render({**argo_helm_defaults(), "ingress": {"enabled": True}})


def test_argo_helm_renders_are_valid_kubernetes_objects(defaults: Objects, overridden: Objects) -> None:
    for obj in defaults + overridden:
        validate(obj)
