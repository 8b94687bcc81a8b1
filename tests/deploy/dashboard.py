"""The Grafana dashboard's PromQL: every query, and the metric names each one selects.

Queries come from panel targets (rows included) and from ``label_values(...)``
template variables. ``for_prometheus`` replaces Grafana's variables with values a
plain Prometheus can evaluate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.deploy.chart import CHART_DIR
from tests.deploy.promql import metric_names

DASHBOARD = CHART_DIR / "dashboards" / "video-emotion.json"
_LABEL_VALUES = re.compile(r"^\s*label_values\((?:(?P<expr>.+),)?\s*(?P<label>[A-Za-z_]\w*)\s*\)\s*$")


def load(path: Path = DASHBOARD) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, those nested in collapsed rows too."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def panel_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """``(panel title, expr)`` for every target of every panel."""
    return [
        (panel["title"], target["expr"])
        for panel in panels(dashboard)
        for target in panel.get("targets", [])
        if "expr" in target
    ]


def variable_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """``(variable name, selector)`` for every ``label_values(selector, label)`` variable."""
    found = []
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        text = query.get("query", "") if isinstance(query, dict) else ""
        match = _LABEL_VALUES.match(text)
        if match and match.group("expr"):
            found.append((variable["name"], match.group("expr")))
    return found


def all_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    return panel_queries(dashboard) + variable_queries(dashboard)


def referenced_metrics(dashboard: dict[str, Any]) -> dict[str, set[str]]:
    """expr -> metric names it selects."""
    return {expr: metric_names(expr) for _, expr in all_queries(dashboard)}


def unknown_metrics(dashboard: dict[str, Any], exported: set[str]) -> dict[str, set[str]]:
    """expr -> the names it selects that nothing exports (empty when all is well)."""
    return {
        expr: names - exported
        for expr, names in referenced_metrics(dashboard).items()
        if names - exported
    }


def for_prometheus(expr: str, *, namespace: str, rate_interval: str) -> str:
    """The query with Grafana's variables filled in."""
    return (
        expr.replace("$__rate_interval", rate_interval)
        .replace("${namespace}", namespace)
        .replace("$namespace", namespace)
    )
