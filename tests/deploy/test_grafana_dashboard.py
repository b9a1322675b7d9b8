"""config/grafana-dashboard.json: valid JSON, the Prometheus data source is a variable, and every
query names only series that runtime/metrics.py exports, grouped by labels those series carry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from image_updater.runtime.metrics import NS
from tests.deploy.series import METRIC, problems

DASHBOARD = Path(__file__).resolve().parents[2] / "config" / "grafana-dashboard.json"


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", [])


def queries(board: dict[str, Any]) -> Iterator[str]:
    for panel in panels(board):
        for target in panel.get("targets", []):
            yield target["expr"]
    for variable in board["templating"]["list"]:
        query = variable.get("query")
        if variable["type"] == "query":
            yield query["query"] if isinstance(query, dict) else query


def test_datasource_is_a_variable() -> None:
    board = dashboard()
    (variable,) = [v for v in board["templating"]["list"] if v["type"] == "datasource"]
    assert variable["query"] == "prometheus"
    expected = {"type": "prometheus", "uid": f"${{{variable['name']}}}"}
    for panel in panels(board):
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == expected, panel["title"]
        assert all(t["datasource"] == expected for t in panel["targets"]), panel["title"]


def test_panel_ids_are_unique_and_placed() -> None:
    every = list(panels(dashboard()))
    assert len({p["id"] for p in every}) == len(every)
    assert all({"x", "y", "w", "h"} <= p["gridPos"].keys() for p in every)


@pytest.mark.parametrize("expr", list(queries(dashboard())))
def test_queries_use_only_exported_series_and_labels(expr: str) -> None:
    assert problems(expr) == []


def test_dashboard_covers_every_area() -> None:
    used = {name for expr in queries(dashboard()) for name in METRIC.findall(expr)}
    wanted = {
        f"{NS}_applications_watched_total",
        f"{NS}_images_watched_total",
        f"{NS}_images_updated_total",
        f"{NS}_images_errors_total",
        f"{NS}_images_updated_errors_total",
        f"{NS}_registry_requests_by_kind_total",
        f"{NS}_registry_rate_limited_total",
        f"{NS}_cycle_duration_seconds_bucket",
        f"{NS}_k8s_api_requests_total",
        f"{NS}_k8s_api_errors_total",
    }
    assert wanted <= used
