"""The Grafana dashboard queries only metrics that the services and Triton really export.

Static part: the JSON is a well-formed dashboard shipped verbatim in the chart's
ConfigMap, and covers every metric the operators need. Live part: the real services
run as uvicorn processes inferring through the local Triton server; the metric names
in every query must appear in their live /metrics, and Prometheus (Debian's) scraping
them must evaluate every query without error and with data. A misspelt metric in a
query is shown to fail both checks.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

import pytest

from devtools.triton import TritonProcess
from tests.deploy import dashboard as dash
from tests.deploy import operator
from tests.deploy.chart import K8sObject, of_kind
from tests.deploy.exercise import GATEWAY_PREFIX, SERVICES, exercise
from tests.deploy.live import sample_names, serve
from tests.deploy.prometheus import Prometheus, run_prometheus
from tests.deploy.promql import metric_names

# Exported by Triton only where it sees a GPU (DCGM); the local server runs on CPU.
# Names from Triton's metrics documentation; the exemption covers nothing else.
GPU_ONLY = frozenset({"nv_gpu_utilization", "nv_gpu_memory_used_bytes", "nv_gpu_memory_total_bytes"})
# What the operators asked for (the issue): each must be on the dashboard.
REQUIRED = frozenset(
    {
        "emo_http_requests_total", "emo_http_request_duration_seconds_bucket", "emo_errors_total",
        "emo_inference_duration_seconds_bucket", "emo_inference_batch_size_sum",
        "emo_items_processed_total", "emo_gateway_jobs_total", "emo_gateway_jobs",
        "emo_gateway_queue_depth", "emo_gateway_video_seconds_processed_total",
        "emo_gateway_shots_processed_total", "emo_gateway_frames_processed_total",
        "emo_gateway_stage_duration_seconds_bucket", "emo_gateway_downstream_in_flight",
        "emo_gateway_downstream_requests_total", "emo_gateway_circuit_state",
        "nv_inference_request_success", "nv_inference_queue_duration_us",
        "nv_inference_compute_infer_duration_us", "nv_gpu_utilization", "nv_gpu_memory_used_bytes",
        "nv_inference_count", "nv_inference_exec_count",
    }
)
NAMESPACE = "video"


def test_dashboard_is_well_formed() -> None:
    board = dash.load()
    panels = list(dash.panels(board))
    ids = [p["id"] for p in panels]
    assert board["uid"] == "video-emotion" and len(ids) == len(set(ids))
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
            assert panel["targets"], panel["title"]
    assert {v["name"] for v in board["templating"]["list"]} == {"datasource", "namespace"}


def test_dashboard_covers_the_required_metrics() -> None:
    referenced = set().union(*dash.referenced_metrics(dash.load()).values())
    assert REQUIRED - referenced == set()


def test_every_query_filters_on_the_namespace_variable() -> None:
    for title, expr in dash.panel_queries(dash.load()):
        selectors = expr.count("{")
        assert expr.count('namespace=~"$namespace"') == selectors, f"{title}: {expr}"


def test_the_chart_ships_the_dashboard_verbatim(default_objects: list[K8sObject]) -> None:
    (config_map,) = [o for o in default_objects if o["kind"] == "ConfigMap"
                     and o["metadata"]["name"].endswith("-dashboard")]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(config_map["data"]["video-emotion.json"]) == dash.load()


@pytest.fixture(scope="module")
def live_targets(
    triton_server: TritonProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """job -> /metrics URL of every service (inferring through Triton), gateway and Triton."""
    logs = tmp_path_factory.mktemp("services")
    triton_url = f"http://{triton_server.http_url}"
    targets = {"triton": triton_server.metrics_url}
    with ExitStack() as stack:
        for name, prefix in SERVICES.items():
            env = {f"{prefix}TRITON_URL": triton_url} if prefix else {}
            served = stack.enter_context(serve(name, env, logs))
            good, bad = exercise(name, served.url)
            assert good == 200 and 400 <= bad < 500, served.log()
            targets[name] = served.metrics_url
        prefix = GATEWAY_PREFIX
        env = {f"{prefix}{n.upper()}_URL": targets[n].removesuffix("/metrics") for n in SERVICES}
        env |= {f"{prefix}TRITON_URL": triton_url, f"{prefix}DATA_DIR": str(logs / "gateway"),
                f"{prefix}API_KEY": "test-key"}
        gateway = stack.enter_context(serve("gateway", env, logs))
        assert exercise("gateway", gateway.url, {"X-API-Key": "test-key"})[0] == 404, gateway.log()
        targets["gateway"] = gateway.metrics_url
        yield targets


@pytest.fixture(scope="module")
def exported(live_targets: dict[str, str]) -> set[str]:
    return set().union(*(sample_names(url) for url in live_targets.values()))


@pytest.mark.slow
@pytest.mark.triton
def test_every_dashboard_metric_is_exported(exported: set[str]) -> None:
    assert dash.unknown_metrics(dash.load(), exported | GPU_ONLY) == {}
    # The exemption is only for what a CPU-only Triton cannot export.
    assert GPU_ONLY & exported == set()
    assert "nv_cpu_utilization" in exported  # Triton's metrics endpoint was really read


@pytest.mark.slow
@pytest.mark.triton
def test_a_misspelt_metric_fails_the_check(exported: set[str]) -> None:
    board = copy.deepcopy(dash.load())
    target = next(t for p in dash.panels(board) for t in p.get("targets", [])
                  if "emo_gateway_shots_processed_total" in t["expr"])
    target["expr"] = target["expr"].replace("shots_processed", "shot_processed")
    assert dash.unknown_metrics(board, exported | GPU_ONLY) == {
        target["expr"]: {"emo_gateway_shot_processed_total"}
    }


def operator_prometheus(
    monitored: list[K8sObject], live_targets: dict[str, str], workdir: Path
) -> AbstractContextManager[Prometheus]:
    """Prometheus scraping the live processes through the chart's ServiceMonitor, relabelled
    as the Prometheus Operator does (Kubernetes Service names, namespace, honorLabels)."""
    (monitor,) = of_kind(monitored, "ServiceMonitor")
    configs = operator.scrape_configs(
        monitor, of_kind(monitored, "Service"), live_targets, namespace=NAMESPACE, interval="1s"
    )
    return run_prometheus(configs, workdir)


@pytest.fixture(scope="module")
def prometheus(
    gpu_objects: list[K8sObject], live_targets: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prometheus]:
    with operator_prometheus(gpu_objects, live_targets, tmp_path_factory.mktemp("prometheus")) as server:
        server.wait_for_scrapes(3)
        yield server


def evaluate(server: Prometheus, expr: str) -> dict:
    return server.query(dash.for_prometheus(expr, namespace=NAMESPACE, rate_interval="1m"))


@pytest.mark.slow
@pytest.mark.triton
def test_prometheus_evaluates_every_query_with_data(prometheus: Prometheus) -> None:
    problems = []
    for title, expr in dash.all_queries(dash.load()):
        answer = evaluate(prometheus, expr)
        if answer["status"] != "success":
            problems.append(f"{title}: {answer.get('error')}")
        elif not answer["data"]["result"] and not (metric_names(expr) <= GPU_ONLY):
            problems.append(f"{title}: no data for {expr}")
    assert problems == []


@pytest.mark.slow
@pytest.mark.triton
def test_prometheus_shows_a_broken_query(prometheus: Prometheus) -> None:
    misspelt = 'sum(rate(emo_gateway_shot_processed_total{namespace=~"$namespace"}[$__rate_interval]))'
    assert evaluate(prometheus, misspelt)["data"]["result"] == []
    unbalanced = 'sum(rate(emo_gateway_shots_processed_total[$__rate_interval])'
    assert evaluate(prometheus, unbalanced)["status"] == "error"


@pytest.mark.slow
@pytest.mark.triton
def test_without_honor_labels_the_per_service_panels_lose_their_data(
    gpu_objects: list[K8sObject], live_targets: dict[str, str], prometheus: Prometheus,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # The same scrape with the ServiceMonitor's honorLabels removed: the services' own
    # service="face" label becomes exported_service and service is the Service name.
    stripped = copy.deepcopy(gpu_objects)
    (monitor,) = of_kind(stripped, "ServiceMonitor")
    for endpoint in monitor["spec"]["endpoints"]:
        endpoint.pop("honorLabels", None)
    frames = next(expr for _, expr in dash.panel_queries(dash.load()) if 'service="face"' in expr)
    services = 'count by (service) (emo_http_requests_total{namespace=~"$namespace"})'
    with operator_prometheus(stripped, live_targets, tmp_path_factory.mktemp("prometheus-stripped")) as server:
        server.wait_for_scrapes(3)
        assert evaluate(server, frames)["data"]["result"] == []
        renamed = {r["metric"]["service"] for r in evaluate(server, services)["data"]["result"]}
        assert "face" not in renamed and any(name.endswith("-face") for name in renamed)
    assert evaluate(prometheus, frames)["data"]["result"] != []
    honoured = {r["metric"]["service"] for r in evaluate(prometheus, services)["data"]["result"]}
    assert {"face", "text", "audio", "fusion", "gateway"} <= honoured
