"""Draw a ``DiagramModel`` as a PNG with the ``diagrams`` package (AWS icons ship inside it) and Graphviz ``dot``.

VPCs and subnet tiers are nested clusters; regional services are grouped by what they are (data stores, streams
and queues, compute, keys and secrets, logs and monitoring). Edge colours say what the reference is: grey dashed
"encrypted by" a key, green dotted "logs to", orange the data flow of an event source / alarm / notification, red
"IAM" (what a role's policies let the node use), black any other reference.

Example::

    from constructs_lib.report.diagram import build
    from constructs_lib.report.render import render

    render(build(stack), Path("docs/diagrams/iot-platform.png"))
"""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path
from typing import Any

from constructs_lib.report.diagram import DiagramModel, Node

#: icon -> (module under ``diagrams.aws``, class)
ICONS: dict[str, tuple[str, str]] = {
    "s3": ("storage", "SimpleStorageServiceS3Bucket"),
    "dynamodb": ("database", "DynamodbTable"),
    "aurora": ("database", "Aurora"),
    "rds": ("database", "RDSPostgresqlInstance"),
    "elasticache": ("database", "ElasticacheForRedis"),
    "kinesis": ("analytics", "KinesisDataStreams"),
    "sqs": ("integration", "SimpleQueueServiceSqsQueue"),
    "sns": ("integration", "SimpleNotificationServiceSnsTopic"),
    "lambda": ("compute", "LambdaFunction"),
    "ecs": ("compute", "ElasticContainerService"),
    "fargate": ("compute", "Fargate"),
    "ecs_task": ("compute", "ElasticContainerServiceTask"),
    "kms": ("security", "KeyManagementService"),
    "secrets_manager": ("security", "SecretsManager"),
    "cloudwatch_logs": ("management", "CloudwatchLogs"),
    "config": ("management", "Config"),
    "nat_gateway": ("network", "NATGateway"),
    "internet_gateway": ("network", "InternetGateway"),
    "network_firewall": ("network", "NetworkFirewall"),
    "vpc_endpoint": ("network", "Endpoint"),
    "flow_logs": ("network", "VPCFlowLogs"),
    "public_subnet": ("network", "PublicSubnet"),
    "private_subnet": ("network", "PrivateSubnet"),
}
#: Regional (not in a VPC) nodes are grouped by category into these clusters, in this order.
REGIONAL_GROUPS: dict[str, tuple[str, ...]] = {
    "Data stores": ("data_store",),
    "Streams, queues, topics": ("stream", "queue", "topic"),
    "Compute": ("compute",),
    "Keys and secrets": ("key", "secret"),
    "Logs and monitoring": ("log", "monitoring", "network"),
}
#: via -> Graphviz edge attributes.
EDGE_STYLES: dict[str, dict[str, str]] = {
    "encrypted by": {"color": "gray55", "style": "dashed", "constraint": "false"},
    "logs to": {"color": "darkgreen", "style": "dotted"},
    "IAM": {"color": "firebrick"},
    "uses": {"color": "black"},
    "depends on": {"color": "gray30", "style": "dotted"},
    "route": {"color": "royalblue3", "penwidth": "1.5"},
}
_FLOW_STYLE = {"color": "darkorange", "penwidth": "2"}
_GRAPH = {"fontsize": "24", "pad": "0.5", "nodesep": "0.8", "ranksep": "1.1", "splines": "spline", "compound": "true"}
_CLUSTER = {"fontsize": "16", "margin": "18"}
_NODE = {"fontsize": "11"}


class RenderError(RuntimeError):
    """The picture cannot be drawn here: the ``diagrams`` package or Graphviz ``dot`` is missing."""


def _require() -> Any:
    try:
        diagrams = importlib.import_module("diagrams")
    except ImportError as error:  # pragma: no cover - the test environment has it
        raise RenderError("the diagrams package is not installed: pip install diagrams") from error
    if shutil.which("dot") is None:
        raise RenderError("Graphviz 'dot' is not on PATH: apt-get install -y graphviz")
    return diagrams


def icon_class(icon: str) -> Any:
    """The ``diagrams`` node class drawn for ``icon``."""
    module, name = ICONS[icon]
    return getattr(importlib.import_module(f"diagrams.aws.{module}"), name)


def wrap(text: str, width: int = 20) -> str:
    """``text`` on lines of at most ``width`` characters, broken at ``/``, ``-``, ``_`` and camel-case humps."""
    pieces = re.findall(r"[^/_\-]+[/_\-]?", text)
    words = [
        w for piece in pieces for w in re.findall(r"[A-Z]?[^A-Z]+[/_\-]?|[A-Z]+(?![a-z])[/_\-]?", piece) or [piece]
    ]
    lines = [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + len(word) > width:
            lines.append("")
        lines[-1] += word
    return "\n".join(lines)


def _label(node: Node) -> str:
    text = wrap(node.label)
    return f"{text}\n{node.detail}" if node.detail else text


def picture_name(system: str | None, stack: str, profile: str | None) -> str:
    """``<system>.png`` for the dev profile README shows; ``<system>-<profile>.png`` for the others."""
    base = system or stack
    return f"{base}.png" if profile in ("dev", None) else f"{base}-{profile}.png"


def render(model: DiagramModel, path: Path) -> Path:
    """Draw ``model`` to ``path`` (``.png``); returns the file written."""
    diagrams = _require()
    path.parent.mkdir(parents=True, exist_ok=True)
    drawn: dict[str, Any] = {}
    with diagrams.Diagram(
        model.title,
        filename=str(path.with_suffix("")),
        outformat="png",
        show=False,
        direction="TB",
        graph_attr=_GRAPH,
        node_attr=_NODE,
    ):
        _draw_vpcs(diagrams, model, drawn)
        for group, categories in REGIONAL_GROUPS.items():
            members = [n for n in model.nodes if n.boundary is None and n.category in categories]
            if not members:
                continue
            with diagrams.Cluster(group, graph_attr=_CLUSTER):
                for node in members:
                    drawn[node.node_id] = icon_class(node.icon)(_label(node))
        for edge in model.edges:
            style = EDGE_STYLES.get(edge.via, _FLOW_STYLE)
            label = edge.via if style is _FLOW_STYLE else ""
            drawn[edge.source] >> diagrams.Edge(label=label, **style) >> drawn[edge.target]
    return path


def _draw_vpcs(diagrams: Any, model: DiagramModel, drawn: dict[str, Any]) -> None:
    """Each VPC as a cluster holding its tier clusters, each with its nodes."""
    for vpc in (b for b in model.boundaries if b.parent is None):
        with diagrams.Cluster(vpc.label, graph_attr={**_CLUSTER, "bgcolor": "#eef5ff"}):
            for node in (n for n in model.nodes if n.boundary == vpc.boundary_id):
                drawn[node.node_id] = icon_class(node.icon)(_label(node))
            for tier in (b for b in model.boundaries if b.parent == vpc.boundary_id):
                with diagrams.Cluster(tier.label, graph_attr={**_CLUSTER, "bgcolor": "#ffffff"}):
                    for node in (n for n in model.nodes if n.boundary == tier.boundary_id):
                        drawn[node.node_id] = icon_class(node.icon)(_label(node))
