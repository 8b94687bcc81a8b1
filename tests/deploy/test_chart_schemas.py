"""Every rendered object validates against the Kubernetes OpenAPI schemas (offline).

kubernetes-validate ships the schemas of each Kubernetes release; we check against
the oldest release the chart supports (Chart.yaml kubeVersion >= 1.27) and a recent
one, in strict mode (unknown fields are errors). The ServiceMonitor CRD is not part
of Kubernetes: it is checked against tests/deploy/schemas/servicemonitor-monitoring-v1.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest

from tests.deploy.chart import K8sObject, render_objects

KUBE_VERSIONS = ("1.27", "1.33")
CRD_SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): Path(__file__).parent
    / "schemas"
    / "servicemonitor-monitoring-v1.json",
}


def validate(obj: K8sObject, kube_version: str) -> None:
    crd_schema = CRD_SCHEMAS.get((obj["apiVersion"], obj["kind"]))
    if crd_schema:
        jsonschema.validate(obj, json.loads(crd_schema.read_text()))
    else:
        kubernetes_validate.validate(obj, kube_version, strict=True)


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_every_object_matches_its_schema(objects: list[K8sObject], kube_version: str) -> None:
    assert objects
    failures = []
    for obj in objects:
        try:
            validate(obj, kube_version)
        except (jsonschema.ValidationError, kubernetes_validate.SchemaNotFoundError) as exc:
            failures.append(f"{obj['kind']}/{obj['metadata']['name']}: {getattr(exc, 'message', exc)}")
    assert failures == []


def test_object_store_cpu_and_queue_time_variants_validate_too() -> None:
    values = {
        "triton": {"gpu": {"count": 0}, "modelRepository": {"source": "uri", "uri": "s3://b/p"},
                   "autoscaling": {"enabled": True, "queueTime": {"enabled": True}}},
        "gateway": {"auth": {"enabled": False}, "persistence": {"enabled": False}},
        "serviceMonitor": {"enabled": True},
    }
    objects = render_objects(values)
    for obj in objects:
        validate(obj, KUBE_VERSIONS[0])
    (hpa,) = [o for o in objects if o["kind"] == "HorizontalPodAutoscaler" and o["metadata"]["name"].endswith("-triton")]
    assert {m["type"] for m in hpa["spec"]["metrics"]} == {"Resource", "Pods"}


def test_a_misspelt_field_is_caught() -> None:
    deployment = next(o for o in render_objects({}) if o["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["resource"] = {}  # not "resources"
    with pytest.raises(jsonschema.ValidationError, match="resource"):
        validate(deployment, KUBE_VERSIONS[0])


def test_the_servicemonitor_schema_rejects_a_bad_endpoint() -> None:
    monitor = next(o for o in render_objects({"serviceMonitor": {"enabled": True}})
                   if o["kind"] == "ServiceMonitor")
    monitor["spec"]["endpoints"][0]["intervall"] = "30s"
    with pytest.raises(jsonschema.ValidationError, match="intervall"):
        validate(monitor, KUBE_VERSIONS[0])
