"""Deletion against the profile: a dev stack must tear down cleanly (seeds 003, 004), a prod stack must not lose
data when deleted (seed 000 deleted everything). The profile is the ``Profile`` tag our stacks put on every
resource; a stack without it is not judged."""

from __future__ import annotations

from collections.abc import Iterator

from constructs_lib.model import TERRAFORM, OnDelete, Resource, Stack, tokens
from constructs_lib.model.kinds import DATA_STORE_KINDS
from constructs_lib.policy.encryption import KEY_PENDING_WINDOW_DAYS
from constructs_lib.policy.profiles import PROFILES
from constructs_lib.preflight.registry import Rule, Severity, Violation

_DEV, _PROD = PROFILES["dev"].name, PROFILES["prod"].name
_PROD_KEY_WINDOW = KEY_PENDING_WINDOW_DAYS[_PROD]
_DATABASE_KINDS = ("db_instance", "db_cluster")
_CACHE_KINDS = ("cache_replication_group", "cache_cluster")


def _mfa_delete(resource: Resource) -> bool:
    """Terraform only: CloudFormation has no property for MFA delete."""
    if resource.kind == "s3_bucket_versioning":
        return resource.get("versioning_configuration.mfa_delete") == "Enabled"
    return tokens.is_true(resource.get("versioning.mfa_delete"))


def check_mfa_delete(resource: Resource, stack: Stack) -> Iterator[Violation]:
    """MFA delete needs the root user's MFA device to delete versions: no automation can empty or delete the bucket."""
    if _mfa_delete(resource):
        yield Violation(
            "MFA delete is on: object versions, and so the bucket, can only be deleted by the root user with an MFA "
            "code, so automated teardown fails",
            "leave MFA delete off in stacks torn down by automation; protect prod data with Retain and backups",
            severity=Severity.ERROR if stack.profile == _DEV else Severity.WARNING,
        )


def _teardown_blockers(resource: Resource) -> list[str]:
    """Why deleting the stack fails on this resource or leaves it behind (empty: it deletes cleanly)."""
    deletion = resource.deletion
    reasons = []
    if deletion.protected:
        reasons.append("deletion protection (or prevent_destroy) refuses the delete")
    if deletion.on_delete is OnDelete.RETAIN:
        reasons.append("it is retained: teardown leaves it behind and a named one collides with the next deploy")
    if deletion.object_lock:
        reasons.append("Object Lock keeps objects, and the bucket, until their retention ends")
    if deletion.empties_bucket is False and deletion.on_delete is OnDelete.DELETE:
        reasons.append("the bucket is not emptied first and a non-empty bucket cannot be deleted")
    if deletion.needs_snapshot_identifier:
        reasons.append("skip_final_snapshot is false without final_snapshot_identifier, so destroy fails")
    return reasons


def check_dev_destroyable(stack: Stack) -> Iterator[Violation]:
    """In a dev stack every resource deletes with the stack and leaves nothing behind."""
    if stack.profile != _DEV:
        return
    for resource in stack:
        reasons = _teardown_blockers(resource)
        if reasons:
            yield Violation(
                f"dev stack cannot be torn down cleanly: {'; '.join(reasons)} "
                f"({', '.join(resource.deletion.evidence)})",
                "use the dev profile's removal: DeletionPolicy Delete, no deletion protection, "
                "CDK auto_delete_objects / Terraform force_destroy, skip_final_snapshot = true",
                resource=resource,
            )
        elif resource.deletion.on_delete is OnDelete.SNAPSHOT:
            yield Violation(
                "dev stack keeps a final snapshot on delete: teardown leaves a snapshot that keeps costing",
                "set DeletionPolicy Delete / skip_final_snapshot = true in dev",
                resource=resource,
                severity=Severity.WARNING,
            )


