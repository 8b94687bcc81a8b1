"""Gateway settings (env prefix ``EMO_GATEWAY_``, e.g. ``EMO_GATEWAY_FACE_URL``).

The shared ``max_request_bytes`` is the upload limit: the whole multipart body
(video plus subtitles), checked against ``Content-Length`` before reading and again
while streaming it to disk. The inherited backend settings (``triton_url``,
``triton_timeout_s``, ``triton_retries``, ``inference_threads``, ``model_repository``)
are those of the shot detector's model. Shot detection settings are nested:
``EMO_GATEWAY_SHOTS__DETECTOR=content``, ``EMO_GATEWAY_SHOTS__MIN_SHOT_S=1.0``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from emocore.aggregation import Rule
from emocore.settings import REPO_ROOT, ServiceSettings
from gateway.outbound import AddressPolicy
from gateway.shots.settings import ShotSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EMO_GATEWAY_", env_nested_delimiter="__", extra="ignore")

    face_url: str = "http://127.0.0.1:8001"
    text_url: str = "http://127.0.0.1:8002"
    audio_url: str = "http://127.0.0.1:8003"
    fusion_url: str = "http://127.0.0.1:8004"

    data_dir: Path = REPO_ROOT / "var" / "gateway"  # job folders and the SQLite store
    database: Path | None = None  # default: data_dir / "jobs.sqlite3"
    # sqlite:///PATH (one process runs API and jobs) or postgresql://USER:PASS@HOST/DB (shared by
    # any number of API processes and workers); unset: the SQLite file above.
    database_url: str | None = None
    database_pool_size: int = 4  # PostgreSQL connections per process
    max_request_bytes: int = 2 * 1024**3
    max_subtitle_bytes: int = 5 * 1024 * 1024
    max_subtitle_cues: int = 50_000  # cues of a sidecar file or an embedded stream; above: 413
    max_concurrent_requests: int = 64  # polling and ?wait=true requests
    max_video_seconds: float = 4 * 3600.0  # at upload (declared or counted) and on what is decoded
    keep_uploads: bool = False  # keep the video of a finished job on disk
    min_free_bytes: int = 1024**3  # free-space reserve on data_dir: below it, uploads get 507
    result_retention_s: float = 7 * 24 * 3600.0  # an ended job (result, files) is deleted this long after
    idempotency_ttl_s: float = 24 * 3600.0  # an Idempotency-Key replays its job this long
    sweep_interval_s: float = 300.0  # retention and orphan sweep period (0: never)
    orphan_grace_s: float = 3600.0  # a job folder without a job row is removed once untouched this long
    cancel_poll_s: float = 1.0  # a running job checks this often whether it was cancelled elsewhere

    queue_size: int = 16  # jobs waiting; beyond: 429 with Retry-After
    job_workers: int = 1  # jobs processed at once by this process (0: an API process that runs none)
    lease_s: float = 30.0  # a running job's lease; renewed every cancel_poll_s, reclaimed once expired
    queue_poll_s: float = 1.0  # an idle worker looks for queued jobs this often (at once for local submits)
    max_attempts: int = 3  # a job whose worker died this many times fails
    shutdown_grace_s: float = 20.0  # on SIGTERM, running jobs may finish this long, then go back to the queue
    worker_port: int = 8020  # python -m gateway.worker: /metrics and /health/* on this port (0: none)
    shot_concurrency: int = 4  # shots of one job in flight at once (the decoder waits beyond)
    window_frames: int = 3000  # shot detection block: a shot is final once its block is run
    window_context_frames: int = 100  # real frames the detector sees on each side of a block
    decode_chunk_frames: int = 250  # frames decoded per step (one step is decoded ahead)
    transcribe_chunk_s: float = 120.0  # audio sent for transcription in pieces of this length
    wait_timeout_s: float = 3600.0  # longest ?wait=true
    job_timeout_s: float = 4 * 3600.0  # a running job past this is stopped and failed

    sample_fps: float = 2.0  # frames per second sent to the face service
    face_batch_size: int = 32  # frames per face request
    face_aggregation: Rule = "mean"  # mean | max_pooling | max_count, over primary faces
    text_batch_size: int = 64  # lines per text request
    text_context_lines: int = Field(default=3, ge=0)  # preceding lines sent with each line as its context (0: none)
    text_context_gap_s: float = Field(default=10.0, ge=0)  # a silence longer than this between lines ends a context
    fusion_batch_size: int = 512  # shots per fusion request
    shots: ShotSettings = Field(default_factory=ShotSettings)  # detector, thresholds, length limits
    min_audio_seconds: float = 0.3  # shorter shots: no audio request, "speech": false

    timeout_s: float = 30.0  # per downstream request (read)
    connect_timeout_s: float = 2.0
    transcribe_timeout_s: float = 600.0
    retries: int = 2  # extra attempts on 5xx / 429 / connection errors; the request's whole retry budget
    backoff_s: float = 0.2  # first retry delay, doubled each time (with jitter)
    breaker_failures: int = 5  # consecutive failures that open a service's circuit
    breaker_reset_s: float = 10.0  # open -> half-open after this long
    ready_cache_s: float = 5.0  # /health/ready re-checks the services (and Triton) at most this often
    ready_timeout_s: float = 2.0  # per downstream readiness check

    # URL input and completion webhooks: off unless hosts are listed (exact host names).
    # As JSON in the environment: EMO_GATEWAY_URL_ALLOW_LIST='["media.example.com"]'.
    url_allow_list: list[str] = Field(default_factory=list)
    webhook_allow_list: list[str] = Field(default_factory=list)
    webhook_retries: int = 8  # extra delivery attempts of a webhook event (from the outbox)
    webhook_backoff_s: float = 2.0  # first retry delay, doubled each attempt (with jitter)
    webhook_max_backoff_s: float = 600.0
    webhook_secret: SecretStr | None = None  # signs webhook bodies: X-Signature: sha256=HMAC-SHA256(body)
    # Their hosts must resolve to public addresses on these ports (gateway.outbound);
    # remote_allow_private admits loopback/private/link-local ones (a lab, a test).
    remote_allow_private: bool = False
    remote_ports: list[int] = Field(default_factory=lambda: [80, 443])
    api_key: str | None = None  # when set, /v1 routes need it in the X-API-Key header

    def address_policy(self) -> AddressPolicy:
        return AddressPolicy(allow_private=self.remote_allow_private, ports=frozenset(self.remote_ports))

    def database_path(self) -> Path:
        return self.database or self.data_dir / "jobs.sqlite3"
