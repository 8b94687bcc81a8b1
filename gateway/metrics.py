"""Gateway metrics: the shared HTTP families plus job, stage and downstream ones.

The names are fixed: the Grafana dashboard in deploy/helm queries exactly these.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from emocore.metrics import LATENCY_BUCKETS, ServiceMetrics

STAGES = ("probe", "decode", "shots", "face", "text", "audio", "fusion")
SERVICES = ("face", "text", "audio", "fusion")
STAGE_BUCKETS = (*LATENCY_BUCKETS, 120.0, 300.0, 600.0)


class GatewayMetrics(ServiceMetrics):
    def __init__(self) -> None:
        super().__init__("gateway")
        r = self.registry
        self.jobs_total = Counter(
            "emo_gateway_jobs_total", "Jobs by outcome: submitted, done, failed.", ["state"], registry=r
        )
        self.jobs = Gauge("emo_gateway_jobs", "Jobs now queued or running.", ["state"], registry=r)
        self.queue_depth = Gauge("emo_gateway_queue_depth", "Jobs waiting in the queue.", registry=r)
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
        for state in ("submitted", "done", "failed"):
            self.jobs_total.labels(state)
        for state in ("queued", "running"):
            self.jobs.labels(state).set(0)
        for stage in STAGES:
            self.stage_duration.labels(stage)
        for service in SERVICES:
            self.downstream_in_flight.labels(service).set(0)
            self.circuit_state.labels(service).set(0)
            for outcome in ("ok", "error", "retry", "circuit_open"):
                self.downstream_requests.labels(service, outcome)
