"""The Helm chart, rendered offline with helm_python: lint, the seed's install command, toggles,
labels, ports, probes, the pod's security settings and an RBAC allow-list of what the controller
really calls."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import helm_python
import pytest
from ruamel.yaml import YAML

import image_updater
from devtools.render_install import CHART, load_all, render_documents
from image_updater.runtime import configfiles
from image_updater.runtime import controller as controller_module
from image_updater.settings import registries_conf
from image_updater.settings.registries import parse_registries_conf
from tests.deploy.series import problems

NAME_LABEL = {"app.kubernetes.io/name": "argocd-image-updater"}

# The install command of the seed article, exactly as written there.
SEED_SET = (
    "config.registries[0].name=GitHub",
    "config.registries[0].prefix=ghcr.io",
    "config.registries[0].api_url=https://ghcr.io",
    "config.registries[0].credentials=pullsecret:argocd/ghcr-creds",
    "config.registries[0].default=true",
)
SEED_REGISTRIES_CONF = """\
registries:
- api_url: https://ghcr.io
  credentials: pullsecret:argocd/ghcr-creds
  default: true
  name: GitHub
  prefix: ghcr.io
"""

# Every (apiGroup, resource, verb) image-updater run uses, and why; nothing else may be granted.
CLUSTER_ALLOWED = {
    ("argoproj.io", "applications", "get"),  # read before a conditional merge patch
    ("argoproj.io", "applications", "list"),
    ("argoproj.io", "applications", "watch"),
    ("argoproj.io", "applications", "patch"),  # argocd write-back
    ("argocd-image-updater.argoproj.io", "imageupdaters", "list"),
    ("argocd-image-updater.argoproj.io", "imageupdaters", "watch"),  # a spec change starts a cycle
    ("argocd-image-updater.argoproj.io", "imageupdaters", "patch"),  # upstream's finalizer
    ("", "secrets", "get"),  # pullsecret:/secret: references, git credentials
    ("", "events", "create"),  # ImagesUpdated
    ("argocd-image-updater.argoproj.io", "imageupdaters/status", "get"),  # read before a conditional write
    ("argocd-image-updater.argoproj.io", "imageupdaters/status", "update"),  # ImageUpdater status
}
NAMESPACE_ALLOWED = {
    ("coordination.k8s.io", "leases", "get"),
    ("coordination.k8s.io", "leases", "create"),
    ("coordination.k8s.io", "leases", "update"),
    ("", "secrets", "list"),  # Argo CD repository / repo-creds Secrets
}


def set_values(*expressions: str) -> dict[str, Any]:
    """Values as `helm install --set a --set b` builds them."""
    return helm_python.parse_set_string(",".join(expressions))


def render(values: dict[str, Any] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    return load_all(render_documents(values, **kwargs))


def one(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


def settings_map(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The ConfigMap with upstream's settings keys (argocd-image-updater-config by default)."""
    (found,) = [o for o in objects if o["kind"] == "ConfigMap" and "registries.conf" in o.get("data", {})]
    return found


def container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (only,) = one(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    return only


def grants(rules: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {
        (group, resource, verb)
        for rule in rules
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(None, id="defaults"),
        pytest.param(set_values(*SEED_SET), id="seed-install-command"),
        pytest.param(
            {"metrics": {"serviceMonitor": {"enabled": True}, "prometheusRule": {"enabled": True}}},
            id="monitoring",
        ),
    ],
)
def test_lint_is_clean(values: dict[str, Any] | None) -> None:
    report = helm_python.lint(CHART, values, strict=True, namespace="argocd")
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert (problems, report["errors"]) == ([], [])


def test_seed_install_command_renders_registries_conf() -> None:
    objects = render(set_values(*SEED_SET))
    text = settings_map(objects)["data"]["registries.conf"]
    assert text == SEED_REGISTRIES_CONF
    config = parse_registries_conf(text, source="chart")
    (endpoint,) = config.endpoints
    assert (endpoint.name, endpoint.prefix, endpoint.api_url) == ("GitHub", "ghcr.io", "https://ghcr.io")
    assert (endpoint.credentials, endpoint.default) == ("pullsecret:argocd/ghcr-creds", True)
    assert config.default_endpoint == endpoint


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        pytest.param(
            {"config": {"registries": [{"name": "x", "api_url": "https://x", "prefx": "x"}]}},
            "prefx",
            id="typo",
        ),
        pytest.param(
            {"config": {"registries": [{"name": "GitHub", "prefix": "ghcr.io"}]}}, "api_url", id="no-api-url"
        ),
        pytest.param(
            {"config": {"registries": [{"name": "x", "api_url": "https://x", "tagsortmode": "newest"}]}},
            "tagsortmode",
            id="bad-tagsortmode",
        ),
        pytest.param({"config": {"logLevel": "loud"}}, "logLevel", id="bad-loglevel"),
    ],
)
def test_schema_refuses_what_the_controller_would_refuse(values: dict[str, Any], complaint: str) -> None:
    with pytest.raises(helm_python.HelmValuesError, match=complaint):
        render(values)


