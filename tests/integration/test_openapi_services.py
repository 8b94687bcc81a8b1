"""Schemathesis against every service's own OpenAPI description: no request makes a 5xx.

Each app runs in process (ASGI, embedded models) with its lifespan started once;
schemathesis generates valid and invalid requests for every operation from
``/openapi.json`` (``max_examples`` per operation, no deadline) and checks only
``not_a_server_error``: whatever a caller sends, the answer is a result or a 4xx
(503/429 would also count as failures here: nothing is overloaded or down). The
audio service's raw body types are serialised as plain bytes; the face service's
generated files are sent as ``image/png`` so they reach the image decoder.
The gateway's downstream services are a closed port, so its uploads stop at probing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from devtools.serve import free_port
from gateway.app import create_app as gateway_app
from gateway.settings import GatewaySettings
from services.audio.app import create_app as audio_app
from services.audio.settings import AudioSettings
from services.face.app import create_app as face_app
from services.face.settings import FaceSettings
from services.fusion.app import create_app as fusion_app
from services.fusion.settings import FusionSettings
from services.text.app import create_app as text_app
from services.text.settings import TextSettings

RAW_BODIES = ("audio/wav", "audio/flac", "audio/mpeg", "audio/mp4", "video/mp4")  # the audio service's body
for media_type in RAW_BODIES:
    schemathesis.serializer.alias(media_type, "application/octet-stream")

BOUNDED = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


def gateway(tmp: Path) -> Any:
    dead = f"http://127.0.0.1:{free_port()}"
    return gateway_app(GatewaySettings(
        data_dir=tmp, face_url=dead, text_url=dead, audio_url=dead, fusion_url=dead, retries=0, wait_timeout_s=5,
    ))


APPS = {
    "face": lambda tmp: face_app(FaceSettings()),
    "text": lambda tmp: text_app(TextSettings()),
    "audio": lambda tmp: audio_app(AudioSettings()),
    "fusion": lambda tmp: fusion_app(FusionSettings()),
    "gateway": gateway,
}


def load(service: str, tmp: Path) -> Any:
    api = schemathesis.openapi.from_asgi("/openapi.json", APPS[service](tmp))
    if service == "face":  # send the generated files as PNG, so they get past the content-type check
        body = api.raw_schema["paths"]["/v1/predict"]["post"]["requestBody"]["content"]["multipart/form-data"]
        body["encoding"] = {"files": {"contentType": "image/png"}}
    return api


@pytest.mark.slow
@pytest.mark.parametrize("service", list(APPS))
def test_no_request_gets_a_server_error(service: str, tmp_path: Path) -> None:
    api = load(service, tmp_path)
    # /health/ready takes no input; its 503 while a model is missing is the contract, tested elsewhere.
    operations = [r.ok() for r in api.get_all_operations() if r.ok().label != "GET /health/ready"]
    assert len(operations) >= 3
    for operation in operations:

        @BOUNDED
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        run()
