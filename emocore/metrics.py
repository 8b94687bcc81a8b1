"""Prometheus metrics shared by every service, named by Prometheus conventions with units.

Each service gets its own ``CollectorRegistry`` (so several apps can live in one
test process); ``ServiceMetrics`` holds the standard families.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class ServiceMetrics:
    """Request, inference and item metrics for one service."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "emo_http_requests_total",
            "HTTP requests by route, method and status code.",
            ["service", "route", "method", "status"],
            registry=r,
        )
        self.request_latency = Histogram(
            "emo_http_request_duration_seconds",
            "HTTP request latency by route.",
            ["service", "route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "emo_http_requests_in_flight", "HTTP requests being served.", ["service"], registry=r
        )
        self.errors = Counter(
            "emo_errors_total",
            "Requests rejected or failed, by error code.",
            ["service", "code"],
            registry=r,
        )
        self.inference_latency = Histogram(
            "emo_inference_duration_seconds",
            "Model inference time per batch.",
            ["service", "model", "backend"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "emo_inference_batch_size",
            "Items per inference batch.",
            ["service", "model"],
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.items = Counter(
            "emo_items_processed_total",
            "Items processed, by kind (frames, faces, lines, audio_seconds).",
            ["service", "kind"],
            registry=r,
        )

    def count_items(self, kind: str, amount: float) -> None:
        self.items.labels(self.service, kind).inc(amount)

    def observe_inference(self, model: str, backend: str, seconds: float, batch: int) -> None:
        self.inference_latency.labels(self.service, model, backend).observe(seconds)
        self.batch_size.labels(self.service, model).observe(batch)
