"""Prometheus metrics under argocd-image-updater's names, on a registry owned by the runtime.

Upstream's names are kept so existing dashboards and alerts work unchanged, plus the two the
seed article's alert rules use (`images_checked_total`, `images_updated_errors_total`), a
cycle-duration histogram and per-registry request/429 counters read live from the registry
client's request counter. No module-level registry: tests build as many as they like.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

NS = "argocd_image_updater"


class Metrics:
    """Every metric image-updater exports. One instance per process (or per test)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.applications_watched = Gauge(
            f"{NS}_applications_watched_total", "Applications watched", registry=r
        )
        self.images_watched = Gauge(
            f"{NS}_images_watched_total", "Images watched per Application", ["application"], registry=r
        )
        self.images_updated = Counter(
            f"{NS}_images_updated_total", "Images updated per Application", ["application"], registry=r
        )
        self.images_errors = Counter(
            f"{NS}_images_errors_total", "Image update errors per Application", ["application"], registry=r
        )
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