def _prod_losses(resource: Resource) -> Iterator[Violation]:
    """What deleting the prod stack would lose of this resource."""
    deletion = resource.deletion
    evidence = ", ".join(deletion.evidence) or "default deletion"
    deleted = deletion.on_delete is OnDelete.DELETE
    if resource.kind == "s3_bucket" and deleted and deletion.empties_bucket:
        yield Violation(f"deleting the stack deletes every object ({evidence})", "retain prod buckets")
    elif resource.kind == "s3_bucket" and deleted and resource.source_format == "cloudformation":
        yield Violation(
            f"DeletionPolicy Delete on a prod bucket: stack deletion fails on it, or deletes it once empty "
            f"({evidence})",
            "set DeletionPolicy Retain on prod buckets",
            severity=Severity.WARNING,
        )
    elif resource.kind in (*_DATABASE_KINDS, "dynamodb_table") and not deletion.keeps_data:
        yield Violation(
            f"deleting the stack deletes the data with no snapshot ({evidence})",
            "take a final snapshot (DeletionPolicy Snapshot / final_snapshot_identifier) and turn on deletion "
            "protection",
        )
    elif resource.kind in _DATABASE_KINDS and not deletion.protected:
        yield Violation(
            "no deletion protection on a prod database",
            "set DeletionProtection / deletion_protection to true",
            severity=Severity.WARNING,
        )
    elif resource.kind in _CACHE_KINDS and deleted:
        yield Violation(
            f"the cache is deleted without a final snapshot ({evidence})",
            "DeletionPolicy Snapshot / final_snapshot_identifier",
            severity=Severity.WARNING,
        )
    elif resource.kind == "kms_key" and deleted and (deletion.recovery_window_days or 0) < _PROD_KEY_WINDOW:
        yield Violation(
            f"deleting the stack schedules the key's deletion with less than {_PROD_KEY_WINDOW} days to undo it "
            f"({evidence}): snapshots and backups encrypted with it become unreadable",
            f"retain the key, or keep the prod pending window of {_PROD_KEY_WINDOW} days",
            severity=Severity.WARNING,
        )
    elif resource.kind == "log_group" and deleted:
        yield Violation(
            f"deleting the stack deletes the log group and its audit trail ({evidence})",
            "retain log groups in prod (DeletionPolicy Retain / skip_destroy = true)",
            severity=Severity.WARNING,
        )
    elif resource.kind == "secret" and deletion.recovery_window_days == 0:
        yield Violation(
            "the secret is deleted at once, with no recovery window",
            "keep the default recovery window (30 days)",
            severity=Severity.WARNING,
        )


def check_prod_keeps_data(stack: Stack) -> Iterator[Violation]:
    """In a prod stack, deleting the stack keeps every data store (retained or snapshotted)."""
    if stack.profile != _PROD:
        return
    for resource in stack.of_kind(*DATA_STORE_KINDS, "kms_key", "log_group", "secret"):
        for violation in _prod_losses(resource):
            yield Violation(f"prod stack: {violation.message}", violation.fix, resource, violation.severity)


MFA_DELETE_TEARDOWN = Rule(
    rule_id="mfa-delete-teardown",
    title="No MFA delete on buckets of stacks torn down by automation (error in dev, warning elsewhere)",
    fix="leave MFA delete off on buckets automation must delete; keep prod data with retention or Object Lock instead",
    seeds=("004",),
    severity=Severity.WARNING,
    check=check_mfa_delete,
    kinds=frozenset({"s3_bucket", "s3_bucket_versioning"}),
    formats=frozenset({TERRAFORM}),
)

PROFILE_DEV_DESTROYABLE = Rule(
    rule_id="profile-dev-destroyable",
    title="A dev stack deletes completely: no retain, deletion protection, object lock or un-emptied bucket",
    fix="in dev: delete on stack deletion, no deletion protection, empty buckets first (auto-delete objects / "
    "force_destroy), no Object Lock",
    seeds=("003", "004"),
    severity=Severity.ERROR,
    check=check_dev_destroyable,
)

PROFILE_PROD_KEEPS_DATA = Rule(
    rule_id="profile-prod-keeps-data",
    title="A prod stack keeps its data when deleted: databases snapshotted, buckets retained",
    fix="in prod: retain buckets and keys, snapshot databases on delete, and turn deletion protection on",
    seeds=("000",),
    severity=Severity.ERROR,
    check=check_prod_keeps_data,
)
