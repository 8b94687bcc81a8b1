"""NetworkPolicy semantics, enough to ask "may pod A open port P on pod B?" of a rendered chart.

Kubernetes' rules: a pod is isolated for ingress (egress) when some policy selects
it with that policy type; an isolated pod accepts (sends) only what a rule of a
policy selecting it allows. A peer with only ``podSelector`` means pods of the
policy's namespace; with ``namespaceSelector`` (and optionally ``podSelector``),
pods in the matching namespaces; a rule without ``from``/``to`` matches every peer,
without ``ports`` every port. Named ports resolve against the destination pod's
container ports. ``ipBlock`` peers are not used by the chart and not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.deploy.chart import K8sObject, of_kind, pod_spec


@dataclass(frozen=True)
class Pod:
    name: str
    labels: dict[str, str]
    namespace: str
    namespace_labels: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)  # container port name -> number


def matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A label selector (matchLabels, matchExpressions In/NotIn/Exists/DoesNotExist)."""
    if selector is None:
        return True
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        present = key in labels
        ok = {"In": present and labels.get(key) in values, "NotIn": not present or labels[key] not in values,
              "Exists": present, "DoesNotExist": not present}[operator]
        if not ok:
            return False
    return True


def release_pods(objects: list[K8sObject], namespace: str) -> dict[str, Pod]:
    """component -> a pod of each Deployment, with its labels and named ports."""
    pods = {}
    for deployment in of_kind(objects, "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        ports = {p["name"]: p["containerPort"] for c in pod_spec(deployment)["containers"] for p in c.get("ports", [])}
        component = labels["app.kubernetes.io/component"]
        pods[component] = Pod(component, labels, namespace, {"kubernetes.io/metadata.name": namespace}, ports)
    return pods


def _peer_matches(peer: dict[str, Any], policy_namespace: str, pod: Pod) -> bool:
    if "namespaceSelector" in peer:
        if not matches(peer["namespaceSelector"], pod.namespace_labels):
            return False
    elif pod.namespace != policy_namespace:
        return False
    return matches(peer.get("podSelector"), pod.labels)


def _port_matches(rule_ports: list[dict[str, Any]] | None, destination: Pod, port: int) -> bool:
    if not rule_ports:
        return True
    for entry in rule_ports:
        wanted = entry.get("port")
        number = destination.ports.get(wanted) if isinstance(wanted, str) else wanted
        if wanted is None or number == port:
            return True
    return False


def _allowed(policies: list[K8sObject], subject: Pod, peer: Pod, destination: Pod, port: int, kind: str) -> bool:
    selecting = [
        p for p in policies
        if p["metadata"].get("namespace", subject.namespace) == subject.namespace
        and matches(p["spec"]["podSelector"], subject.labels)
        and kind in p["spec"].get("policyTypes", ["Ingress"])
    ]
    if not selecting:
        return True  # not isolated in this direction
    key, peers_key = ("ingress", "from") if kind == "Ingress" else ("egress", "to")
    for policy in selecting:
        namespace = policy["metadata"].get("namespace", subject.namespace)
        for rule in policy["spec"].get(key) or []:
            peers = rule.get(peers_key)
            if (not peers or any(_peer_matches(x, namespace, peer) for x in peers)) and _port_matches(
                rule.get("ports"), destination, port
            ):
                return True
    return False


def can_connect(policies: list[K8sObject], source: Pod, destination: Pod, port: int) -> bool:
    """Whether ``source`` may open TCP ``port`` on ``destination`` (egress and ingress)."""
    return _allowed(policies, source, destination, destination, port, "Egress") and _allowed(
        policies, destination, source, destination, port, "Ingress"
    )
