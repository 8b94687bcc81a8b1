"""The job store on SQLite and PostgreSQL: lifecycle, persistence across a restart, paging, keys, expiry, migration."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from gateway.jobs import INTERRUPTED, KeyTaken
from gateway.store_sqlite import SQLiteJobStore
from tests.unit.gateway.stores import StoreFactory


def test_lifecycle_and_status_body(store_factory: StoreFactory) -> None:
    store = store_factory.open(retention_s=3600)
    job = store.create("a1", {"video": {"width": 64}}, webhook_url="http://hooks.local/x", metadata={"asset": "A-1"})
    assert (job.status, job.progress, job.result, job.expires_at) == ("queued", 0.0, None, None)
    assert store.claim("w1", "t1", 30, job_id="a1") is not None
    assert store.claim("w2", "t2", 30, job_id="a1") is None  # only a queued job (or a lost one) is claimed
    store.progress("a1", 0.5)
    body = store.get("a1").status_body()  # type: ignore[union-attr]
    assert {k: body[k] for k in ("id", "status", "progress", "metadata", "video", "expires_at")} == {
        "id": "a1", "status": "running", "progress": 0.5, "metadata": {"asset": "A-1"},
        "video": {"width": 64}, "expires_at": None,
    }
    assert body["created_at"].endswith("Z") and "result" not in body
    assert store.finish("a1", {"shots": [{"index": 0}]})
    done = store.get("a1")
    assert done is not None and done.expires_at == pytest.approx(done.updated_at + 3600)
    body = done.status_body("/v1/videos/a1")
    assert body["status"] == "done" and body["result"] == {"shots": [{"index": 0}]}
    assert body["status_url"] == "/v1/videos/a1" and body["expires_at"] > body["created_at"]
    assert not store.cancel("a1") and not store.fail("a1", "late")  # an ended job stays ended
    assert store.get("missing") is None


def test_a_restart_keeps_results_and_resumes_queued(store_factory: StoreFactory) -> None:
    store = store_factory.open()
    for job_id in ("done", "failed", "running", "queued1", "queued2"):
        store.create(job_id, {})
    store.claim("w", "t0", 30, job_id="done")
    store.finish("done", {"video": {"duration_s": 4.0}, "shots": []}, "t0")
    store.fail("failed", "probe: not a video")
    store.claim("w", "t1", 30, job_id="running")
    store.progress("running", 0.4, "t1")
    store.close()  # the gateway stops (or dies) here

    restarted = store_factory.open()
    interrupted, queued = restarted.recover()
    assert queued == ["queued1", "queued2"]
    assert restarted.get("done").result == {"video": {"duration_s": 4.0}, "shots": []}  # type: ignore[union-attr]
    assert restarted.get("failed").error == "probe: not a video"  # type: ignore[union-attr]
    running = restarted.get("running")
    assert running is not None
    if store_factory.backend == "sqlite":  # one process owns the file: what it left running was interrupted
        assert interrupted == ["running"] and running.status == "failed" and running.error == INTERRUPTED
        assert restarted.count("failed") == 2
    else:  # shared: another process may be running it; its lease decides
        assert interrupted == [] and running.status == "running" and running.progress == 0.4
        assert restarted.count("failed") == 1


def test_list_pages_newest_first_by_status(store_factory: StoreFactory) -> None:
    store = store_factory.open()
    for index in range(7):
        store.create(f"j{index}", {})
        if index % 2:
            store.cancel(f"j{index}")
    assert [j.id for j in store.list_jobs(None, 3)] == ["j6", "j5", "j4"]
    first = store.list_jobs("queued", 2)
    second = store.list_jobs("queued", 2, (first[-1].created_at, first[-1].id))
    assert [j.id for j in first + second] == ["j6", "j4", "j2", "j0"]
    assert [j.id for j in store.list_jobs("cancelled", 10)] == ["j5", "j3", "j1"]


def test_idempotency_keys_are_unique_and_go_with_their_job(store_factory: StoreFactory) -> None:
    store = store_factory.open(key_ttl_s=60)
    store.create("a", {}, idempotency=("key-1", "f1"))
    with pytest.raises(KeyTaken):
        store.create("b", {}, idempotency=("key-1", "f2"))
    assert store.get("b") is None  # the job insert was rolled back with the key
    assert store.find_key("key-1") == ("a", "f1")
    assert store.delete("a") and not store.delete("a")
    assert store.find_key("key-1") is None  # a deleted job's key is free again
    store.create("c", {}, idempotency=("key-2", "f"))
    assert store.forget_keys() == 0 and store.forget_keys(time.time() + 61) == 1
    assert store.find_key("key-2") is None and store.get("c") is not None

    expired = store_factory.open(key_ttl_s=0)  # every stored key is past its window
    expired.create("d", {}, idempotency=("key-3", "f"))
    assert expired.find_key("key-3") is None
    expired.create("e", {}, idempotency=("key-3", "g"))  # an expired key does not block a new job


def test_expired_lists_ended_jobs_past_retention(store_factory: StoreFactory) -> None:
    store = store_factory.open(retention_s=10)
    for job_id in ("done", "running", "queued"):
        store.create(job_id, {})
    store.claim("w", "t", 30, job_id="done")
    store.finish("done", {}, "t")
    store.claim("w", "t2", 30, job_id="running")
    ended = store.get("done")
    assert ended is not None and ended.expires_at is not None
    assert store.expired(ended.expires_at - 1) == []
    assert store.expired(ended.expires_at) == ["done"]
    assert store.statuses(["done", "running", "nope"]) == {"done": "done", "running": "running"}


def test_an_old_sqlite_database_gains_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE jobs (id TEXT PRIMARY KEY, status TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0, "
        "created_at REAL NOT NULL, updated_at REAL NOT NULL, options TEXT NOT NULL DEFAULT '{}', "
        "webhook_url TEXT, error TEXT, result TEXT)"
    )
    old.execute("INSERT INTO jobs VALUES ('old', 'done', 1, 1.0, 2.0, '{}', NULL, NULL, '{\"shots\": []}')")
    old.commit()
    old.close()
    store = SQLiteJobStore(path, retention_s=100)
    job = store.get("old")
    assert job is not None and job.result == {"shots": []} and job.metadata is None
    assert job.expires_at == 102.0  # ended before retention existed: expires from its end
    store.create("new", {}, metadata={"k": 1})
    assert store.get("new").metadata == {"k": 1}  # type: ignore[union-attr]


def test_a_running_job_shows_its_finished_shots_until_it_ends(store_factory: StoreFactory) -> None:
    store = store_factory.open()
    store.create("r", {})
    assert store.claim("me", "tok", 30, job_id="r") is not None
    store.partial("r", {"partial": True, "video": {"duration_s": 60.0}, "processed_s": 0.0}, "tok")
    store.add_shots("r", [{"index": 1, "end_s": 9.0}], "tok")
    store.add_shots("r", [{"index": 0, "end_s": 4.0}], "tok")
    store.add_shots("r", [{"index": 2, "end_s": 12.0}], "someone-else")  # not the lease holder: not written
    store.progress("r", 0.15, "tok", 9.0)
    parts = store.status_parts("r")
    assert parts is not None and parts[0].progress == 0.15 and parts[0].result is None and parts[1] is not None
    assert json.loads(parts[1]) == {
        "partial": True, "video": {"duration_s": 60.0}, "processed_s": 9.0,
        "shots": [{"index": 0, "end_s": 4.0}, {"index": 1, "end_s": 9.0}],
    }
    store.finish("r", {"video": {"duration_s": 60.0}, "shots": [{"index": 0}]}, "tok")
    done = store.status_parts("r")
    assert done is not None and done[0].status == "done"
    assert json.loads(done[1] or "") == {"video": {"duration_s": 60.0}, "shots": [{"index": 0}]}
    assert store.status_parts("nope") is None
    assert store._rows("SELECT COUNT(*) FROM job_shots")[0][0] == 0  # rows go once the result is whole
