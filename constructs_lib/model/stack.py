"""The model itself: a stack, its resources, the references between them, and what deleting it does.

Every field is plain Python data read from JSON, so a check, a cost report or a diagram can walk it without knowing
whether it came from a CloudFormation template or a ``cdk.tf.json``. ``source_format`` is there for the few checks
that are about one format's syntax.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from constructs_lib.model import fields

SourceFormat = Literal["cloudformation", "terraform"]
CLOUDFORMATION: SourceFormat = "cloudformation"
TERRAFORM: SourceFormat = "terraform"

#: The tag our stacks carry on every resource to say which profile (dev or prod) they were built for.
PROFILE_TAG = "Profile"
#: The tag naming the reference system a stack builds (``iot-platform``, ``pci-platform``...).
SYSTEM_TAG = "System"


class OnDelete(StrEnum):
    """What deleting the stack does to a resource's data."""

    DELETE = "delete"
    RETAIN = "retain"
    SNAPSHOT = "snapshot"


@dataclass(frozen=True)
class Deletion:
    """What deleting the stack does to one resource, the same words for CloudFormation and Terraform.

    CloudFormation says it with ``DeletionPolicy`` (and ``DeletionProtection``, ``ObjectLockEnabled``, CDK's
    auto-delete custom resource); Terraform with ``skip_final_snapshot``, ``final_snapshot_identifier``,
    ``force_destroy``, ``deletion_protection`` and ``lifecycle.prevent_destroy``.
    """

    on_delete: OnDelete = OnDelete.DELETE
    #: Deleting it is refused (deletion protection, ``prevent_destroy``): the stack cannot be torn down as is.
    protected: bool = False
    #: Terraform asks for a final snapshot but has no name for it: ``destroy`` fails.
    needs_snapshot_identifier: bool = False
    #: Buckets only: objects are deleted first (CDK auto-delete, Terraform ``force_destroy``); ``None`` elsewhere.
    empties_bucket: bool | None = None
    #: S3 Object Lock: locked objects cannot be deleted before their retention ends, so neither can the bucket.
    object_lock: bool = False
    #: Days a deleted secret or key stays recoverable, when the template says (0 = gone at once).
    recovery_window_days: int | None = None
    #: The settings that decided the above, for messages ("DeletionPolicy=Retain", "skip_final_snapshot=true").
    evidence: tuple[str, ...] = ()

    @property
    def blocks_teardown(self) -> bool:
        """Deleting the stack fails or hangs because of this resource."""
        return self.protected or self.needs_snapshot_identifier or self.object_lock or self.empties_bucket is False

    @property
    def keeps_data(self) -> bool:
        """The data survives a stack deletion (retained, snapshotted or protected)."""
        return self.on_delete is not OnDelete.DELETE or self.protected


@dataclass(frozen=True)
class Reference:
    """One place where a resource or output points at something else.

    ``target`` is a logical ID (CloudFormation) or a Terraform address (``aws_kms_key.logs``,
    ``data.aws_caller_identity.current``, ``var.suffix``); ``attribute`` is ``Arn``/``arn`` and the like, ``None``
    for a plain ``Ref``; ``at`` is the property path it sits under (``rule[0].bucket``); ``via`` says how:
    ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``interpolation`` or ``depends_on``.
    """

    target: str
    attribute: str | None
    at: str
    via: str


