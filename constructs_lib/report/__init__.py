"""Stack report: what each synthesized stack costs idle, what ``destroy`` leaves behind, and what it looks like.

Before deploying a reference stack its users ask three questions; this answers them from the synthesized output
(``cdk.out``, ``cdktf.out``) through the same model the preflight checks read (``constructs_lib.model``):

- ``cost``: the idle monthly cost, line by line (quantity x unit price from the dated table in
  ``constructs_lib.policy.prices``, or the AWS Price List API with ``live``), and what it could not price.
- ``teardown``: what ``destroy`` leaves behind, judged by the profile: dev leaves nothing, prod keeps every data
  store.
- ``diagram`` / ``render``: the architecture as data (boundaries, nodes, edges from the references), drawn with the
  ``diagrams`` package and Graphviz.

Example::

    python -m constructs_lib.report cdk.out cdktf.out --format table --diagrams docs/diagrams

    from constructs_lib.model import load_stacks
    from constructs_lib.report import report_stack, TablePrices
    for stack in load_stacks(["cdk.out"]):
        report = report_stack(stack, TablePrices())
        print(stack.name, report.cost.total, report.teardown.verdict, len(report.diagram.nodes))
"""

from constructs_lib.report.cli import StackReport, main, report_stack
from constructs_lib.report.cost import CostLine, CostReport, NotPriced, TablePrices, estimate
from constructs_lib.report.diagram import DiagramModel, build
from constructs_lib.report.teardown import Outcome, TeardownReport, assess

__all__ = [
    "CostLine",
    "CostReport",
    "DiagramModel",
    "NotPriced",
    "Outcome",
    "StackReport",
    "TablePrices",
    "TeardownReport",
    "assess",
    "build",
    "estimate",
    "main",
    "report_stack",
]
