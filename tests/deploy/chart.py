"""Render the Helm chart offline with Helm's own engine (helm-python-sdk) into objects.

``render_objects`` returns every Kubernetes object the chart would install, parsed
from the rendered manifests; values are validated against values.schema.json by the
engine itself, as ``helm install`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = REPO_ROOT / "deploy" / "helm" / "video-emotion"
GPU_VALUES = CHART_DIR / "values-gpu.yaml"
RELEASE = "ve"
NAMESPACE = "video"

K8sObject = dict[str, Any]


def values_file(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text())
    return dict(loaded or {})


def render_manifests(
    values: dict[str, Any] | None = None, chart_dir: Path = CHART_DIR
) -> dict[str, str]:
    """Template path -> rendered text (Helm's engine; raises HelmError on failure)."""
    with helm.Chart.load(chart_dir) as chart:
        return chart.render(values=values or {}, name=RELEASE, namespace=NAMESPACE)


def render_objects(
    values: dict[str, Any] | None = None, chart_dir: Path = CHART_DIR
) -> list[K8sObject]:
    """Every object of the release, in template order."""
    objects: list[K8sObject] = []
    for path, text in sorted(render_manifests(values, chart_dir).items()):
        if not path.endswith((".yaml", ".yml")):
            continue  # NOTES.txt
        objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return objects


def of_kind(objects: list[K8sObject], kind: str) -> list[K8sObject]:
    return [o for o in objects if o["kind"] == kind]


def by_name(objects: list[K8sObject], kind: str) -> dict[str, K8sObject]:
    return {o["metadata"]["name"]: o for o in of_kind(objects, kind)}


def component(obj: K8sObject) -> str:
    return str(obj["metadata"]["labels"]["app.kubernetes.io/component"])


def pod_spec(deployment: K8sObject) -> dict[str, Any]:
    return dict(deployment["spec"]["template"]["spec"])