@dataclass(frozen=True)
class Resource:
    """One resource (or Terraform data source) with its properties as written in the synthesized file.

    ``kind`` is a format-neutral name (``s3_bucket``, ``db_cluster``, ``log_group``; ``other`` when unknown) so that
    a check can ask for "every database" once for both formats; ``type`` keeps the exact
    ``AWS::RDS::DBCluster`` / ``aws_rds_cluster``. ``attributes`` are the CloudFormation resource attributes
    (DeletionPolicy, DependsOn, Condition, Metadata) or the Terraform meta-arguments (lifecycle, depends_on, count).
    """

    address: str
    type: str
    kind: str
    source_format: SourceFormat
    path: str = ""
    properties: Mapping[str, Any] = field(default_factory=dict)
    attributes: Mapping[str, Any] = field(default_factory=dict)
    deletion: Deletion = field(default_factory=Deletion)
    references: tuple[Reference, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """What a person looks for: the CDK construct path when there is one, else the address."""
        if self.source_format == CLOUDFORMATION and self.path:
            return self.path
        return self.address

    def get(self, name: str, default: Any = None) -> Any:
        """A normalized property (``engine``, ``engine_version``, ``port``...) whichever format this came from."""
        return fields.lookup(self.properties, fields.paths(name, self.source_format), default)

    def field_key(self, name: str) -> str | None:
        """The property path ``get(name)`` found its value under, for messages ("MasterUserPassword")."""
        return fields.found_path(self.properties, fields.paths(name, self.source_format))

    def refs_to(self, target: str, *, at: str | None = None) -> list[Reference]:
        """References from this resource to ``target``, optionally only those under property path ``at``."""
        return [r for r in self.references if r.target == target and _under(r.at, at)]

    def targets(self, at: str | None = None) -> list[str]:
        """Distinct targets referenced (under property path ``at`` when given), in first-seen order."""
        return list(dict.fromkeys(r.target for r in self.references if _under(r.at, at)))


def _under(path: str, at: str | None) -> bool:
    """``path`` is ``at`` itself or inside it (``rule[0].bucket`` is under ``rule``; ``bucket_prefix`` is not under
    ``bucket``)."""
    return at is None or path == at or path.startswith((f"{at}.", f"{at}["))


@dataclass(frozen=True)
class Output:
    """A stack output (CloudFormation ``Outputs``, Terraform ``output``): what a test or another stack can read."""

    name: str
    value: Any
    references: tuple[Reference, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class Parameter:
    """A deploy-time input (CloudFormation ``Parameters``, Terraform ``variable``); ``secret`` = NoEcho/sensitive."""

    name: str
    default: Any = None
    secret: bool = False


@dataclass(frozen=True)
class Backend:
    """Where Terraform keeps state (``terraform.backend``); CloudFormation stacks have none."""

    type: str
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Stack:
    """One deployable unit: a CloudFormation template or one cdktf stack's ``cdk.tf.json``.

    ``region`` and ``account`` are set only when the synthesized output pins them (CDK ``env``, Terraform provider
    ``region`` / ``allowed_account_ids``); ``None`` means "decided at deploy time". ``nested`` marks a template a
    parent stack deploys (``AWS::CloudFormation::Stack``); ``sibling_outputs`` names the outputs the other stacks of
    the same cloud assembly or cdktf app export (``<stack>.<output>``), so a check can judge a stack beside them.
    """

    name: str
    source_format: SourceFormat
    path: Path
    region: str | None = None
    account: str | None = None
    resources: Mapping[str, Resource] = field(default_factory=dict)
    outputs: Mapping[str, Output] = field(default_factory=dict)
    parameters: Mapping[str, Parameter] = field(default_factory=dict)
    data: Mapping[str, Resource] = field(default_factory=dict)
    backend: Backend | None = None
    #: Tags the deploy tool puts on every resource (Terraform provider ``default_tags``); empty for CloudFormation.
    default_tags: Mapping[str, str] = field(default_factory=dict)
    nested: bool = False
    sibling_outputs: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources.values())

    def of_kind(self, *kinds: str) -> list[Resource]:
        """Resources of any of ``kinds``, in file order."""
        return [r for r in self.resources.values() if r.kind in kinds]

    def resource(self, address: str) -> Resource | None:
        return self.resources.get(address)

    def referrers(self, target: str, *kinds: str) -> list[Resource]:
        """Resources (of ``kinds``, when given) that reference ``target`` anywhere."""
        return [
            r
            for r in self.resources.values()
            if (not kinds or r.kind in kinds) and any(ref.target == target for ref in r.references)
        ]

    def referenced(self, resource: Resource, at: str | None = None, *kinds: str) -> list[Resource]:
        """Resources of this stack that ``resource`` references (under ``at``; of ``kinds`` when given)."""
        found = [self.resources[t] for t in resource.targets(at) if t in self.resources]
        return [r for r in found if not kinds or r.kind in kinds]

    def common_tag(self, key: str) -> str | None:
        """The value of tag ``key`` most resources carry, or ``None`` when absent or split evenly."""
        counts = Counter(r.tags[key] for r in self.resources.values() if r.tags.get(key))
        ranked = counts.most_common(2)
        if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
            return None
        return ranked[0][0]

    @cached_property
    def profile(self) -> str | None:
        """The ``Profile`` tag most resources carry (``dev``/``prod``), or ``None`` when absent or split evenly."""
        return self.common_tag(PROFILE_TAG)

    @cached_property
    def system(self) -> str | None:
        """The ``System`` tag most resources carry (``iot-platform``...): which reference system this stack is."""
        return self.common_tag(SYSTEM_TAG)
