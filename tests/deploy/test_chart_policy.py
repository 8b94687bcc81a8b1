"""Policies every release of the chart keeps: probes, resources, non-root, GPUs, wiring.

Run against the default values and values-gpu.yaml (the ``objects`` fixture).
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from pydantic_settings import BaseSettings

from emocore.settings import DEFAULT_MODEL_REPOSITORY
from tests.deploy.chart import K8sObject, by_name, component, of_kind, pod_spec

SERVICES = ("face", "text", "audio", "fusion")
SETTINGS = {
    "gateway": ("gateway.settings", "EMO_GATEWAY_"),
    "worker": ("gateway.settings", "EMO_GATEWAY_"),
    **{name: (f"services.{name}.settings", f"EMO_{name.upper()}_") for name in SERVICES},
}


def containers(deployment: K8sObject, *, init: bool = True) -> list[dict[str, Any]]:
    spec = pod_spec(deployment)
    return list(spec["containers"]) + (list(spec.get("initContainers", [])) if init else [])


def deployments(objects: list[K8sObject]) -> dict[str, K8sObject]:
    return {component(d): d for d in of_kind(objects, "Deployment")}


def test_every_container_has_requests_and_limits(objects: list[K8sObject]) -> None:
    for deployment in of_kind(objects, "Deployment"):
        for container in containers(deployment):
            resources = container["resources"]
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources[kind]), (container["name"], kind)


def test_pods_run_as_non_root_with_a_read_only_root(objects: list[K8sObject]) -> None:
    for deployment in of_kind(objects, "Deployment"):
        spec = pod_spec(deployment)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] > 0
        assert spec["automountServiceAccountToken"] is False
        for container in containers(deployment):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, container["name"]
            assert context["capabilities"]["drop"] == ["ALL"], container["name"]
            assert context["readOnlyRootFilesystem"] is True, container["name"]
        main = spec["containers"][0]
        assert "/tmp" in {m["mountPath"] for m in main["volumeMounts"]}, "a writable /tmp"


def test_services_probe_their_health_routes(objects: list[K8sObject]) -> None:
    found = deployments(objects)
    for name in ("gateway", *SERVICES):
        (container,) = containers(found[name], init=False)
        ports = {p["name"] for p in container["ports"]}
        paths = {kind: container[f"{kind}Probe"]["httpGet"] for kind in ("startup", "readiness", "liveness")}
        assert paths["readiness"]["path"] == "/health/ready"
        assert paths["liveness"]["path"] == "/health/live"
        assert paths["startup"]["path"] in {"/health/live", "/health/ready"}
        assert {p["port"] for p in paths.values()} <= ports


def test_triton_probes_leave_time_to_load_models(objects: list[K8sObject]) -> None:
    (container,) = containers(deployments(objects)["triton"], init=False)
    startup = container["startupProbe"]
    assert startup["httpGet"]["path"] == "/v2/health/ready"
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/v2/health/live"
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 300  # five minutes at least
    assert container["image"].startswith("nvcr.io/nvidia/tritonserver:")
    assert container["image"].endswith("-py3") and ":latest" not in container["image"]


def test_triton_requests_a_gpu_and_lands_on_gpu_nodes(objects: list[K8sObject]) -> None:
    triton = deployments(objects)["triton"]
    (container,) = containers(triton, init=False)
    requests, limits = container["resources"]["requests"], container["resources"]["limits"]
    assert int(requests["nvidia.com/gpu"]) >= 1
    assert requests["nvidia.com/gpu"] == limits["nvidia.com/gpu"]  # extended resources: equal
    tolerations = pod_spec(triton)["tolerations"]
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in tolerations
    assert "--allow-gpu-metrics=true" in container["args"]


def test_gpu_values_pin_triton_to_gpu_nodes(gpu_objects: list[K8sObject]) -> None:
    spec = pod_spec(deployments(gpu_objects)["triton"])
    assert spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}


def test_no_other_component_asks_for_a_gpu(objects: list[K8sObject]) -> None:
    for name, deployment in deployments(objects).items():
        if name != "triton":
            for container in containers(deployment):
                assert "nvidia.com/gpu" not in container["resources"]["limits"], name


def test_services_select_their_pods_and_ports(objects: list[K8sObject]) -> None:
    found = deployments(objects)
    for service in of_kind(objects, "Service"):
        deployment = found[component(service)]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= labels.items()
        ports = {p["name"] for c in containers(deployment, init=False) for p in c["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports


def test_autoscalers_and_budgets_target_real_deployments(objects: list[K8sObject]) -> None:
    found = by_name(objects, "Deployment")
    for hpa in of_kind(objects, "HorizontalPodAutoscaler"):
        target = found[hpa["spec"]["scaleTargetRef"]["name"]]
        assert "replicas" not in target["spec"], "the HPA owns the replica count"
        assert hpa["spec"]["metrics"], hpa["metadata"]["name"]
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    for pdb in of_kind(objects, "PodDisruptionBudget"):
        selector = pdb["spec"]["selector"]["matchLabels"]
        matching = [d for d in found.values()
                    if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()]
        assert len(matching) == 1, pdb["metadata"]["name"]
    scaled = {component(h) for h in of_kind(objects, "HorizontalPodAutoscaler")}
    assert set(SERVICES) <= scaled


def service_urls(objects: list[K8sObject]) -> set[str]:
    return {
        f"http://{s['metadata']['name']}:{p['port']}"
        for s in of_kind(objects, "Service") for p in s["spec"]["ports"]
    }


def env_of(deployment: K8sObject) -> dict[str, Any]:
    (container,) = containers(deployment, init=False)
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env") or []}


def test_urls_in_the_environment_point_at_services_of_the_release(objects: list[K8sObject]) -> None:
    urls = service_urls(objects)
    for name, deployment in deployments(objects).items():
        for key, value in env_of(deployment).items():
            if key.endswith("_URL") and key != "EMO_GATEWAY_DATABASE_URL":
                assert value in urls, f"{name}: {key}={value}"
    gateway = env_of(deployments(objects)["gateway"])
    for name in SERVICES:
        assert gateway[f"EMO_GATEWAY_{name.upper()}_URL"].endswith(f"-{name}:8000")
    assert env_of(deployments(objects)["face"])["EMO_FACE_TRITON_URL"].endswith("-triton:8000")


@pytest.mark.parametrize("name", ["gateway", "worker", *SERVICES])
def test_environment_variables_are_settings_the_service_reads(objects: list[K8sObject], name: str) -> None:
    module, prefix = SETTINGS[name]
    classes = [c for c in vars(importlib.import_module(module)).values()
               if isinstance(c, type) and issubclass(c, BaseSettings) and c.__module__ == module]
    (settings,) = classes
    assert settings.model_config["env_prefix"] == prefix
    for key in env_of(deployments(objects)[name]):
        assert key.startswith(prefix), key
        assert key.removeprefix(prefix).lower() in settings.model_fields, f"{settings.__name__} has no {key}"


def test_gateway_keeps_its_data_and_requires_an_api_key(objects: list[K8sObject]) -> None:
    gateway = deployments(objects)["gateway"]
    (container,) = containers(gateway, init=False)
    env = env_of(gateway)
    secret_ref = env["EMO_GATEWAY_API_KEY"]["secretKeyRef"]
    secrets = by_name(objects, "Secret")
    assert secret_ref["key"] in secrets[secret_ref["name"]]["data"]
    data_mount = next(m for m in container["volumeMounts"] if m["name"] == "data")
    assert env["EMO_GATEWAY_DATA_DIR"] == data_mount["mountPath"]
    volume = next(v for v in pod_spec(gateway)["volumes"] if v["name"] == "data")
    assert volume["persistentVolumeClaim"]["claimName"] in by_name(objects, "PersistentVolumeClaim")


def test_servicemonitor_scrapes_each_metrics_port(gpu_objects: list[K8sObject]) -> None:
    (monitor,) = of_kind(gpu_objects, "ServiceMonitor")
    scraped = {e["port"] for e in monitor["spec"]["endpoints"]}
    selector = monitor["spec"]["selector"]["matchLabels"]
    for service in of_kind(gpu_objects, "Service"):
        assert selector.items() <= service["metadata"]["labels"].items()
        names = {p["name"] for p in service["spec"]["ports"]}
        expected = "metrics" if component(service) == "triton" else "http"
        assert names & scraped == {expected}, service["metadata"]["name"]


def test_triton_gets_the_model_repository_from_the_models_image(objects: list[K8sObject]) -> None:
    spec = pod_spec(deployments(objects)["triton"])
    (init,) = spec["initContainers"]
    assert init["image"].rsplit("/", 1)[-1].startswith("models:")
    mounts = {m["name"]: m["mountPath"] for m in init["volumeMounts"]}
    (triton,) = spec["containers"]
    assert f"--model-repository={mounts['model-repository']}" in triton["args"]


def test_model_files_copied_for_services_are_what_make_models_builds(
    default_objects: list[K8sObject],
) -> None:
    copied = [
        argument.removeprefix("/model_repository/")
        for deployment in of_kind(default_objects, "Deployment")
        for init in pod_spec(deployment).get("initContainers", [])
        if init["name"] == "model-files"
        for argument in init["args"][:-1]
    ]
    assert "text_emotion/1/tokenizer.json" in copied
    for relative in copied:
        assert (DEFAULT_MODEL_REPOSITORY / relative).is_file(), f"make models builds no {relative}"
