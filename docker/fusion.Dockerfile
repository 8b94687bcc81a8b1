# syntax=docker/dockerfile:1
# The fusion image. Build from the repository root (the build context):
#   docker build -f docker/fusion.Dockerfile -t REGISTRY/video-emotion/fusion:TAG .
# Fusion is a rule on the modality scores (or a model you mount, EMO_FUSION_LEARNED_MODEL):
# no weights in this image.
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# Dependencies first, from the lock with hashes: rebuilt only when requirements/serve.lock changes.
COPY requirements/serve.lock /tmp/requirements/serve.lock
RUN pip install --require-hashes -r /tmp/requirements/serve.lock

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
COPY services/__init__.py services/__init__.py
COPY services/fusion/ services/fusion/
USER 10001:10001
EXPOSE 8000
CMD ["uvicorn", "services.fusion.app:app", "--host", "0.0.0.0", "--port", "8000", "--timeout-graceful-shutdown", "20"]
