"""Gateway metrics: the shared HTTP families plus job, stage and downstream ones.

The names are fixed: the Grafana dashboard in deploy/helm queries exactly these.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric

from emocore.metrics import LATENCY_BUCKETS, ServiceMetrics

STAGES = ("probe", "decode", "shots", "face", "text", "audio", "fusion")
SERVICES = ("face", "text", "audio", "fusion")
STAGE_BUCKETS = (*LATENCY_BUCKETS, 120.0, 300.0, 600.0)


class JobsGauge:
    """``emo_gateway_jobs{state}`` as a custom collector.

    prometheus-client reserves the base name ``emo_gateway_jobs`` for the counter
    ``emo_gateway_jobs_total`` and would refuse a Gauge of that name in the same
    registry; the exposition of both is valid, so this gauge is collected by hand
    (a collector without ``describe`` is not name-checked).
    """

    def __init__(self) -> None:
        self.values = {"queued": 0.0, "running": 0.0}

    def set(self, state: str, value: float) -> None:
        self.values[state] = value

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("emo_gateway_jobs", "Jobs now queued or running.", labels=["state"])
        for state, value in self.values.items():
            family.add_metric([state], value)
        yield family


class GatewayMetrics(ServiceMetrics):
    def __init__(self) -> None:
        super().__init__("gateway")
        r = self.registry
        self.jobs_total = Counter(
            "emo_gateway_jobs_total", "Jobs by outcome: submitted, done, failed, cancelled.", ["state"], registry=r
        )
        self.jobs = JobsGauge()
        r.register(self.jobs)
        self.queue_depth = Gauge("emo_gateway_queue_depth", "Jobs waiting in the queue.", registry=r)
        self.backlog = Gauge(  # the worker autoscaler's metric: the same in every process of a shared store
            "emo_gateway_queue_backlog", "Jobs queued or running in the whole job store.", registry=r
        )
        self.video_seconds = Counter(
            "emo_gateway_video_seconds_processed_total", "Seconds of video analysed.", registry=r
        )
        self.shots = Counter("emo_gateway_shots_processed_total", "Shots analysed.", registry=r)
        self.frames = Counter(
            "emo_gateway_frames_processed_total", "Frames sent to the face service.", registry=r
        )
        self.stage_duration = Histogram(
            "emo_gateway_stage_duration_seconds",
            "Time per pipeline stage (face/text/audio: per request to the service).",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=r,
        )
        self.downstream_in_flight = Gauge(
            "emo_gateway_downstream_in_flight", "Requests in flight per service.", ["service"], registry=r
        )
        self.downstream_requests = Counter(
            "emo_gateway_downstream_requests_total",
            "Downstream request attempts by outcome: ok, error, retry, circuit_open.",
            ["service", "outcome"],
            registry=r,
        )
        self.circuit_state = Gauge(
            "emo_gateway_circuit_state",
            "Circuit breaker state per service: 0 closed, 1 open, 2 half-open.",
            ["service"],
            registry=r,
        )
        for state in ("submitted", "done", "failed", "cancelled"):
            self.jobs_total.labels(state)
        for stage in STAGES:
            self.stage_duration.labels(stage)
        for service in SERVICES:
            self.downstream_in_flight.labels(service).set(0)
            self.circuit_state.labels(service).set(0)
            for outcome in ("ok", "error", "retry", "circuit_open"):
                self.downstream_requests.labels(service, outcome)