def test_schema_knows_exactly_the_registries_conf_keys() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    entry = schema["properties"]["config"]["properties"]["registries"]["items"]
    assert set(entry["properties"]) == set(registries_conf._Entry.model_fields)
    assert set(entry["required"]) == {
        k for k, f in registries_conf._Entry.model_fields.items() if f.is_required()
    }


def test_default_registries_conf_means_built_in_defaults() -> None:
    text = settings_map(render())["data"]["registries.conf"]
    assert parse_registries_conf(text, source="chart") == parse_registries_conf("", source="built-in")


def test_registries_conf_is_mounted_where_the_cli_looks() -> None:
    objects = render()
    main = container(objects)
    mount = next(m for m in main["volumeMounts"] if m["mountPath"] == "/app/config")
    volume = next(
        v
        for v in one(objects, "Deployment")["spec"]["template"]["spec"]["volumes"]
        if v["name"] == mount["name"]
    )
    assert volume["configMap"]["name"] == settings_map(objects)["metadata"]["name"]
    assert {"key": "registries.conf", "path": "registries.conf"} in volume["configMap"]["items"]
    assert "--registries-conf-path=/app/config/registries.conf" in main["args"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(None, {"interval": "2m", "log.level": "info", "log.format": "text"}, id="defaults"),
        pytest.param(
            {"config": {"interval": "10m", "logLevel": "debug", "logFormat": "json"}},
            {"interval": "10m", "log.level": "debug", "log.format": "json"},
            id="interval-and-logging",
        ),
        pytest.param(
            {"config": {"gitCommitUser": "bot: ci", "gitCommitMail": "bot@example.com"}},
            {"git.user": "bot: ci", "git.email": "bot@example.com"},
            id="git-author",
        ),
        pytest.param({"config": {"disableKubeEvents": True}}, {"kube.events": "true"}, id="events"),
    ],
)
def test_config_values_become_upstream_configmap_keys(
    values: dict[str, Any] | None, expected: dict[str, str]
) -> None:
    # Settings live in the ConfigMap, not in flags, so `kubectl edit cm` changes them as upstream.
    objects = render(values)
    assert expected.items() <= settings_map(objects)["data"].items()
    args = container(objects)["args"]
    assert not [a for a in args if a.split("=")[0] in {"--interval", "--loglevel", "--logformat"}]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(
            {"config": {"applicationsNamespaces": ["team-a", "team-b"]}},
            ["--applications-namespace=team-a", "--applications-namespace=team-b"],
            id="namespaces",
        ),
        pytest.param(
            {"extraArgs": ["--max-concurrency", "4", "--dry-run"]},
            ["--max-concurrency", "4", "--dry-run"],
            id="extra-args",
        ),
    ],
)
def test_values_become_run_flags(values: dict[str, Any] | None, expected: list[str]) -> None:
    args = container(render(values))["args"]
    assert args[0] == "run"
    for flag in expected:
        assert flag in args


def test_commit_message_template_is_mounted_where_the_cli_looks() -> None:
    template = "build: update of {{ .AppName }}\n{{ range .AppChanges }}- {{ .Image }}\n{{ end }}"
    objects = render({"config": {"gitCommitTemplate": template}})
    assert settings_map(objects)["data"]["git.commit-message-template"] == template + "\n"
    volumes = one(objects, "Deployment")["spec"]["template"]["spec"]["volumes"]
    items = next(v for v in volumes if v["name"] == "config")["configMap"]["items"]
    assert {"key": "git.commit-message-template", "path": "commit.template"} in items
    assert Path("/app/config/commit.template") == configfiles.DEFAULT_COMMIT_TEMPLATE_PATH


