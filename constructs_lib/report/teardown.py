"""What ``destroy`` leaves behind, per resource, and the verdict for the stack's profile.

Outcomes come from the model's ``Deletion`` (DeletionPolicy, deletion protection, Object Lock, buckets that are not
emptied, final snapshots, recovery windows), read the same way from CloudFormation and Terraform.

The rules, from ``constructs_lib.policy.profiles``:

- ``dev`` leaves nothing: a retained resource, a final snapshot, a kept automated backup or anything that makes
  the delete fail is an error. A key's waiting period (AWS allows no less than 7 days) is only noted.
- ``prod`` keeps every data store (databases and caches by final snapshot or retention, buckets retained or left
  full, DynamoDB tables retained or protected); a data store deleted outright is an error. Streams and queues are
  buffers, not data stores: their records live 24 hours (streams) to 14 days (dead letters), and consumers have
  already written them to a data store, so prod may delete them with the stack (reported, not required). A key
  that is deleted while data encrypted with it is kept, a log group or a secret deleted at once, are warnings.

Example::

    from constructs_lib.report.teardown import assess

    report = assess(stack)
    print(report.verdict, [v.message for v in report.violations])
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from constructs_lib.model import CLOUDFORMATION, OnDelete, Resource, Stack
from constructs_lib.model.fields import lookup
from constructs_lib.model.kinds import DATA_STORE_KINDS, MESSAGING_KINDS
from constructs_lib.policy.encryption import KEY_PENDING_WINDOW_DAYS
from constructs_lib.policy.profiles import PROFILES

DEV, PROD = PROFILES["dev"].name, PROFILES["prod"].name
#: Days AWS waits before deleting a key or a secret when the template does not say (both services' default).
DEFAULT_WAITING_DAYS = 30
_KEY_MINIMUM_DAYS = KEY_PENDING_WINDOW_DAYS[DEV]


class Outcome(StrEnum):
    """What deleting the stack does to one resource."""

    DELETED = "deleted"
    RETAINED = "retained"
    SNAPSHOT = "snapshot kept"
    BLOCKS = "blocks destroy"
    PENDING = "pending deletion"
    BACKUPS = "backups kept"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Leftover:
    """One resource that ``destroy`` does not simply delete, and why."""

    resource: str
    address: str
    type: str
    kind: str
    outcome: Outcome
    detail: str
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "outcome": str(self.outcome), "evidence": list(self.evidence)}


@dataclass(frozen=True)
class Violation:
    """A teardown result the profile does not allow: what, where, and the fix."""

    severity: Severity
    resource: str
    address: str
    message: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        return {**asdict(self), "severity": str(self.severity)}


@dataclass(frozen=True)
class TeardownReport:
    """Everything ``destroy`` leaves behind in one stack, and what its profile says about it."""

    stack: str
    profile: str | None
    leftovers: tuple[Leftover, ...]
    violations: tuple[Violation, ...]
    kept_data_stores: tuple[str, ...]
    deleted_buffers: tuple[str, ...]

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity is Severity.ERROR]

    @property
    def verdict(self) -> str:
        """``pass``/``fail`` for dev and prod stacks, ``not judged`` without a profile tag."""
        if self.profile not in (DEV, PROD):
            return "not judged"
        return "fail" if self.errors else "pass"

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "leftovers": [item.to_dict() for item in self.leftovers],
            "violations": [v.to_dict() for v in self.violations],
            "kept_data_stores": list(self.kept_data_stores),
            "deleted_buffers": list(self.deleted_buffers),
        }


def _value(resource: Resource, cfn: str, tf: str) -> Any:
    return lookup(resource.properties, [cfn if resource.source_format == CLOUDFORMATION else tf])


def _waiting_days(resource: Resource) -> int | None:
    """Days a deleted key or Terraform secret waits before it is gone; ``None`` when it goes at once or N/A."""
    if resource.kind == "kms_key":
        window = resource.deletion.recovery_window_days
        return DEFAULT_WAITING_DAYS if window is None else window
    if resource.kind == "secret" and resource.source_format != CLOUDFORMATION:
        window = resource.deletion.recovery_window_days
        days = DEFAULT_WAITING_DAYS if window is None else window
        return days or None
    return None


def outcome(resource: Resource) -> tuple[Outcome, str]:
    """What ``destroy`` does to ``resource``, and a sentence saying why."""
    deletion = resource.deletion
    if deletion.protected:
        then = {OnDelete.SNAPSHOT: "; once lifted, a final snapshot is kept", OnDelete.RETAIN: "; it is also retained"}
        return Outcome.BLOCKS, "deletion protection (or prevent_destroy) refuses the delete" + then.get(
            deletion.on_delete, ""
        )
    if deletion.object_lock:
        return Outcome.BLOCKS, "Object Lock keeps locked objects, and so the bucket, until their retention ends"
    if deletion.needs_snapshot_identifier:
        return Outcome.BLOCKS, "a final snapshot is required but has no name (final_snapshot_identifier)"
    if deletion.on_delete is OnDelete.RETAIN:
        return Outcome.RETAINED, "kept in the account, outside any stack"
    if deletion.on_delete is OnDelete.SNAPSHOT:
        return Outcome.SNAPSHOT, "deleted after a final snapshot, which is kept"
    if deletion.empties_bucket is False:
        return Outcome.BLOCKS, "not emptied first: the delete fails while it holds objects (an empty one goes)"
    days = _waiting_days(resource)
    if days:
        return Outcome.PENDING, f"scheduled for deletion, recoverable for {days} days"
    if resource.kind in ("db_instance", "db_cluster") and _value(
        resource, "DeleteAutomatedBackups", "delete_automated_backups"
    ) in (False, "false"):
        return Outcome.BACKUPS, "deleted, but its automated backups are kept for their retention period"
    return Outcome.DELETED, ""


def _dev_fix(resource: Resource, result: Outcome) -> str:
    cfn = resource.source_format == CLOUDFORMATION
    deletion = resource.deletion
    if result is Outcome.BLOCKS and deletion.protected:
        return (
            "DeletionProtection false (CDK deletion_protection=False)"
            if cfn
            else ("deletion_protection = false and no lifecycle.prevent_destroy")
        )
    if result is Outcome.BLOCKS and deletion.object_lock:
        return "no Object Lock in dev: compliance-mode retention cannot be lifted, even by the root user"
    if result is Outcome.BLOCKS and deletion.needs_snapshot_identifier:
        return "skip_final_snapshot = true in dev"
    if result is Outcome.BLOCKS:
        return "CDK auto_delete_objects=True with RemovalPolicy.DESTROY" if cfn else "force_destroy = true"
    if result is Outcome.BACKUPS:
        return "DeleteAutomatedBackups true (the default)" if cfn else "delete_automated_backups = true (the default)"
    if result is Outcome.SNAPSHOT and not cfn:
        return "skip_final_snapshot = true (and no final_snapshot_identifier) in dev"
    if result is Outcome.RETAINED and not cfn:
        return "skip_destroy = false (the default) in dev"
    return "RemovalPolicy.DESTROY (DeletionPolicy: Delete) in dev"


def _prod_fix(resource: Resource) -> str:
    cfn = resource.source_format == CLOUDFORMATION
    if resource.kind == "s3_bucket":
        return "RemovalPolicy.RETAIN without auto_delete_objects" if cfn else "force_destroy = false"
    if resource.kind in ("db_instance", "db_cluster"):
        return (
            "DeletionPolicy: Snapshot and DeletionProtection true"
            if cfn
            else ("skip_final_snapshot = false with a final_snapshot_identifier, and deletion_protection = true")
        )
    if resource.kind in ("cache_replication_group", "cache_cluster"):
        return "DeletionPolicy: Snapshot" if cfn else "final_snapshot_identifier"
    return "DeletionPolicy: Retain and DeletionProtectionEnabled true" if cfn else "deletion_protection_enabled = true"


def _dev_violations(resource: Resource, result: Outcome, detail: str) -> Iterator[Violation]:
    if result is Outcome.DELETED or (result is Outcome.PENDING and resource.kind != "secret"):
        return
    if result is Outcome.PENDING:
        yield Violation(
            Severity.WARNING,
            resource.label,
            resource.address,
            f"dev: the secret is {detail}, so a redeploy cannot reuse its name until then",
            "recovery_window_in_days = 0 in dev",
        )
        return
    evidence = ", ".join(resource.deletion.evidence)
    yield Violation(
        Severity.ERROR,
        resource.label,
        resource.address,
        f"dev must leave nothing, but this {resource.kind.replace('_', ' ')} is {result}: {detail}"
        + (f" ({evidence})" if evidence else ""),
        _dev_fix(resource, result),
    )


def encrypted_with(stack: Stack, key: Resource) -> list[Resource]:
    """Data stores whose data ``key`` encrypts: they name it, or their encryption settings do (Terraform's
    ``aws_s3_bucket_server_side_encryption_configuration``)."""
    stores = {r.address: r for r in stack.referrers(key.address, *DATA_STORE_KINDS)}
    for settings in stack.referrers(key.address, "s3_bucket_encryption"):
        stores.update((r.address, r) for r in stack.referenced(settings, None, *DATA_STORE_KINDS))
    return list(stores.values())


def _keeps_data(result: Outcome, resource: Resource) -> bool:
    return result in (Outcome.RETAINED, Outcome.SNAPSHOT, Outcome.BLOCKS) and not (
        resource.deletion.needs_snapshot_identifier and not resource.deletion.protected
    )


def _prod_violations(stack: Stack, resource: Resource, result: Outcome, detail: str) -> Iterator[Violation]:
    evidence = ", ".join(resource.deletion.evidence) or "default deletion"
    if resource.kind in DATA_STORE_KINDS and not _keeps_data(result, resource):
        if resource.deletion.needs_snapshot_identifier:
            yield Violation(
                Severity.WARNING,
                resource.label,
                resource.address,
                f"prod: destroy fails on it ({detail}), which keeps the data but leaves the stack half deleted",
                'final_snapshot_identifier = "<name>-final"',
            )
            return
        yield Violation(
            Severity.ERROR,
            resource.label,
            resource.address,
            f"prod must keep every data store, but destroy deletes this {resource.kind.replace('_', ' ')} and its "
            f"data ({evidence})",
            _prod_fix(resource),
        )
    elif resource.kind == "kms_key" and result in (Outcome.DELETED, Outcome.PENDING):
        protected = [r.label for r in encrypted_with(stack, resource) if _keeps_data(outcome(r)[0], r)]
        if protected:
            yield Violation(
                Severity.WARNING,
                resource.label,
                resource.address,
                f"prod: the key is {detail or 'deleted'}, but {', '.join(protected)} keep data encrypted with "
                "it; once the key is gone that data cannot be read",
                "retain the key: RemovalPolicy.RETAIN / lifecycle.prevent_destroy, or cancel its deletion "
                "(kms:CancelKeyDeletion) while the data is kept",
            )
    elif resource.kind == "log_group" and result is Outcome.DELETED:
        yield Violation(
            Severity.WARNING,
            resource.label,
            resource.address,
            f"prod: destroy deletes the log group and its audit trail ({evidence})",
            "RemovalPolicy.RETAIN" if resource.source_format == CLOUDFORMATION else "skip_destroy = true",
        )
    elif resource.kind == "secret" and result is Outcome.DELETED and resource.source_format != CLOUDFORMATION:
        yield Violation(
            Severity.WARNING,
            resource.label,
            resource.address,
            "prod: the secret is deleted at once, with no recovery window",
            "keep the default recovery window (30 days)",
        )


def assess(stack: Stack) -> TeardownReport:
    """What ``destroy`` leaves of ``stack``, and the violations of its profile's teardown rule."""
    leftovers: list[Leftover] = []
    violations: list[Violation] = []
    kept: list[str] = []
    buffers: list[str] = []
    for resource in stack:
        result, detail = outcome(resource)
        if result is not Outcome.DELETED:
            leftovers.append(
                Leftover(
                    resource.label,
                    resource.address,
                    resource.type,
                    resource.kind,
                    result,
                    detail,
                    resource.deletion.evidence,
                )
            )
        if resource.kind in DATA_STORE_KINDS and _keeps_data(result, resource):
            kept.append(resource.label)
        if resource.kind in MESSAGING_KINDS and result is Outcome.DELETED:
            buffers.append(resource.label)
        if stack.profile == DEV:
            violations.extend(_dev_violations(resource, result, detail))
        elif stack.profile == PROD:
            violations.extend(_prod_violations(stack, resource, result, detail))
    if stack.profile == DEV:
        violations.extend(_key_notes(stack))
    return TeardownReport(stack.name, stack.profile, tuple(leftovers), tuple(violations), tuple(kept), tuple(buffers))


def _key_notes(stack: Stack) -> Iterator[Violation]:
    """A dev key waits at least 7 days: not a violation, unless the template asks for longer than the minimum."""
    for key in stack.of_kind("kms_key"):
        days = _waiting_days(key)
        if key.deletion.on_delete is OnDelete.DELETE and days and days > _KEY_MINIMUM_DAYS:
            yield Violation(
                Severity.WARNING,
                key.label,
                key.address,
                f"dev: the key waits {days} days before it is deleted (AWS allows {_KEY_MINIMUM_DAYS})",
                f"PendingWindowInDays / deletion_window_in_days = {_KEY_MINIMUM_DAYS} in dev",
            )
