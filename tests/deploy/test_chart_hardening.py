"""The chart's hardening, on the objects Helm renders: who may reach whom, Triton's model
control, a rollout that needs no second GPU, and a ServiceMonitor that keeps our labels.

Every object here is also validated against the Kubernetes schemas by
test_chart_schemas.py (kubernetes-validate, strict); these tests check behaviour.
Reachability is decided by tests/deploy/netpol.py, which applies NetworkPolicy
semantics to the rendered policies and the pods' real labels and named ports.
"""

from __future__ import annotations

import helm_python as helm
import pytest

from tests.deploy.chart import (
    NAMESPACE,
    K8sObject,
    of_kind,
    pod_spec,
    render_manifests,
    render_objects,
)
from tests.deploy.netpol import Pod, can_connect, release_pods

MODEL_SERVICES = ("face", "text", "audio", "fusion")
USES_TRITON = ("face", "text", "audio")
PROMETHEUS = Pod("prometheus", {"app.kubernetes.io/name": "prometheus"}, "monitoring",
                 {"kubernetes.io/metadata.name": "monitoring"})
NEIGHBOUR = Pod("neighbour", {"app": "something-else"}, NAMESPACE, {"kubernetes.io/metadata.name": NAMESPACE})
OUTSIDER = Pod("outsider", {"app": "other"}, "other", {"kubernetes.io/metadata.name": "other"})


def policies(objects: list[K8sObject]) -> list[K8sObject]:
    return of_kind(objects, "NetworkPolicy")


def test_the_call_graph_is_allowed(objects: list[K8sObject]) -> None:
    netpols, pods = policies(objects), release_pods(objects, NAMESPACE)
    gateway, triton = pods["gateway"], pods["triton"]
    for name in MODEL_SERVICES:
        assert can_connect(netpols, gateway, pods[name], pods[name].ports["http"]), f"gateway -> {name}"
    for name in USES_TRITON:
        for port in ("triton-http", "triton-grpc"):
            assert can_connect(netpols, pods[name], triton, triton.ports[port]), f"{name} -> triton {port}"
    assert can_connect(netpols, gateway, triton, triton.ports["triton-http"])  # shot detection
    for caller in (NEIGHBOUR, OUTSIDER):
        assert can_connect(netpols, caller, gateway, gateway.ports["http"])  # the API is for callers


def test_prometheus_reaches_every_metrics_port_and_nothing_else(objects: list[K8sObject]) -> None:
    netpols, pods = policies(objects), release_pods(objects, NAMESPACE)
    for name in (*MODEL_SERVICES, "gateway"):
        assert can_connect(netpols, PROMETHEUS, pods[name], pods[name].ports["http"]), name
    triton = pods["triton"]
    assert can_connect(netpols, PROMETHEUS, triton, triton.ports["metrics"])
    assert not can_connect(netpols, PROMETHEUS, triton, triton.ports["triton-http"])


def test_everything_else_is_denied(objects: list[K8sObject]) -> None:
    assert policies(objects), "no NetworkPolicy rendered"
    netpols, pods = policies(objects), release_pods(objects, NAMESPACE)
    triton = pods["triton"]
    for caller in (NEIGHBOUR, OUTSIDER):
        for name in MODEL_SERVICES:
            assert not can_connect(netpols, caller, pods[name], pods[name].ports["http"]), f"{caller.name} -> {name}"
        for port in triton.ports.values():
            assert not can_connect(netpols, caller, triton, port), f"{caller.name} -> triton:{port}"
    # Services do not call each other, and fusion (no model on Triton) does not reach Triton.
    assert not can_connect(netpols, pods["face"], pods["text"], pods["text"].ports["http"])
    assert not can_connect(netpols, pods["fusion"], triton, triton.ports["triton-http"])
    # A model service cannot be used to reach anything else in the cluster.
    assert not can_connect(netpols, pods["face"], NEIGHBOUR, 8080)


def test_policies_can_be_turned_off_and_the_gateway_restricted() -> None:
    assert policies(render_objects({"networkPolicy": {"enabled": False}})) == []
    callers = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "cms"}}}]
    objects = render_objects({"networkPolicy": {"enabled": True, "gatewayFrom": callers}})
    gateway = release_pods(objects, NAMESPACE)["gateway"]
    cms = Pod("cms", {"app": "cms"}, "cms", {"kubernetes.io/metadata.name": "cms"})
    assert can_connect(policies(objects), cms, gateway, gateway.ports["http"])
    assert not can_connect(policies(objects), OUTSIDER, gateway, gateway.ports["http"])
    assert can_connect(policies(objects), PROMETHEUS, gateway, gateway.ports["http"])


def triton(objects: list[K8sObject]) -> K8sObject:
    (deployment,) = [d for d in of_kind(objects, "Deployment") if d["metadata"]["name"].endswith("-triton")]
    return deployment


def test_triton_runs_with_model_control_off_on_a_read_only_repository(objects: list[K8sObject]) -> None:
    spec = pod_spec(triton(objects))
    (container,) = spec["containers"]
    args = container["args"]
    assert "--model-control-mode=none" in args and "--repository-poll-secs=0" in args
    assert not [a for a in args if a.startswith(("--load-model", "--model-control-mode=explicit", "--model-control-mode=poll"))]
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == "model-repository"]
    assert mount["readOnly"] is True


@pytest.mark.parametrize(
    "args", [["--model-control-mode=explicit"], ["--load-model=*"], ["--repository-poll-secs=5"]]
)
def test_flags_that_turn_model_control_on_are_refused(args: list[str]) -> None:
    with pytest.raises(helm.HelmError, match="extraArgs"):
        render_manifests({"triton": {"extraArgs": args}})


def test_a_triton_rollout_needs_no_second_gpu(objects: list[K8sObject]) -> None:
    strategy = triton(objects)["spec"]["strategy"]
    recreate = strategy["type"] == "Recreate"
    assert recreate or (strategy["type"] == "RollingUpdate" and strategy["rollingUpdate"]["maxSurge"] == 0)


def test_a_surging_triton_rollout_is_refused() -> None:
    surge = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    with pytest.raises(helm.HelmError, match="strategy"):
        render_manifests({"triton": {"strategy": surge}})
    recreate = triton(render_objects({"triton": {"strategy": {"type": "Recreate"}}}))
    assert recreate["spec"]["strategy"] == {"type": "Recreate"}


def test_the_servicemonitor_honours_the_services_labels(gpu_objects: list[K8sObject]) -> None:
    (monitor,) = of_kind(gpu_objects, "ServiceMonitor")
    assert [e.get("honorLabels") for e in monitor["spec"]["endpoints"]] == [True, True]


def test_workers_reach_the_services_and_triton_and_prometheus_reaches_them(objects: list[K8sObject]) -> None:
    netpols, pods = policies(objects), release_pods(objects, NAMESPACE)
    worker, triton = pods["worker"], pods["triton"]
    for name in MODEL_SERVICES:
        assert can_connect(netpols, worker, pods[name], pods[name].ports["http"]), f"worker -> {name}"
    assert can_connect(netpols, worker, triton, triton.ports["triton-http"])  # shot detection
    assert can_connect(netpols, PROMETHEUS, worker, worker.ports["metrics"])
    assert not can_connect(netpols, NEIGHBOUR, worker, worker.ports["metrics"])
