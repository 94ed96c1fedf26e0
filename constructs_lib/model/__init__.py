"""One small model of a synthesized stack, whether CloudFormation (``cdk.out``) or Terraform JSON (``cdktf.out``).

Preflight checks read it today; idle-cost, teardown and diagram reports can read the same objects later. Pure JSON
in, dataclasses out: no CDK, cdktf or Terraform import, so reading every stack takes milliseconds.

Example::

    from constructs_lib.model import load_stacks

    for stack in load_stacks(["cdk.out", "cdktf.out"]):
        print(stack.name, stack.source_format, stack.region, stack.profile)
        for db in stack.of_kind("db_cluster"):
            print(db.address, db.get("engine_version"), db.deletion.on_delete)

Modules:

- ``stack``: ``Stack``, ``Resource``, ``Reference``, ``Output``, ``Parameter``, ``Backend``, ``Deletion``.
- ``kinds``: format-neutral resource kinds (``s3_bucket`` for ``AWS::S3::Bucket`` and ``aws_s3_bucket``).
- ``fields``: format-neutral property names (``engine_version`` for ``EngineVersion`` / ``engine_version``).
- ``tokens``: deploy-time values as ``${...}`` text for both formats.
- ``cloudformation``, ``terraform``: the two readers; ``loader``: finds stack files in output folders.
"""

from constructs_lib.model.loader import StackFile, StackFileError, find_stack_files, load_stack, load_stacks
from constructs_lib.model.stack import (
    CLOUDFORMATION,
    TERRAFORM,
    Backend,
    Deletion,
    OnDelete,
    Output,
    Parameter,
    Reference,
    Resource,
    SourceFormat,
    Stack,
)

__all__ = [
    "CLOUDFORMATION",
    "TERRAFORM",
    "Backend",
    "Deletion",
    "OnDelete",
    "Output",
    "Parameter",
    "Reference",
    "Resource",
    "SourceFormat",
    "Stack",
    "StackFile",
    "StackFileError",
    "find_stack_files",
    "load_stack",
    "load_stacks",
]