def test_without_template_the_built_in_message_is_used() -> None:
    objects = render()
    assert "git.commit-message-template" not in settings_map(objects)["data"]
    assert not [a for a in container(objects)["args"] if a.startswith("--git-commit-message-path")]


def test_environment_image_and_resources() -> None:
    values = {
        "image": {"repository": "registry.example.com/image-updater", "tag": "1.2.3", "pullPolicy": "Always"},
        "extraEnv": [{"name": "HTTPS_PROXY", "value": "http://proxy:3128"}],
        "resources": {"limits": {"memory": "1Gi"}},
    }
    main = container(render(values, namespace="gitops"))
    env = {e["name"]: e for e in main["env"]}
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert env["ARGOCD_NAMESPACE"]["value"] == "gitops"
    assert env["HTTPS_PROXY"]["value"] == "http://proxy:3128"
    assert (main["image"], main["imagePullPolicy"]) == ("registry.example.com/image-updater:1.2.3", "Always")
    assert main["resources"]["limits"] == {"memory": "1Gi"}


def test_image_tag_defaults_to_app_version() -> None:
    app_version = YAML(typ="safe", pure=True).load((CHART / "Chart.yaml").read_text())["appVersion"]
    assert container(render())["image"].endswith(f":{app_version}")


def test_app_version_is_the_package_version() -> None:
    chart = YAML(typ="safe", pure=True).load((CHART / "Chart.yaml").read_text())
    assert chart["appVersion"] == image_updater.__version__


def test_pod_is_locked_down_with_a_writable_tmp() -> None:
    objects = render()
    pod = one(objects, "Deployment")["spec"]["template"]["spec"]
    main = container(objects)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert main["securityContext"]["readOnlyRootFilesystem"] is True
    assert main["securityContext"]["allowPrivilegeEscalation"] is False
    assert main["securityContext"]["capabilities"]["drop"] == ["ALL"]
    tmp = next(m for m in main["volumeMounts"] if m["mountPath"] == "/tmp")
    assert "emptyDir" in next(v for v in pod["volumes"] if v["name"] == tmp["name"])


@pytest.mark.parametrize(
    ("values", "cache_dir", "claim"),
    [
        pytest.param(None, "/tmp/.cache/image-updater", None, id="default-in-the-tmp-emptydir"),
        pytest.param({"cache": {"existingClaim": "iu-cache"}}, "/app/cache", "iu-cache", id="claim"),
    ],
)
def test_registry_cache_directory_and_optional_claim(
    values: dict[str, Any] | None, cache_dir: str, claim: str | None
) -> None:
    objects = render(values)
    pod = one(objects, "Deployment")["spec"]["template"]["spec"]
    main = container(objects)
    assert {"name": "IMAGE_UPDATER_CACHE_DIR", "value": cache_dir} in main["env"]
    claims = [v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v]
    assert claims == ([claim] if claim else [])
    if claim:
        assert {"name": "cache", "mountPath": "/app/cache"} in main["volumeMounts"]


def test_probes_and_ports() -> None:
    main = container(render())
    ports = {p["name"]: p["containerPort"] for p in main["ports"]}
    assert ports == {"health": 8080, "metrics": 8081}
    assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
    assert {"--health-port=8080", "--metrics-port=8081"} <= set(main["args"])


def test_pods_and_service_carry_the_name_label_logs_and_monitors_select() -> None:
    objects = render()
    deployment = one(objects, "Deployment")
    service = one(objects, "Service")
    assert NAME_LABEL.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    assert NAME_LABEL.items() <= service["metadata"]["labels"].items()
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    (port,) = service["spec"]["ports"]
    assert (port["name"], port["port"], port["targetPort"]) == ("metrics", 8081, "metrics")


@pytest.mark.parametrize(
    ("values", "kinds"),
    [
        pytest.param(None, set(), id="off-by-default"),
        pytest.param({"metrics": {"serviceMonitor": {"enabled": True}}}, {"ServiceMonitor"}, id="monitor"),
        pytest.param({"metrics": {"prometheusRule": {"enabled": True}}}, {"PrometheusRule"}, id="rules"),
        pytest.param(
            {"metrics": {"enabled": False, "serviceMonitor": {"enabled": True}}},
            set(),
            id="no-service-no-monitor",
        ),
    ],
)
def test_monitoring_toggles(values: dict[str, Any] | None, kinds: set[str]) -> None:
    found = {o["kind"] for o in render(values)} & {"ServiceMonitor", "PrometheusRule"}
    assert found == kinds


