"""The retention sweep on a real store and real folders: what it removes and what it keeps."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from gateway.retention import Sweeper
from gateway.settings import GatewaySettings
from gateway.store_sqlite import SQLiteJobStore


def make_folder(root: Path, name: str, age_s: float = 0.0) -> Path:
    folder = root / "jobs" / name
    folder.mkdir(parents=True)
    (folder / "input.video").write_bytes(b"video")
    then = time.time() - age_s
    for path in (folder / "input.video", folder):
        os.utime(path, (then, then))
    return folder


@pytest.mark.parametrize("keep_uploads", [False, True])
def test_sweep_removes_expired_jobs_and_folders_no_job_needs(tmp_path: Path, keep_uploads: bool) -> None:
    settings = GatewaySettings(data_dir=tmp_path, orphan_grace_s=600, keep_uploads=keep_uploads)
    store = SQLiteJobStore(tmp_path / "jobs.sqlite3", retention_s=100, key_ttl_s=50)
    for job_id in ("done", "failed", "cancelled", "running", "queued"):
        store.create(job_id, {}, idempotency=(f"key-{job_id}", "f"))
        make_folder(tmp_path, job_id)
    for job_id in ("done", "failed", "running"):
        store.claim("worker", f"t-{job_id}", 30, job_id=job_id)
    store.finish("done", {"shots": []})
    store.fail("failed", "probe: not a video")
    store.cancel("cancelled")
    old_orphan = make_folder(tmp_path, "orphan-old", age_s=601)
    new_orphan = make_folder(tmp_path, "orphan-new", age_s=10)  # an upload may still be arriving

    report = Sweeper(settings, store).sweep()
    left = {p.name for p in (tmp_path / "jobs").iterdir()}
    ended_kept = {"failed", "cancelled"} if keep_uploads else set()
    assert left == {"done", "running", "queued", "orphan-new", *ended_kept}
    assert not old_orphan.exists() and new_orphan.exists()
    assert (report.expired_jobs, report.orphan_folders, report.forgotten_keys) == (0, 3 - len(ended_kept), 0)
    assert store.get("done") is not None  # within its retention period

    later = time.time() + 601  # past every retention period, key window and the grace period
    report = Sweeper(settings, store).sweep(now=later)
    assert report.expired_jobs == 3 and report.forgotten_keys == 2  # keys of the running and queued jobs
    assert store.get("done") is None and store.get("failed") is None and store.get("cancelled") is None
    assert store.get("running") is not None and store.get("queued") is not None
    assert {p.name for p in (tmp_path / "jobs").iterdir()} == {"running", "queued"}  # "orphan-new" aged too


def test_a_sweep_without_a_jobs_folder_is_a_no_op(tmp_path: Path) -> None:
    store = SQLiteJobStore(tmp_path / "jobs.sqlite3")
    report = Sweeper(GatewaySettings(data_dir=tmp_path), store).sweep()
    assert (report.expired_jobs, report.orphan_folders, report.forgotten_keys) == (0, 0, 0)
