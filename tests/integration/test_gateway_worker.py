"""``python -m gateway.worker`` on PostgreSQL: a SIGTERMed worker hands its running job back to the queue."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools.sample_video import cached
from devtools.serve import free_port
from emocore.settings import REPO_ROOT
from gateway.settings import GatewaySettings
from gateway.store import open_store
from tests.integration.gateway_http import Silent


@pytest.mark.slow
def test_sigterm_hands_the_running_job_back_within_the_grace_period(postgres_url: str, tmp_path: Path) -> None:
    hung = Silent()  # every modality service hangs: the job stays running until the worker stops
    store = open_store(GatewaySettings(database_url=postgres_url))
    job_id = "c" * 32
    folder = tmp_path / "jobs" / job_id
    folder.mkdir(parents=True)
    shutil.copy(cached("small").video, folder / "input.video")
    store.create(job_id, {})
    env = {
        **os.environ, "EMO_GATEWAY_DATABASE_URL": postgres_url, "EMO_GATEWAY_DATA_DIR": str(tmp_path),
        "EMO_GATEWAY_SHUTDOWN_GRACE_S": "1", "EMO_GATEWAY_WORKER_PORT": str(free_port()),
        "EMO_GATEWAY_TIMEOUT_S": "120", "EMO_GATEWAY_RETRIES": "0", "EMO_GATEWAY_QUEUE_POLL_S": "0.2",
        **{f"EMO_GATEWAY_{name}_URL": hung.url for name in ("FACE", "TEXT", "AUDIO", "FUSION")},
    }
    worker = subprocess.Popen([sys.executable, "-m", "gateway.worker"], cwd=REPO_ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while (job := store.get(job_id)) is not None and job.status != "running":
            assert time.monotonic() < deadline and worker.poll() is None, "the worker never started the job"
            time.sleep(0.1)
        time.sleep(1.0)  # well into the job: decoding done, waiting on the hung services
        stopped = time.monotonic()
        worker.terminate()
        assert worker.wait(30) == 0
        assert time.monotonic() - stopped < 15  # the 1-s grace, then hand-back and exit
        back = store.get(job_id)
        assert back is not None and (back.status, back.progress, back.error) == ("queued", 0.0, None)
        assert (folder / "input.video").exists()  # its upload stays for the next worker
        assert store.claim("next-worker", "t", 30) is not None  # and the queue gives it out again
    finally:
        if worker.poll() is None:
            worker.kill()
        output = worker.communicate()[0].decode(errors="replace")
        store.close()
        hung.close()
    assert "handed back to the queue" in output, output
