"""Names that collide or break on deploy: S3 names without an account part (seed 004), account IDs typed into the
code (seed 004), and names longer than AWS allows once the suffix, account and region are in them."""

from __future__ import annotations

import re
from collections.abc import Iterator

from constructs_lib.model import Resource, Stack, tokens
from constructs_lib.policy.engines import LONGEST_REGION_NAME
from constructs_lib.policy.log_delivery import ELB_LOG_DELIVERY_ACCOUNTS, ELB_LOG_DELIVERY_PRINCIPAL
from constructs_lib.policy.naming import ACCOUNT_ID_LENGTH, NAME_LIMITS
from constructs_lib.preflight.registry import Rule, Severity, Violation

_ARN_ACCOUNT = re.compile(r"arn:[^:\s\"]*:[^:\s\"]*:[^:\s\"]*:(\d{12})(?=[:/])")
_TWELVE_DIGITS = re.compile(r"\d{12}")
_EXPRESSION = re.compile(r"\$\{[^{}]*\}")
_QUOTED_ACCOUNT = re.compile(r"\"(\d{12})\"")
_BARE_ACCOUNT = re.compile(r"(?<![0-9a-fA-F])(\d{12})(?![0-9a-fA-F])")
_NAME_KEY = re.compile(r"(?:^|[._\]])(?:[A-Za-z]*Name|name|bucket|identifier|[A-Za-z]*Identifier|[A-Za-z]*Id)$")
_S3_LITERAL_CHARACTERS = re.compile(r"^[a-z0-9.-]*$")
#: A name part between separators, and the shapes of values made when code runs (epoch seconds or milliseconds
#: from 2001 to 2033, a date-time stamp, a UUID).
_GENERATED_PART = re.compile(
    r"(?:^|[.-])([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-z]{8,})(?=$|[.-])"
)
_TIMESTAMP = re.compile(r"1\d{9}|1\d{12}|20\d{12}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}")
_ELB_ACCOUNT_REGIONS = {account: region for region, account in ELB_LOG_DELIVERY_ACCOUNTS.items()}
#: Properties holding inline function source, per resource type: code, whose example IDs are not configuration.
_CODE_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::Lambda::Function": ("Code.ZipFile",),
    "AWS::Serverless::Function": ("InlineCode",),
    "AWS::Synthetics::Canary": ("Code.Script",),
    "AWS::CloudFront::Function": ("FunctionCode",),
}

#: kind -> (CloudFormation name property, Terraform name argument, key in constructs_lib.policy.naming.NAME_LIMITS)
NAME_PROPERTIES: dict[str, tuple[str, str, str]] = {
    "s3_bucket": ("BucketName", "bucket", "s3_bucket"),
    "cache_replication_group": ("ReplicationGroupId", "replication_group_id", "elasticache_replication_group"),
    "db_instance": ("DBInstanceIdentifier", "identifier", "rds_instance"),
    "db_cluster": ("DBClusterIdentifier", "cluster_identifier", "rds_cluster"),
    "stream": ("Name", "name", "kinesis_stream"),
    "function": ("FunctionName", "function_name", "lambda_function"),
    "iam_role": ("RoleName", "name", "iam_role"),
    "queue": ("QueueName", "name", "sqs_queue"),
    "topic": ("TopicName", "name", "sns_topic"),
    "log_group": ("LogGroupName", "name", "log_group"),
    "secret": ("Name", "name", "secret"),
    "security_group": ("GroupName", "name", "security_group"),
    "ecs_cluster": ("ClusterName", "name", "ecs_cluster"),
    "network_firewall": ("FirewallName", "name", "network_firewall"),
}


def synth_generated_part(text: str) -> tuple[str, str] | None:
    """(what, token) when the literal part of a name holds a value that looks made when the code ran: a Unix or
    date-time timestamp, a UUID, or a random hexadecimal run mixing digits and letters."""
    for match in _GENERATED_PART.finditer(tokens.literal_text(text).lower()):
        token = match.group(1)
        if _TIMESTAMP.fullmatch(token):
            return "a timestamp", token
        if _UUID.fullmatch(token):
            return "a UUID", token
        if re.fullmatch(r"[0-9a-f]+", token) and re.search(r"\d", token) and re.search(r"[a-f]", token):
            return "a random hexadecimal part", token
    return None


