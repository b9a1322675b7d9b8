"""Prometheus metrics under argocd-image-updater's names, on a registry owned by the runtime.

Upstream's names are kept so existing dashboards and alerts work unchanged, plus the two the
seed article's alert rules use (`images_checked_total`, `images_updated_errors_total`), a
cycle-duration histogram and per-registry request/429 counters read live from the registry
client's request counter. No module-level registry: tests build as many as they like.

Per-resource series are upstream 1.x's per-CR metrics: the same four names, labelled
`image_updater_cr_name` and `image_updater_cr_namespace`, exported in the same families as the
v0.x series (unlabelled, or `application`), so dashboards of both generations work. They are
removed when the resource is gone (`forget_resource`, `keep_resources`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

NS = "argocd_image_updater"


class Metrics:
    """Every metric image-updater exports. One instance per process (or per test)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        # registered below, each with its per-resource series in the same family
        self.applications_watched = Gauge(
            f"{NS}_applications_watched_total", "Applications watched", registry=None
        )
        self.images_watched = Gauge(
            f"{NS}_images_watched_total", "Images watched per Application", ["application"], registry=None
        )
        self.images_held = Gauge(
            f"{NS}_images_held", "Images held after a revert, per Application", ["application"], registry=r
        )
        self.images_updated = Counter(
            f"{NS}_images_updated_total", "Images updated per Application", ["application"], registry=None
        )
        self.images_errors = Counter(
            f"{NS}_images_errors_total", "Image update errors per Application", ["application"], registry=None
        )
        self.resources = ResourceMetrics()
        for plain, per_resource in (
            (self.applications_watched, self.resources.applications),
            (self.images_watched, self.resources.images),
            (self.images_updated, self.resources.updated),
            (self.images_errors, self.resources.errors),
        ):
            r.register(_Together(plain, per_resource))
        self.images_checked = Counter(
            f"{NS}_images_checked_total", "Images checked against a registry", registry=r
        )
        self.images_updated_errors = Counter(
            f"{NS}_images_updated_errors_total", "Images whose update failed", registry=r
        )
        self.cycle_seconds = Histogram(
            f"{NS}_cycle_duration_seconds",
            "Duration of one update cycle",
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600),
            registry=r,
        )
        self.webhook_events_coalesced = Counter(
            f"{NS}_webhook_events_coalesced_total",
            "Registry pushes merged into a targeted run already waiting for their repository",
            registry=r,
        )
        self.webhook_event_to_commit_seconds = Histogram(
            f"{NS}_webhook_event_to_commit_seconds",
            "From a registry push received by the webhook to the write-back that includes it",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120),
            registry=r,
        )
        self.applications_errors = Counter(
            f"{NS}_applications_errors_total", "Applications whose configuration or update failed", registry=r
        )
        # Upstream has no webhook metrics. `type` is a known type or "unknown" (the label is
        # the sender's choice, so it must not create series); outcome received, then one of
        # refused, accepted (it named pushes) or ignored (authenticated, not a push).
        self.webhook_events = Counter(
            f"{NS}_webhook_events_total",
            "Webhook requests by type and outcome",
            ["type", "outcome"],
            registry=r,
        )

    def watch_registry_requests(self, snapshot: Callable[[], Mapping[tuple[str, str], int]]) -> None:
        """Export the registry client's live counts: `snapshot()` maps (registry, kind) to a count.

        Kinds `failed` and `rate_limited` feed their own metrics; every other kind is a request.
        """
        self.registry.register(_RegistryRequests(snapshot))

    def watch_kubernetes(self, counts: Callable[[], tuple[int, int]]) -> None:
        """Export Kubernetes API (requests, errors) as upstream's k8s_api counters; read live."""
        self.registry.register(_KubernetesRequests(counts))


class ResourceMetrics:
    """Upstream's per-`ImageUpdater` series, keyed by the resource's namespace and name."""

    LABELS = ("image_updater_cr_name", "image_updater_cr_namespace")

    def __init__(self) -> None:
        labels = self.LABELS
        self.applications = Gauge(f"{NS}_applications_watched_total", "per resource", labels, registry=None)
        self.images = Gauge(f"{NS}_images_watched_total", "per resource", labels, registry=None)
        self.updated = Counter(f"{NS}_images_updated_total", "per resource", labels, registry=None)
        self.errors = Counter(f"{NS}_images_errors_total", "per resource", labels, registry=None)
        self._known: set[tuple[str, str]] = set()

    def record(
        self, namespace: str, name: str, *, applications: int, images: int, updated: int, errors: int
    ) -> None:
        """One cycle of one resource: the gauges are set, the counters grow."""
        self._known.add((namespace, name))
        self.applications.labels(name, namespace).set(applications)
        self.images.labels(name, namespace).set(images)
        self.updated.labels(name, namespace).inc(updated)
        self.errors.labels(name, namespace).inc(errors)

    def forget_resource(self, namespace: str, name: str) -> None:
        """Remove the resource's series (it was deleted); a no-op for one never recorded."""
        if (namespace, name) not in self._known:
            return
        self._known.discard((namespace, name))
        for metric in (self.applications, self.images, self.updated, self.errors):
            metric.remove(name, namespace)

    def keep_resources(self, keys: Collection[tuple[str, str]]) -> None:
        """Forget every resource not in `keys` (namespace, name): it is no longer listed."""
        for namespace, name in self._known - set(keys):
            self.forget_resource(namespace, name)


class _Together(Collector):
    """One metric family from the v0.x metric and the per-resource metric of the same name."""

    def __init__(self, plain: Gauge | Counter, per_resource: Gauge | Counter) -> None:
        self._plain, self._per_resource = plain, per_resource

    def collect(self) -> Iterator[Metric]:
        for family in self._plain.collect():
            for extra in self._per_resource.collect():
                family.samples.extend(extra.samples)
            yield family


class _KubernetesRequests(Collector):
    def __init__(self, counts: Callable[[], tuple[int, int]]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[CounterMetricFamily]:
        requests, errors = self._counts()
        yield CounterMetricFamily(f"{NS}_k8s_api_requests", "Kubernetes API requests", value=requests)
        yield CounterMetricFamily(f"{NS}_k8s_api_errors", "Kubernetes API errors", value=errors)


class _RegistryRequests(Collector):
    def __init__(self, snapshot: Callable[[], Mapping[tuple[str, str], int]]) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[CounterMetricFamily]:
        total = CounterMetricFamily(f"{NS}_registry_requests", "Registry requests", labels=["registry"])
        by_kind = CounterMetricFamily(
            f"{NS}_registry_requests_by_kind", "Registry requests by kind", labels=["registry", "kind"]
        )
        failed = CounterMetricFamily(
            f"{NS}_registry_requests_failed", "Failed registry requests", labels=["registry"]
        )
        limited = CounterMetricFamily(f"{NS}_registry_rate_limited", "429 answers", labels=["registry"])
        sums: dict[str, int] = {}
        for (registry, kind), count in sorted(self._snapshot().items()):
            if kind == "failed":
                failed.add_metric([registry], count)
            elif kind == "rate_limited":
                limited.add_metric([registry], count)
            else:
                by_kind.add_metric([registry, kind], count)
                sums[registry] = sums.get(registry, 0) + count
        for registry, count in sums.items():
            total.add_metric([registry], count)
        yield from (total, by_kind, failed, limited)
