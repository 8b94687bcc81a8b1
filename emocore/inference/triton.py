"""Triton backend: tritonclient's async HTTP client with timeouts, retries and ready checks.

All tritonclient errors are wrapped here, in one place, into domain errors. A
failure to reach Triton is a stable message naming the model only; the Triton
address and the transport error go to the log (clients never see them). Triton's
own 4xx answers (unknown model, wrong shape) are passed on: they describe the request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiohttp
import numpy as np
import tritonclient.http.aio as triton_http
from tritonclient.http import InferResult
from tritonclient.utils import InferenceServerException, np_to_triton_dtype

from emocore.errors import BackendUnavailable, InvalidInput, ModelNotReady
from emocore.retry import retries_allowed

log = logging.getLogger(__name__)


def _strip_scheme(url: str) -> str:
    return url.split("://", 1)[1] if "://" in url else url


def _raise_if_final(model: str, exc: InferenceServerException) -> None:
    """Raise the domain error for answers a retry cannot change (HTTP 4xx).

    Triton answers 404 for an unknown model and 400 for a bad request (shape, dtype,
    input name, batch too large); 5xx and answers without a status are left to retry.
    """
    status = str(exc.status() or "")
    message = exc.message() or str(exc)
    # Triton's own 4xx text is about the request (model name, tensor shape), never our hosts.
    if status == "404" or "unknown model" in message.lower():
        raise ModelNotReady(f"the inference server does not serve model '{model}': {message}") from exc
    if status.startswith("4"):
        raise InvalidInput(f"the inference server rejected the request for model '{model}': {message}") from exc


class TritonBackend:
    """Calls a Triton server; retries connection failures and 'unavailable' answers."""

    name = "triton"

    def __init__(self, url: str, *, timeout_s: float = 30.0, retries: int = 3) -> None:
        self._url = _strip_scheme(url)
        self._timeout_s = timeout_s
        self._retries = max(0, retries)
        self._client: triton_http.InferenceServerClient | None = None

    def _get_client(self) -> triton_http.InferenceServerClient:
        if self._client is None:
            self._client = triton_http.InferenceServerClient(
                self._url, conn_timeout=self._timeout_s
            )
        return self._client

    async def infer(
        self, model: str, inputs: dict[str, np.ndarray], outputs: list[str]
    ) -> dict[str, np.ndarray]:
        request_inputs = []
        for name, array in inputs.items():
            dtype = np_to_triton_dtype(array.dtype)
            if dtype is None:
                raise InvalidInput(f"input '{name}' has a dtype Triton cannot take: {array.dtype}")
            tensor = triton_http.InferInput(name, list(array.shape), dtype)
            tensor.set_data_from_numpy(np.ascontiguousarray(array), binary_data=True)
            request_inputs.append(tensor)
        request_outputs = [triton_http.InferRequestedOutput(n, binary_data=True) for n in outputs]

        async def call() -> InferResult:
            return await self._get_client().infer(
                model,
                request_inputs,
                outputs=request_outputs,
                timeout=int(self._timeout_s * 1_000_000),
            )

        result = await self._with_retries(model, call)
        arrays = {name: result.as_numpy(name) for name in outputs}
        missing = [name for name, array in arrays.items() if array is None]
        if missing:
            raise ModelNotReady(f"triton model '{model}' returned no output {missing}")
        return {name: np.asarray(array) for name, array in arrays.items()}

    async def _with_retries(
        self, model: str, call: Callable[[], Awaitable[InferResult]]
    ) -> InferResult:
        """Run ``call``; retry transport failures and 5xx answers, map 4xx to domain errors."""
        delay = 0.1
        last: Exception | None = None
        retries = retries_allowed(self._retries)  # the caller's budget, if it sent one
        for attempt in range(retries + 1):
            try:
                return await asyncio.wait_for(call(), timeout=self._timeout_s)
            except InferenceServerException as exc:
                _raise_if_final(model, exc)
                last = exc
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                last = exc
            if attempt < retries:
                log.warning("triton call for %s failed (%s), retrying", model, last)
                await asyncio.sleep(delay)
                delay *= 2
        log.error("triton at %s failed for %s after %d attempts: %r", self._url, model, retries + 1, last)
        raise BackendUnavailable(f"the inference server is unavailable for model '{model}'")

    async def is_ready(self, model: str) -> bool:
        try:
            return bool(
                await asyncio.wait_for(
                    self._get_client().is_model_ready(model), timeout=self._timeout_s
                )
            )
        except Exception as exc:
            log.info("triton readiness check for %s failed: %s", model, exc)
            return False

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
