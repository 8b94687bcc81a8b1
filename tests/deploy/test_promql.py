"""The PromQL tokenizer finds metric names and nothing else."""

from __future__ import annotations

import pytest

from tests.deploy.promql import PromQLSyntaxError, metric_names


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("up", {"up"}),
        ('emo_http_requests_total{service="face", route!~"/health.*"}', {"emo_http_requests_total"}),
        ("sum by (service, kind) (rate(emo_items_processed_total[$__rate_interval]))",
         {"emo_items_processed_total"}),
        ("sum(rate(x_total[5m])) by (le)", {"x_total"}),
        ("sum without (instance) (rate(x_total[5m]))", {"x_total"}),
        ("histogram_quantile(0.95, sum by (le) (rate(emo_inference_duration_seconds_bucket[1m])))",
         {"emo_inference_duration_seconds_bucket"}),
        ("rate(nv_inference_count[1m]) / on (model) group_left (version) rate(nv_inference_exec_count[1m])",
         {"nv_inference_count", "nv_inference_exec_count"}),
        ("a and b or c unless d", {"a", "b", "c", "d"}),
        ("x > bool 0.5", {"x"}),
        ("x offset 5m", {"x"}),
        ('{__name__="x"}', set()),  # a name in a matcher is not checked here
        ('label_replace(x, "dst", "$1", "src", "(.*)")', {"x"}),
        ('sum(x{namespace=~"$namespace"}) or 0 * sum(y{namespace=~"${namespace}"})', {"x", "y"}),
        ("max_over_time(rate(x_total[1m])[10m:1m])", {"x_total"}),
        ("1e3 * nv_gpu_utilization", {"nv_gpu_utilization"}),
        ("job:requests:rate5m", {"job:requests:rate5m"}),  # recording-rule names
    ],
)
def test_metric_names(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


@pytest.mark.parametrize("expr", ["sum(rate(x[5m])", "x{a=\"b\"", "x]", "x ; y"])
def test_malformed_expressions_are_rejected(expr: str) -> None:
    with pytest.raises(PromQLSyntaxError):
        metric_names(expr)