def check_bucket_name(resource: Resource, stack: Stack) -> Iterator[Violation]:
    """A bucket name chosen in code must carry the account (and region): the S3 namespace is global. It must also
    be the same on every synth: a name made when the code runs (a timestamp, a UUID) replaces the bucket on every
    deploy."""
    text = tokens.render(resource.get("bucket_name"))
    if text is None:
        return  # no name: CloudFormation / Terraform generate a unique one
    generated = synth_generated_part(text)
    if generated:
        what, token = generated
        yield Violation(
            f"bucket name '{text}' holds {what} ('{token}') that looks made when the code was synthesized: the name "
            "then changes on every synth, so every deploy replaces the bucket with a new, empty one (the old bucket "
            "and its data are left behind, or deleted when empty)",
            "build the name only from values fixed in code and the account and region "
            "(constructs_lib.policy.naming.unique_bucket_name), or leave the name to CloudFormation / Terraform",
        )
        return
    parts = tokens.expressions(text)
    fixed = tokens.literal_text(text)
    if not fixed or any(tokens.is_random(e) for e in parts):
        return  # the whole name comes from elsewhere, or carries a per-deployment random part
    has_account = any(tokens.names_account(e) for e in parts) or bool(stack.account and stack.account in fixed)
    has_region = any(tokens.names_region(e) for e in parts) or bool(stack.region and stack.region in fixed)
    fix = "name it with constructs_lib.policy.naming.unique_bucket_name(base, suffix, account, region)"
    if not has_account:
        yield Violation(
            f"bucket name '{text}' has no account-unique part: S3 names are global, so the deploy fails with "
            "BucketAlreadyExists wherever the name is taken",
            fix,
        )
    elif not has_region:
        yield Violation(
            f"bucket name '{text}' has no region part: the same stack in a second region collides",
            fix,
            severity=Severity.WARNING,
        )


def hard_coded_accounts(resource: Resource, own_account: str | None) -> list[tuple[str, str]]:
    """(account, property path) for each 12-digit account ID written into an ARN, principal, condition or name.

    Inline function source (``Code.ZipFile`` and the like) is code, not configuration: its example IDs are skipped.
    """
    code_paths = _CODE_PROPERTIES.get(resource.type, ())
    found: list[tuple[str, str]] = []
    for path, text in tokens.leaves(resource.properties):
        if not _TWELVE_DIGITS.search(text):
            continue
        if any(path == code or path.startswith((f"{code}.", f"{code}[")) for code in code_paths):
            continue
        plain = _EXPRESSION.sub("x", text)  # arn:${AWS::Partition}:iam::... is an ARN too
        accounts = _ARN_ACCOUNT.findall(plain) + _QUOTED_ACCOUNT.findall(plain)
        if re.fullmatch(r"\d{12}", text) or _NAME_KEY.search(path):
            accounts += _BARE_ACCOUNT.findall(text)
        found += [(account, path) for account in dict.fromkeys(accounts) if account != own_account]
    return found


