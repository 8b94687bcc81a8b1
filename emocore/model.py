"""What a service serves: the model protocol (load, ready, close) and its two usual forms.

``emocore.service.build_app`` runs ``load`` at start-up, asks ``ready`` for
``/health/ready`` and runs ``close`` at shutdown. ``BackendModel`` is a model on the
inference backend the settings choose (face, text, audio); ``LocalModel`` one that
needs no backend (fusion). Both build in a worker thread; a build that fails with a
domain error or a ``ValueError`` leaves the service up but not ready, and every call
that needs the model gets 503 with the reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, Protocol, TypeVar

from emocore.errors import ModelNotReady, ServiceError
from emocore.inference import InferenceBackend, create_backend
from emocore.settings import ServiceSettings

log = logging.getLogger(__name__)

M = TypeVar("M")


class ServedModel(Protocol):
    """Anything a service app serves."""

    async def load(self) -> None: ...

    async def ready(self) -> bool: ...

    async def close(self) -> None: ...


class LocalModel(Generic[M]):
    """A model built by ``build()``, needing no inference backend."""

    def __init__(self, build: Callable[[], M], *, check: Callable[[M], Awaitable[bool]] | None = None) -> None:
        self._build = build
        self._check = check
        self._model: M | None = None
        self.load_error = "the model is not loaded yet"

    @property
    def model(self) -> M:
        """The loaded model (ModelNotReady, with the reason, when it is not)."""
        if self._model is None:
            raise ModelNotReady(self.load_error)
        return self._model

    async def load(self) -> None:
        try:
            self._model = await asyncio.to_thread(self._build)
        except (ServiceError, ValueError) as exc:
            self.load_error = str(getattr(exc, "message", exc))
            log.error("model not loaded: %s", self.load_error)

    async def ready(self) -> bool:
        if self._model is None:
            return False
        return await self._check(self._model) if self._check else True

    async def close(self) -> None:
        self._model = None


class BackendModel(LocalModel[M]):
    """A model on the backend the settings choose: Triton with a URL, else ONNX Runtime.

    Ready once built and when the backend serves every name in ``model_names`` (and
    ``check``, when given, passes).
    """

    def __init__(
        self,
        settings: ServiceSettings,
        build: Callable[[InferenceBackend], M],
        *,
        model_names: Sequence[str] = (),
        check: Callable[[M], Awaitable[bool]] | None = None,
    ) -> None:
        super().__init__(lambda: build(self.backend), check=check)
        self.settings = settings
        self.model_names = tuple(model_names)
        self._backend: InferenceBackend | None = None

    @property
    def backend(self) -> InferenceBackend:
        if self._backend is None:
            raise ModelNotReady("the inference backend is not open")
        return self._backend

    async def load(self) -> None:
        self._backend = create_backend(self.settings)
        await super().load()

    async def ready(self) -> bool:
        if not await super().ready():
            return False
        return all([await self.backend.is_ready(name) for name in self.model_names])

    async def close(self) -> None:
        await super().close()
        if self._backend is not None:
            await self._backend.close()
            self._backend = None
