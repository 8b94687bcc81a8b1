"""The chart renders, lints and rejects bad input, with Helm's real engine (no cluster).

Both ways a chart breaks are shown: a template error and values outside the schema.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import helm_python as helm
import pytest

from tests.deploy.chart import (
    CHART_DIR,
    GPU_VALUES,
    REPO_ROOT,
    K8sObject,
    render_manifests,
    render_objects,
    values_file,
)

COMPONENTS = {"gateway", "face", "text", "audio", "fusion", "triton"}


def kinds_by_component(objects: list[K8sObject]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for obj in objects:
        labels = obj["metadata"].get("labels", {})
        if "app.kubernetes.io/component" in labels:
            found.setdefault(labels["app.kubernetes.io/component"], set()).add(obj["kind"])
    return found


def test_default_values_render_every_component(default_objects: list[K8sObject]) -> None:
    kinds = kinds_by_component(default_objects)
    assert set(kinds) == COMPONENTS | {"worker"}
    for name in COMPONENTS:
        assert {"Deployment", "Service", "PodDisruptionBudget"} <= kinds[name], name
    assert kinds["worker"] == {"Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"}
    for name in ("face", "text", "audio", "fusion"):
        assert "HorizontalPodAutoscaler" in kinds[name], name
    assert {"PersistentVolumeClaim", "Secret"} <= kinds["gateway"]
    assert "ServiceMonitor" not in {o["kind"] for o in default_objects}  # off by default


def test_gpu_values_add_monitoring_and_triton_autoscaling(gpu_objects: list[K8sObject]) -> None:
    kinds = kinds_by_component(gpu_objects)
    assert "HorizontalPodAutoscaler" in kinds["triton"]
    assert [o["apiVersion"] for o in gpu_objects if o["kind"] == "ServiceMonitor"] == [
        "monitoring.coreos.com/v1"
    ]


@pytest.mark.parametrize("values_path", [None, GPU_VALUES], ids=["default", "gpu"])
def test_chart_lints_clean_in_strict_mode(values_path: Path | None) -> None:
    values = values_file(values_path) if values_path else None
    report = helm.lint(CHART_DIR, values, strict=True, kube_version="v1.30.0")
    problems = [m for m in report["messages"] if m["severity"] >= 2]  # warnings and errors
    assert report["errors"] == [] and problems == [], report


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"gatway": {"replicas": 1}}, "gatway"),  # a typo in a key
        ({"triton": {"gpu": {"count": -1}}}, "/triton/gpu/count"),
        ({"podSecurityContext": {"runAsNonRoot": False}}, "runAsNonRoot"),
        ({"triton": {"modelRepository": {"source": "uri", "uri": "http://bucket"}}}, "uri"),
        ({"services": {"face": {"resources": {"limits": {"memory": None}}}}}, "memory"),
    ],
)
def test_values_outside_the_schema_are_rejected(values: dict, complaint: str) -> None:
    with pytest.raises(helm.HelmValuesError, match=complaint):
        render_manifests(values)


def test_uri_model_repository_without_a_uri_fails_with_a_message() -> None:
    with pytest.raises(helm.HelmError, match=r"needs triton.modelRepository.uri"):
        render_manifests({"triton": {"modelRepository": {"source": "uri"}}})


def test_object_store_model_repository_replaces_the_init_container() -> None:
    values = {"triton": {"modelRepository": {"source": "uri", "uri": "s3://models/video-emotion",
                                             "credentialsSecret": "triton-s3"}}}
    triton = next(o for o in render_objects(values)
                  if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("-triton"))
    spec = triton["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert "initContainers" not in spec
    assert "--model-repository=s3://models/video-emotion" in container["args"]
    assert container["envFrom"] == [{"secretRef": {"name": "triton-s3"}}]


def test_a_broken_template_fails_rendering(tmp_path: Path) -> None:
    chart = tmp_path / "video-emotion"
    shutil.copytree(CHART_DIR, chart)
    services = chart / "templates" / "services.yaml"
    broken = services.read_text().replace("{{- end }}\n{{- end }}", "{{- end }}", 1)
    assert broken != services.read_text()
    services.write_text(broken)  # one {{ end }} short: the range is never closed
    with pytest.raises(helm.HelmError, match=r"services\.yaml"):
        render_manifests({}, chart_dir=chart)
    report = helm.lint(chart, strict=True)
    assert any("services.yaml" in m["error"] for m in report["messages"] if m["severity"] == 3)


def test_a_template_calling_an_unknown_value_fails_rendering(tmp_path: Path) -> None:
    chart = tmp_path / "video-emotion"
    shutil.copytree(CHART_DIR, chart)
    gateway = chart / "templates" / "gateway.yaml"
    gateway.write_text(gateway.read_text().replace("$gw.auth.secretKey", "$gw.auth.secretKye.name", 1))
    with pytest.raises(helm.HelmError, match=r"gateway\.yaml"):
        render_manifests({}, chart_dir=chart)


def deep_merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        both_dicts = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = deep_merge(merged[key], value) if both_dicts else value
    return merged


def test_every_documented_set_flag_is_a_valid_value() -> None:
    docs = (REPO_ROOT / "docs" / "deploy.md").read_text() + (CHART_DIR / "README.md").read_text()
    flags = re.findall(r"--set ([\w.]+=[^\s\\`]+)", docs)
    assert len(flags) >= 8
    gpu = values_file(GPU_VALUES)
    for flag in flags:
        values = helm.parse_set_string(flag)
        if "modelRepository" in flag:  # the documented object-store install sets these together
            values = deep_merge(values, {"triton": {"modelRepository": {"source": "uri", "uri": "s3://b/p"}}})
        render_manifests(deep_merge(gpu, values))