def test_service_monitor_selects_the_metrics_service() -> None:
    objects = render(
        {"metrics": {"serviceMonitor": {"enabled": True, "additionalLabels": {"release": "kps"}}}}
    )
    monitor = one(objects, "ServiceMonitor")
    service = one(objects, "Service")
    assert NAME_LABEL.items() <= monitor["spec"]["selector"]["matchLabels"].items()
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]
    assert monitor["metadata"]["labels"]["release"] == "kps"


def rules_by_alert_in(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    (group,) = one(objects, "PrometheusRule")["spec"]["groups"]
    return {r["alert"]: r for r in group["rules"]}


def rules_by_alert(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return rules_by_alert_in(render({"metrics": {"prometheusRule": {"enabled": True, **values}}}))


def test_prometheus_rule_has_the_seed_alerts() -> None:
    rules = rules_by_alert({})
    failed, not_running = rules["ImageUpdaterUpdateFailed"], rules["ImageUpdaterNotRunning"]
    assert failed["expr"].strip() == "increase(argocd_image_updater_images_updated_errors_total[1h]) > 0"
    assert (failed["for"], failed["labels"]["severity"]) == ("5m", "warning")
    assert not_running["expr"].strip() == "absent(argocd_image_updater_images_checked_total) == 1"
    assert (not_running["for"], not_running["labels"]["severity"]) == ("10m", "critical")
    assert {
        "ImageUpdaterRegistryRateLimited",
        "ImageUpdaterRegistryErrors",
        "ImageUpdaterCycleSlow",
        "ImageUpdaterKubernetesApiErrors",
    } <= rules.keys()


def test_alert_rules_use_only_exported_series() -> None:
    for alert, rule in rules_by_alert({}).items():
        assert problems(rule["expr"]) == [], alert


@pytest.mark.parametrize(
    ("values", "threshold"),
    [
        pytest.param({}, "120", id="default-interval"),
        pytest.param({"slowCycleSeconds": 45}, "45", id="explicit"),
    ],
)
def test_slow_cycle_alert_follows_the_interval(values: dict[str, Any], threshold: str) -> None:
    expr = rules_by_alert(values)["ImageUpdaterCycleSlow"]["expr"]
    assert re.search(rf"> {threshold}\s*$", expr)


@pytest.mark.parametrize(
    ("interval", "threshold"),
    [("90s", "90"), ("10m", "600"), ("1h", "3600"), ("300", "300")],
)
def test_interval_in_seconds(interval: str, threshold: str) -> None:
    values = {"config": {"interval": interval}, "metrics": {"prometheusRule": {"enabled": True}}}
    expr = rules_by_alert_in(render(values))["ImageUpdaterCycleSlow"]["expr"]
    assert re.search(rf"> {threshold}\s*$", expr)


def test_compound_interval_asks_for_an_explicit_threshold() -> None:
    values = {"config": {"interval": "1h30m"}, "metrics": {"prometheusRule": {"enabled": True}}}
    with pytest.raises(helm_python.HelmRenderError, match="slowCycleSeconds"):
        render(values)
    values["metrics"]["prometheusRule"]["slowCycleSeconds"] = 5400
    assert rules_by_alert_in(render(values))["ImageUpdaterCycleSlow"]["expr"].rstrip().endswith("> 5400")


def test_rbac_grants_only_what_the_controller_uses() -> None:
    objects = render()
    assert grants(one(objects, "ClusterRole")["rules"]) == CLUSTER_ALLOWED
    assert grants(one(objects, "Role")["rules"]) == NAMESPACE_ALLOWED
    account = one(objects, "ServiceAccount")["metadata"]
    for binding in (one(objects, "ClusterRoleBinding"), one(objects, "RoleBinding")):
        (subject,) = binding["subjects"]
        assert (subject["name"], subject["namespace"]) == (account["name"], account["namespace"])
    pod = one(objects, "Deployment")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == account["name"]


KUBE_CALL = re.compile(r"\.(read|get|list|create|replace|patch|delete)_(?:namespaced|cluster)_(\w+)")
CALL_VERBS = {"read": "get", "get": "get", "replace": "update"}
CALL_RESOURCES = {
    "lease": [("coordination.k8s.io", "leases")],
    "secret": [("", "secrets")],
    "event": [("", "events")],
}
APPLICATIONS, IMAGE_UPDATERS = (
    ("argoproj.io", "applications"),
    ("argocd-image-updater.argoproj.io", "imageupdaters"),
)
# The custom resources each module's custom_object calls reach (watching lists either kind).
CUSTOM_OBJECTS = {
    "watching.py": [APPLICATIONS, IMAGE_UPDATERS],
    "imageupdaters.py": [IMAGE_UPDATERS],
    "status.py": [IMAGE_UPDATERS],
}


def called(source: Path) -> set[tuple[str, str, str]]:
    """(group, resource[/subresource], verb) of each Kubernetes call written in `source`."""
    used = set()
    for call, kind in KUBE_CALL.findall(source.read_text()):
        custom = kind.startswith("custom_object")
        sub = kind.removeprefix("custom_object").lstrip("_") if custom else ""
        targets = CUSTOM_OBJECTS.get(source.name, [APPLICATIONS]) if custom else CALL_RESOURCES[kind]
        verb = CALL_VERBS.get(call, call)
        used |= {(group, f"{resource}/{sub}" if sub else resource, verb) for group, resource in targets}
    return used


def test_allow_list_matches_the_kubernetes_calls_in_the_code() -> None:
    used = set().union(*(called(source) for source in Path(image_updater.__file__).parent.rglob("*.py")))
    # Watching streams the list call with watch=true.
    used |= {(*APPLICATIONS, "watch"), (*IMAGE_UPDATERS, "watch")}
    assert used == CLUSTER_ALLOWED | NAMESPACE_ALLOWED


def test_lease_is_read_and_renewed_by_name_only() -> None:
    rules = one(render(), "Role")["rules"]
    lease_rules = [r for r in rules if r["resources"] == ["leases"]]
    by_name = [r for r in lease_rules if r.get("resourceNames")]
    assert [r["verbs"] for r in lease_rules if not r.get("resourceNames")] == [["create"]]
    (named,) = by_name
    # The Lease name is fixed in the controller; a rename there must be mirrored here.
    controller = Path(controller_module.__file__).read_text()
    assert [f'name="{n}"' in controller for n in named["resourceNames"]] == [True]


def test_lease_role_lives_in_the_argocd_namespace() -> None:
    objects = render({"config": {"argocd": {"namespace": "argo"}}}, namespace="tools")
    assert one(objects, "Role")["metadata"]["namespace"] == "argo"
    assert one(objects, "RoleBinding")["metadata"]["namespace"] == "argo"
    env = {e["name"]: e.get("value") for e in container(objects)["env"]}
    assert env["ARGOCD_NAMESPACE"] == "argo"


def test_rbac_and_service_account_can_be_left_out() -> None:
    values = {"rbac": {"enabled": False}, "serviceAccount": {"create": False, "name": "existing"}}
    objects = render(values)
    kinds = {o["kind"] for o in objects}
    assert not kinds & {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"}
    assert one(objects, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == "existing"


def test_config_change_restarts_the_pods() -> None:
    def checksum(values: dict[str, Any] | None) -> str:
        deployment = one(render(values), "Deployment")
        return str(deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"])

    assert checksum(None) != checksum(set_values(*SEED_SET))


@pytest.mark.parametrize(
    ("values", "flag"),
    [
        pytest.param(None, "--config-source=both", id="default-both"),
        pytest.param(
            {"config": {"configSource": "annotations"}}, "--config-source=annotations", id="annotations"
        ),
        pytest.param({"config": {"configSource": "resources"}}, "--config-source=resources", id="resources"),
    ],
)
def test_config_source_reaches_the_controller(values: dict[str, Any] | None, flag: str) -> None:
    assert flag in container(render(values))["args"]


def test_config_source_is_checked_by_the_schema() -> None:
    with pytest.raises(helm_python.HelmValuesError, match="/config/configSource': value must be one of"):
        render({"config": {"configSource": "crds"}})


def test_namespaced_rbac_reaches_the_image_updaters_of_its_namespace() -> None:
    objects = render({"createClusterRoles": False})
    (role,) = [o for o in objects if o["kind"] == "Role" and o["metadata"]["name"].endswith("-applications")]
    assert grants(role["rules"]) == CLUSTER_ALLOWED
