"""The series image-updater exports, for checking dashboards and alert rules against them."""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry

from image_updater.runtime.metrics import NS, Metrics

METRIC = re.compile(rf"\b{NS}_[a-z0-9_]+\b")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
# Labels Prometheus adds when scraping, and the histogram bucket label.
TARGET_LABELS = frozenset({"job", "instance", "namespace", "pod", "service", "container", "le"})
_SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum")}


def exported() -> dict[str, set[str]]:
    """Series name -> its label names, as a scrape of a wired and used Metrics() shows them."""
    metrics = Metrics(CollectorRegistry(auto_describe=True))
    requests = {("ghcr.io", "tags"): 1, ("ghcr.io", "failed"): 1, ("ghcr.io", "rate_limited"): 1}
    metrics.watch_registry_requests(lambda: requests)
    metrics.watch_kubernetes(lambda: (1, 0))
    # Labelled series appear only once a child exists.
    metrics.images_watched.labels(application="demo").set(1)
    metrics.images_updated.labels(application="demo").inc()
    metrics.images_errors.labels(application="demo").inc()
    series: dict[str, set[str]] = {}
    for family in metrics.registry.collect():
        labels = {name for sample in family.samples for name in sample.labels} - {"le"}
        for suffix in _SUFFIXES.get(family.type, ("",)):
            series[family.name + suffix] = labels
    return series


def problems(expr: str) -> list[str]:
    """What in a PromQL expression names a series or a grouping label image-updater does not export."""
    series = exported()
    names = set(METRIC.findall(expr))
    if not names:
        return [f"no image-updater metric in {expr!r}"]
    unknown = sorted(names - series.keys())
    if unknown:
        return [f"unknown series {unknown} in {expr!r}"]
    available = set().union(*(series[n] for n in names)) | TARGET_LABELS
    used = {label.strip() for group in GROUPING.findall(expr) for label in group.split(",") if label.strip()}
    return [f"labels {sorted(used - available)} not on {sorted(names)}"] if used - available else []