def check_hard_coded_accounts(stack: Stack) -> Iterator[Violation]:
    """No account ID typed into the code: the stack would only work in that one account (or nowhere).

    A stack pinned to an account (CDK ``env``, Terraform ``allowed_account_ids``) deploys to that account only, so
    another account in it is a cross-account reference: a warning.
    """
    for resource in stack:
        found = hard_coded_accounts(resource, stack.account)
        delivery = [(a, p) for a, p in found if a in _ELB_ACCOUNT_REGIONS]
        others = [(a, p) for a, p in found if a not in _ELB_ACCOUNT_REGIONS]
        if others and stack.account:
            accounts = ", ".join(dict.fromkeys(account for account, _ in others))
            yield Violation(
                f"account ID {accounts} in {others[0][1]}, besides the account {stack.account} the stack is pinned to: "
                "a cross-account reference written into the stack; check it is meant",
                "take the other accounts from configuration (CDK context, Terraform variables) beside the stack's env",
                resource=resource,
                severity=Severity.WARNING,
            )
        elif others:
            accounts = ", ".join(dict.fromkeys(account for account, _ in others))
            yield Violation(
                f"hard-coded account ID {accounts} in {others[0][1]}: the stack cannot deploy to any other account",
                "use the deploying account: CDK Stack.of(self).account / Aws.ACCOUNT_ID, Terraform "
                "data.aws_caller_identity.current.account_id",
                resource=resource,
            )
        elif delivery:
            account, path = delivery[0]
            yield Violation(
                f"{path} names {account}, Elastic Load Balancing's log-delivery account for "
                f"{_ELB_ACCOUNT_REGIONS[account]} (owned by AWS, not a hard-coded account of yours): the policy only "
                "works for load balancers in that region",
                f"grant the service principal {ELB_LOG_DELIVERY_PRINCIPAL} instead, which every region accepts",
                resource=resource,
                severity=Severity.WARNING,
            )


def _sized_length(text: str, region: str | None) -> tuple[int, bool]:
    """Length with the account as 12 digits and the region as ``region`` (the longest name when unknown); ``True``
    when that is exact."""
    length, exact = len(tokens.literal_text(text)), True
    for expression in tokens.expressions(text):
        if tokens.names_account(expression):
            length += ACCOUNT_ID_LENGTH
        elif tokens.names_region(expression):
            length += len(region) if region else LONGEST_REGION_NAME
        else:
            exact = False
    return length, exact


def check_name_length(resource: Resource, stack: Stack) -> Iterator[Violation]:
    """A name must fit AWS's limit with the real account and region in it; an S3 name only lower-case characters."""
    cfn_key, tf_key, limit_key = NAME_PROPERTIES[resource.kind]
    text = tokens.render(resource.properties.get(cfn_key if resource.source_format == "cloudformation" else tf_key))
    if text is None:
        return
    length, exact = _sized_length(text, stack.region)
    limit = NAME_LIMITS[limit_key]
    if length > limit:
        size = f"{length} characters" if exact else f"at least {length} characters"
        region = f"the stack's region {stack.region}" if stack.region else "the longest region"
        yield Violation(
            f"name '{text}' is {size} with a 12-digit account and {region}; AWS allows {limit}",
            "shorten the base name or the environment suffix (constructs_lib.policy.naming checks this at synth)",
        )
    if resource.kind == "s3_bucket" and not _S3_LITERAL_CHARACTERS.match(tokens.literal_text(text)):
        yield Violation(
            f"bucket name '{text}' has characters S3 rejects (only a-z, 0-9, '.' and '-')",
            "use lower-case letters, digits and hyphens",
        )


S3_BUCKET_NAME_UNIQUE = Rule(
    rule_id="s3-bucket-name-unique",
    title="A bucket name written in code carries the account (and region)",
    fix="leave the name to CloudFormation / Terraform, or build it from base, suffix, account and region "
    "(constructs_lib.policy.naming.unique_bucket_name); never from a value made at synth",
    seeds=("004",),
    severity=Severity.ERROR,
    check=check_bucket_name,
    kinds=frozenset({"s3_bucket"}),
)

NO_HARD_CODED_ACCOUNT = Rule(
    rule_id="no-hard-coded-account",
    title="No 12-digit account ID written into an ARN, principal, condition or name",
    fix="use the deploying account: CDK Aws.ACCOUNT_ID / Stack.of(self).account, Terraform "
    "data.aws_caller_identity.current.account_id",
    seeds=("004",),
    severity=Severity.ERROR,
    check=check_hard_coded_accounts,
)

NAME_LENGTH = Rule(
    rule_id="name-length",
    title="Names fit AWS limits once suffix, account and region are in them",
    fix="shorten the base name or the environment suffix (constructs_lib.policy.naming checks names at synth)",
    seeds=("004",),
    severity=Severity.ERROR,
    check=check_name_length,
    kinds=frozenset(NAME_PROPERTIES),
)
