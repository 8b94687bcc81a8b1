"""The store as a shared queue, on SQLite and PostgreSQL: claims, leases, hand-back, outbox, migrations."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from gateway import migrations
from tests.unit.gateway.stores import StoreFactory


def test_concurrent_workers_claim_each_job_once_oldest_first(store_factory: StoreFactory) -> None:
    first, second = store_factory.open(), store_factory.open()  # two processes' stores
    for index in range(20):
        first.create(f"j{index:02d}", {})
    claimed: list[str] = []
    lock = threading.Lock()

    def drain(store_index: int) -> None:
        store = (first, second)[store_index % 2]
        while (job := store.claim(f"w{store_index}", f"t{store_index}", 30)) is not None:
            with lock:
                claimed.append(job.id)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(drain, range(4)))
    assert sorted(claimed) == [f"j{index:02d}" for index in range(20)]  # every job once, none twice
    assert first.count("running") == 20 and first.claim("w", "t", 30) is None


def test_a_lost_lease_is_claimed_again_and_only_the_new_holder_ends_the_job(store_factory: StoreFactory) -> None:
    store = store_factory.open()
    store.create("job", {}, webhook_url="http://127.0.0.1/hook")
    assert store.claim("dead-worker", "old", 0.05) is not None
    assert store.claim("other", "new", 30) is None  # the lease still holds
    time.sleep(0.1)  # the worker died: its lease runs out
    taken = store.claim("other", "new", 30)
    assert taken is not None and taken.id == "job" and taken.status == "running"
    assert not store.renew("job", "old", 30)  # the old holder learns it lost the job
    assert not store.finish("job", {"shots": ["stale"]}, "old")
    store.progress("job", 0.9, "old")
    assert store.get("job").progress == 0.0  # type: ignore[union-attr]
    assert store.renew("job", "new", 30) and store.finish("job", {"shots": []}, "new")
    assert not store.finish("job", {"shots": []}, "new")  # ends once
    done = store.get("job")
    assert done is not None and done.result == {"shots": []}
    assert [e.event for e in store.events("job")] == ["job.done"]  # one event for one end


def test_a_stopping_worker_hands_its_job_back(store_factory: StoreFactory) -> None:
    store = store_factory.open()
    store.create("job", {})
    assert store.claim("w1", "t1", 30) is not None
    store.progress("job", 0.5, "t1")
    assert store.release("job", "t1") and not store.release("job", "t1")
    back = store.get("job")
    assert back is not None and (back.status, back.progress) == ("queued", 0.0)
    assert store.claim("w2", "t2", 30) is not None and not store.finish("job", {}, "t1")


def test_a_job_whose_workers_keep_dying_fails_with_its_webhook(store_factory: StoreFactory) -> None:
    store = store_factory.open()
    store.create("poison", {}, webhook_url="http://127.0.0.1/hook")
    for attempt in range(2):
        assert store.claim("w", f"t{attempt}", 0.01, max_attempts=2) is not None
        time.sleep(0.05)
    assert store.claim("w", "t3", 30, max_attempts=2) is None
    failed = store.get("poison")
    assert failed is not None and failed.status == "failed" and "2 times" in (failed.error or "")
    (event,) = store.events("poison")
    assert event.event == "job.failed" and json.loads(event.body)["error"] == failed.error


def test_outbox_events_are_claimed_by_one_sender_retried_and_delivered(store_factory: StoreFactory) -> None:
    first, second = store_factory.open(), store_factory.open()
    first.create("job", {"video": {"fps": 10}}, webhook_url="http://127.0.0.1/hook", metadata={"asset": "A"})
    assert first.cancel("job")
    (event,) = first.claim_events(10, 60)
    body = json.loads(event.body)
    assert (body["event_id"], body["job_id"], body["event"], body["status"]) == (event.id, "job", "job.cancelled",
                                                                               "cancelled")
    assert body["metadata"] == {"asset": "A"} and event.attempts == 1
    assert second.claim_events(10, 60) == []  # held by the first sender
    first.retry_later(event.id, 0.2, "HTTP 503")
    assert second.claim_events(10, 60) == []  # not due yet
    time.sleep(0.25)
    (again,) = second.claim_events(10, 60)
    assert again.id == event.id and again.attempts == 2 and again.body == event.body
    assert second.pending_events() == 1
    second.delivered(event.id)
    assert first.claim_events(10, 60) == [] and first.pending_events() == 0
    assert first.events("job")[0].delivered_at is not None
    assert first.delete("job") and first.events("job") == []


def test_migrations_apply_once_when_processes_start_together(store_factory: StoreFactory) -> None:
    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: store_factory.open(), range(4)))
    with stores[0]._transaction() as run:
        versions = [row[0] for row in run("SELECT version FROM schema_migrations ORDER BY version", ()).fetchall()]
    assert versions == [version for version, _ in migrations.MIGRATIONS]
    stores[1].create("works", {})
    assert stores[2].get("works") is not None
