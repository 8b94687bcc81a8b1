"""Schemathesis against every service's own OpenAPI description: no request makes a 5xx.

Each app runs in process (ASGI, embedded models) with its lifespan started once;
schemathesis generates valid and invalid requests for every operation from
``/openapi.json`` (``max_examples`` per operation, no deadline) and checks only
``not_a_server_error``: whatever a caller sends, the answer is a result or a 4xx
(503/429 would also count as failures here: nothing is overloaded or down).
The gateway's downstream services are a closed port, so its uploads stop at probing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from gateway.app import create_app as gateway_app
from gateway.serve import free_port
from gateway.settings import GatewaySettings
from services.audio.app import create_app as audio_app
from services.audio.settings import AudioSettings
from services.face.app import create_app as face_app
from services.face.settings import FaceSettings
from services.fusion.app import create_app as fusion_app
from services.fusion.settings import FusionSettings
from services.text.app import create_app as text_app
from services.text.settings import TextSettings

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


@pytest.fixture(scope="module", params=list(APPS))
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    app = APPS[request.param](tmp_path_factory.mktemp(request.param))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api")


@pytest.mark.slow
@schema.parametrize()
@BOUNDED
def test_no_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error])
