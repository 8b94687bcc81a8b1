# syntax=docker/dockerfile:1
# The gateway image. Build from the repository root (the build context):
#   docker build -f docker/gateway.Dockerfile -t REGISTRY/video-emotion/gateway:TAG .
# Shot detection (TransNetV2) is served by Triton (EMO_GATEWAY_TRITON_URL): no weights
# in this image.
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# Dependencies first, from the lock with hashes: rebuilt only when requirements/serve.lock changes.
COPY requirements/serve.lock requirements/gateway-nodeps.lock /tmp/requirements/
# PySceneDetect's detectors (EMO_GATEWAY_SHOTS__DETECTOR=content|adaptive|cascade) come from
# scenedetect, pinned as in requirements/weights.txt and installed without its
# dependencies (its CLI's; the detectors need only numpy, OpenCV, PyAV and tqdm).
RUN pip install --require-hashes -r /tmp/requirements/serve.lock \
    && pip install --no-deps --require-hashes -r /tmp/requirements/gateway-nodeps.lock

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    XDG_CACHE_HOME=/tmp/.cache
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin app
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
COPY emocore/ emocore/
COPY gateway/ gateway/
USER 10001:10001
EXPOSE 8000
CMD ["uvicorn", "gateway.app:app", "--host", "0.0.0.0", "--port", "8000", "--timeout-graceful-shutdown", "20"]
