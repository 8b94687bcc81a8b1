"""The SQLite job store: lifecycle, persistence across a restart, interrupted jobs."""

from __future__ import annotations

from pathlib import Path

from gateway.jobs import INTERRUPTED, JobStore


def test_lifecycle_and_status_body(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    job = store.create("a1", {"sample_fps": 2.0}, webhook_url="http://hooks.local/x")
    assert (job.status, job.progress, job.result) == ("queued", 0.0, None)
    store.start("a1")
    store.progress("a1", 0.5)
    assert store.get("a1").status_body() == {"id": "a1", "status": "running", "progress": 0.5}  # type: ignore[union-attr]
    store.finish("a1", {"shots": [{"index": 0}]})
    body = store.get("a1").status_body("/v1/videos/a1")  # type: ignore[union-attr]
    assert body == {
        "id": "a1", "status": "done", "progress": 1.0, "status_url": "/v1/videos/a1",
        "result": {"shots": [{"index": 0}]},
    }
    assert store.get("missing") is None


def test_a_restart_keeps_results_fails_running_jobs_and_resumes_queued(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    store = JobStore(path)
    for job_id in ("done", "failed", "running", "queued1", "queued2"):
        store.create(job_id, {})
    store.start("done")
    store.finish("done", {"video": {"duration_s": 4.0}, "shots": []})
    store.fail("failed", "probe: not a video")
    store.start("running")
    store.progress("running", 0.4)
    store.close()  # the gateway stops (or dies) here

    restarted = JobStore(path)
    assert restarted.recover() == (["running"], ["queued1", "queued2"])
    assert restarted.get("done").result == {"video": {"duration_s": 4.0}, "shots": []}  # type: ignore[union-attr]
    assert restarted.get("failed").error == "probe: not a video"  # type: ignore[union-attr]
    interrupted = restarted.get("running")
    assert interrupted is not None and interrupted.status == "failed" and interrupted.error == INTERRUPTED
    assert restarted.get("queued1").status == "queued"  # type: ignore[union-attr]
    assert [restarted.get(j).status for j in ("done", "failed", "running")] == ["done", "failed", "failed"]  # type: ignore[union-attr]


def test_a_running_job_shows_its_finished_shots_until_it_ends(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    store.create("r", {})
    store.start("r")
    store.partial("r", {"partial": True, "video": {"duration_s": 60.0}, "processed_s": 0.0})
    store.add_shots("r", [{"index": 1, "end_s": 9.0}])
    store.add_shots("r", [{"index": 0, "end_s": 4.0}])
    store.progress("r", 0.15, 9.0)
    job = store.get("r")
    assert job is not None and job.progress == 0.15
    assert store.partial_result(job) == {
        "partial": True, "video": {"duration_s": 60.0}, "processed_s": 9.0,
        "shots": [{"index": 0, "end_s": 4.0}, {"index": 1, "end_s": 9.0}],
    }
    store.finish("r", {"video": {"duration_s": 60.0}, "shots": []})
    done = store.get("r")
    assert done is not None and store.partial_result(done) is None
    assert store._execute("SELECT COUNT(*) FROM job_shots")[0][0] == 0  # rows go once the result is whole
