"""Bad input to the jobs API gets a clear 4xx naming the problem, and the API is documented.

Over real HTTP (uvicorn in a thread, tests/integration/gateway_http.py): ``metadata`` that is
not a JSON object or is over 4 KB, a bad ``Idempotency-Key``, an unknown status
filter, a malformed cursor, a limit out of range; every refused submit leaves no
job folder. The OpenAPI document lists the jobs routes with their examples.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.gateway_http import gateway_settings, get, post, running_gateway, tiny_clip


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("gateway")
    with running_gateway(gateway_settings(root)) as url:
        yield url, root


@pytest.fixture(scope="module")
def clip() -> bytes:
    return tiny_clip()


@pytest.mark.parametrize(
    ("request_kwargs", "status", "code", "words"),
    [
        ({"metadata": "[1, 2]"}, 422, "invalid_metadata", "must be a JSON object, got an array"),
        ({"metadata": "asset=7"}, 422, "invalid_metadata", "not valid JSON"),
        ({"metadata": '"A-7"'}, 422, "invalid_metadata", "got a string"),
        ({"metadata": '{"x": NaN}'}, 422, "invalid_metadata", "NaN is not JSON"),
        ({"metadata": '{"a": "' + "x" * 4100 + '"}'}, 413, "payload_too_large", "'metadata' is over 4096 bytes"),
        ({"headers": {"Idempotency-Key": "k" * 201}}, 422, "invalid_idempotency_key", "201 characters long; at most 200"),
        ({"headers": {"Idempotency-Key": "tab\there"}}, 422, "invalid_idempotency_key", "printable ASCII"),
    ],
    ids=["metadata-array", "metadata-not-json", "metadata-string", "metadata-nan", "metadata-over-4kb",
         "key-201-chars", "key-control-char"],
)
def test_bad_submit_input_gets_a_clear_4xx_and_no_job(
    gateway: tuple[str, Path], clip: bytes, request_kwargs: dict[str, Any], status: int, code: str, words: str
) -> None:
    url, root = gateway
    kwargs = dict(request_kwargs)
    response = post(url, clip, headers=kwargs.pop("headers", None), **kwargs)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and words in error["message"]
    assert not list((root / "jobs").glob("*"))


@pytest.mark.parametrize(
    ("params", "code", "words"),
    [
        ({"status": "finished"}, "invalid_status", "unknown status filter 'finished'; use one of: queued, running"),
        ({"cursor": "not-a-cursor"}, "invalid_cursor", "malformed cursor 'not-a-cursor'"),
        ({"cursor": "WzEsMl0"}, "invalid_cursor", "malformed cursor"),  # base64 of [1,2]: wrong shape
        ({"limit": "0"}, "invalid_limit", "between 1 and 100"),
        ({"limit": "1000"}, "invalid_limit", "between 1 and 100"),
    ],
    ids=["unknown-status", "garbage-cursor", "wrong-shape-cursor", "limit-0", "limit-1000"],
)
def test_bad_list_parameters_get_a_clear_422(gateway: tuple[str, Path], params: dict[str, str], code: str, words: str) -> None:
    response = get(f"{gateway[0]}/v1/videos", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code and words in error["message"]


def test_openapi_documents_the_jobs_api_with_examples(gateway: tuple[str, Path]) -> None:
    spec = get(f"{gateway[0]}/openapi.json").json()
    videos, job = spec["paths"]["/v1/videos"], spec["paths"]["/v1/videos/{job_id}"]
    assert {"get", "post"} <= set(videos) and {"get", "delete"} <= set(job)
    assert "post" in spec["paths"]["/v1/videos/{job_id}/cancel"]
    parameters = {p["name"]: p for p in videos["get"]["parameters"] + videos["post"]["parameters"]}
    assert {"status", "limit", "cursor", "Idempotency-Key"} <= set(parameters)
    form = videos["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    assert "example" in form["metadata"]
    assert videos["post"]["responses"]["409"]["content"]["application/json"]["example"]["error"]["code"] == "idempotency_key_reused"
    schemas = spec["components"]["schemas"]
    assert schemas["JobList"]["example"]["jobs"][0]["metadata"]["asset_id"]
    assert "cancelled" in schemas["JobSummary"]["properties"]["status"]["enum"]
    assert "204" in job["delete"]["responses"]
