"""The scrape configuration the Prometheus Operator generates for a ServiceMonitor, on local targets.

The Operator turns each ServiceMonitor endpoint into a scrape job over Kubernetes
endpoint discovery and a fixed list of relabellings (prometheus-operator
``pkg/prometheus/promcfg.go``): keep the Services the selector matches and the
endpoint's port name, then set ``namespace``, ``service`` (the Kubernetes Service
name), ``pod``, ``container``, ``job`` and ``endpoint`` on every series, and honour
the target's own labels only with ``honorLabels: true``. Here there is no cluster:
each target is a static one carrying the ``__meta_kubernetes_*`` labels discovery
would give it (taken from the chart's rendered Services), so Prometheus applies
exactly those relabellings to what the local processes export.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from tests.deploy.chart import K8sObject, component


def _label_name(key: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", key)


def _discovered(service: K8sObject, port_name: str, address: str, namespace: str) -> dict[str, str]:
    """The meta labels Kubernetes endpoint discovery gives one endpoint address."""
    name = service["metadata"]["name"]
    labels = {
        "__meta_kubernetes_namespace": namespace,
        "__meta_kubernetes_service_name": name,
        "__meta_kubernetes_endpoint_port_name": port_name,
        "__meta_kubernetes_endpoint_address_target_kind": "Pod",
        "__meta_kubernetes_endpoint_address_target_name": f"{name}-0",
        "__meta_kubernetes_pod_name": f"{name}-0",
        "__meta_kubernetes_pod_container_name": component(service),
        "__meta_kubernetes_pod_phase": "Running",
    }
    for key, value in service["metadata"].get("labels", {}).items():
        labels[f"__meta_kubernetes_service_label_{_label_name(key)}"] = str(value)
        labels[f"__meta_kubernetes_service_labelpresent_{_label_name(key)}"] = "true"
    return labels


def _relabellings(monitor: K8sObject, port_name: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [{"source_labels": ["job"], "target_label": "__tmp_prometheus_job_name"}]
    for key, value in monitor["spec"]["selector"].get("matchLabels", {}).items():
        name = _label_name(key)
        rules.append({
            "action": "keep",
            "source_labels": [f"__meta_kubernetes_service_label_{name}",
                              f"__meta_kubernetes_service_labelpresent_{name}"],
            "regex": f"({value});true",
        })
    rules += [
        {"action": "keep", "source_labels": ["__meta_kubernetes_endpoint_port_name"], "regex": port_name},
        {"source_labels": ["__meta_kubernetes_endpoint_address_target_kind",
                           "__meta_kubernetes_endpoint_address_target_name"],
         "separator": ";", "regex": "Pod;(.*)", "replacement": "${1}", "target_label": "pod"},
        {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
        {"source_labels": ["__meta_kubernetes_service_name"], "target_label": "service"},
        {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        {"source_labels": ["__meta_kubernetes_pod_container_name"], "target_label": "container"},
        {"action": "drop", "source_labels": ["__meta_kubernetes_pod_phase"], "regex": "(Failed|Succeeded)"},
        {"source_labels": ["__meta_kubernetes_service_name"], "target_label": "job", "replacement": "${1}"},
        {"target_label": "endpoint", "replacement": port_name},
    ]
    return rules


def scrape_configs(
    monitor: K8sObject, services: list[K8sObject], metrics_urls: dict[str, str], *, namespace: str, interval: str
) -> list[dict[str, Any]]:
    """One job per ServiceMonitor endpoint, as the Operator writes it; targets are local.

    ``metrics_urls`` maps a component (gateway, face, ..., triton) to where its
    process serves /metrics here; a Service whose port the endpoint names becomes a
    target at that address.
    """
    jobs = []
    for index, endpoint in enumerate(monitor["spec"]["endpoints"]):
        port_name = endpoint["port"]
        targets = []
        for service in services:
            if port_name not in {p["name"] for p in service["spec"]["ports"]}:
                continue
            url = metrics_urls.get(component(service))
            if url is None:
                continue
            targets.append({"targets": [urlsplit(url).netloc],
                            "labels": _discovered(service, port_name, urlsplit(url).netloc, namespace)})
        jobs.append({
            "job_name": f"serviceMonitor/{namespace}/{monitor['metadata']['name']}/{index}",
            "honor_labels": bool(endpoint.get("honorLabels", False)),
            "honor_timestamps": True,
            "metrics_path": endpoint.get("path", "/metrics"),
            "scrape_interval": interval,
            "scrape_timeout": interval,
            "static_configs": targets,
            "relabel_configs": _relabellings(monitor, port_name),
        })
    return jobs
