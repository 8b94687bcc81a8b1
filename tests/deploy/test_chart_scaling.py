"""The chart runs the gateway scaled out: API pods ≥ 2 that roll, workers scaled on the job backlog.

Checked on the default values and values-gpu.yaml (the ``objects`` fixture); every
object is also validated against the Kubernetes schemas in test_chart_schemas.py.
"""

from __future__ import annotations

import helm_python as helm
import pytest

from tests.deploy.chart import K8sObject, by_name, component, of_kind, pod_spec, render_objects


def of_component(objects: list[K8sObject], kind: str, name: str) -> K8sObject:
    (found,) = [o for o in of_kind(objects, kind) if component(o) == name]
    return found


def env(deployment: K8sObject) -> dict[str, object]:
    container = pod_spec(deployment)["containers"][0]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_api_pods_are_several_and_roll_one_at_a_time(objects: list[K8sObject]) -> None:
    api = of_component(objects, "Deployment", "gateway")
    assert api["spec"]["replicas"] >= 2
    assert api["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    budget = of_component(objects, "PodDisruptionBudget", "gateway")
    assert budget["spec"]["maxUnavailable"] == 1
    assert env(api)["EMO_GATEWAY_JOB_WORKERS"] == "0"  # the workers run the jobs


def test_workers_scale_on_the_job_backlog(objects: list[K8sObject]) -> None:
    worker = of_component(objects, "Deployment", "worker")
    hpa = of_component(objects, "HorizontalPodAutoscaler", "worker")
    assert hpa["spec"]["scaleTargetRef"]["name"] == worker["metadata"]["name"]
    assert "replicas" not in worker["spec"], "the HPA owns the replica count"
    (metric,) = hpa["spec"]["metrics"]
    assert metric["type"] == "External" and metric["external"]["metric"]["name"] == "emo_gateway_queue_backlog"
    assert metric["external"]["target"]["type"] == "AverageValue"
    assert hpa["spec"]["minReplicas"] >= 1 and hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    container = pod_spec(worker)["containers"][0]
    assert container["command"] == ["python", "-m", "gateway.worker"]
    grace = int(str(env(worker)["EMO_GATEWAY_SHUTDOWN_GRACE_S"]))
    assert pod_spec(worker)["terminationGracePeriodSeconds"] >= grace + 10  # time to hand jobs back


def test_every_gateway_process_shares_the_database_secret_and_the_volume(objects: list[K8sObject]) -> None:
    claims = by_name(objects, "PersistentVolumeClaim")
    for name in ("gateway", "worker"):
        deployment = of_component(objects, "Deployment", name)
        values = env(deployment)
        assert values["EMO_GATEWAY_DATABASE_URL"] == {"secretKeyRef": {"name": "video-emotion-db", "key": "uri"}}
        assert "secretKeyRef" in values["EMO_GATEWAY_WEBHOOK_SECRET"]  # type: ignore[operator]
        (volume,) = [v for v in pod_spec(deployment)["volumes"] if v["name"] == "data"]
        claim = claims[volume["persistentVolumeClaim"]["claimName"]]
        assert claim["spec"]["accessModes"] == ["ReadWriteMany"]


def test_without_a_database_it_is_one_pod_with_sqlite_and_no_worker() -> None:
    values = {"database": {"enabled": False}, "gateway": {"replicas": 1, "persistence": {"accessMode": "ReadWriteOnce"}}}
    objects = render_objects(values)
    api = of_component(objects, "Deployment", "gateway")
    assert api["spec"]["strategy"]["type"] == "Recreate"
    assert "EMO_GATEWAY_DATABASE_URL" not in env(api) and env(api)["EMO_GATEWAY_JOB_WORKERS"] == "1"
    assert "worker" not in {component(o) for o in objects if "app.kubernetes.io/component" in o["metadata"].get("labels", {})}


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"database": {"enabled": False}, "gateway": {"replicas": 2}}, "maximum"),  # SQLite is one process
        ({"gateway": {"persistence": {"accessMode": "ReadWriteOnce"}}}, "ReadWriteMany"),  # pods on many nodes
        ({"database": {"existingSecret": ""}}, "existingSecret"),
    ],
)
def test_shapes_that_cannot_scale_are_rejected(values: dict, complaint: str) -> None:
    with pytest.raises(helm.HelmValuesError, match=complaint):
        render_objects(values)
