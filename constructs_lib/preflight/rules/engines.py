"""Engine versions AWS no longer creates (seeds 000, 001, 002) and Aurora capacity settings it no longer accepts."""

from __future__ import annotations

import re
from collections.abc import Iterator

from constructs_lib.model import Resource, Stack, tokens
from constructs_lib.policy import engine_catalog as catalog
from constructs_lib.policy.engines import ENGINES
from constructs_lib.preflight.registry import Rule, Severity, Violation

_CACHE_KINDS = ("cache_replication_group", "cache_cluster")
_AURORA_SERVERLESS_V1 = "serverless"


def version_key(version: str) -> tuple[int, ...]:
    """Numbers in a version, for ordering: ``8.0.mysql_aurora.3.08.0`` -> (8, 0, 3, 8, 0)."""
    return tuple(int(n) for n in re.findall(r"\d+", version))


def major_line(engine: str, version: str) -> str:
    """The version's major line: ``15`` for PostgreSQL 15.3, ``8.0`` for MySQL 8.0.42."""
    return ".".join(str(n) for n in version_key(version)[: catalog.MAJOR_LINE_PARTS.get(engine, 1)])


def _is_major_only(engine: str, version: str) -> bool:
    return version.endswith(".x") or len(version_key(version)) <= catalog.MAJOR_LINE_PARTS.get(engine, 1)


def offering(engine: str, version: str) -> str:
    """``offered``, ``retired`` (older than what AWS creates today) or ``unknown`` (newer than the catalog)."""
    offered = catalog.OFFERED_VERSIONS[engine]
    if version in offered:
        return "offered"
    line = major_line(engine, version)
    same_line = [v for v in offered if major_line(engine, v) == line]
    if same_line:
        if _is_major_only(engine, version):
            return "offered"
        newest = max(same_line, key=version_key)
        return "unknown" if version_key(version) > version_key(newest) else "retired"
    newest_line = max((major_line(engine, v) for v in offered), key=version_key)
    return "unknown" if version_key(line) > version_key(newest_line) else "retired"


def _engine(resource: Resource) -> str | None:
    engine = resource.get("engine", "redis" if resource.kind in _CACHE_KINDS else None)
    return engine.lower() if isinstance(engine, str) and tokens.is_literal(engine) else None


def _suggestion(engine: str, version: str) -> str:
    chosen = ENGINES.get(engine)
    if chosen is not None:
        return f"{chosen.version} (the version constructs_lib.policy.engines chooses)"
    line = major_line(engine, version)
    same_line = [v for v in catalog.OFFERED_VERSIONS[engine] if major_line(engine, v) == line]
    return max(same_line or catalog.OFFERED_VERSIONS[engine], key=version_key)


def check_engine_version(resource: Resource, stack: Stack) -> Iterator[Violation]:
    """The engine version must be one AWS still creates, in the stack's region when it is known."""
    engine = _engine(resource)
    if engine in catalog.RETIRED_ENGINES:
        yield Violation(
            f"engine '{engine}' can no longer be created: {catalog.RETIRED_ENGINES[engine]}",
            "use engine 'aurora-mysql' or 'aurora-postgresql' with a current version",
        )
        return
    version = resource.get("engine_version")
    if engine not in catalog.OFFERED_VERSIONS or version is None or not tokens.is_literal(version):
        return
    version = str(version)
    status = offering(engine, version)
    fix = f"set the {engine} engine version to {_suggestion(engine, version)}"
    as_of = f"catalog of {catalog.CATALOG_DATE}"
    gap = bool(stack.region) and stack.region in catalog.REGIONAL_GAPS.get((engine, version), frozenset())
    if status == "retired":
        where = f" in {stack.region} or any other region" if gap else ""
        yield Violation(f"{engine} {version} is deprecated: AWS no longer creates it{where} ({as_of})", fix)
    elif gap:
        yield Violation(f"{engine} {version} is not offered in {stack.region} ({as_of})", fix)
    elif status == "unknown":
        yield Violation(
            f"{engine} {version} is newer than the {as_of}: check it is offered before deploying",
            f"confirm with `aws rds describe-db-engine-versions --engine {engine} --engine-version {version}` "
            "and refresh constructs_lib/policy/engine_catalog.py",
            severity=Severity.WARNING,
        )
    elif support_end := catalog.END_OF_STANDARD_SUPPORT.get(engine, {}).get(major_line(engine, version)):
        yield Violation(
            f"{engine} {version} left standard support on {support_end}: it runs on paid extended support",
            fix,
            severity=Severity.WARNING,
        )
    if stack.region and stack.region not in catalog.VERIFIED_REGIONS:
        yield Violation(
            f"{engine} versions were not verified for {stack.region} ({as_of}); offerings there can lag",
            f"confirm with `aws rds describe-db-engine-versions --engine {engine} --region {stack.region}`",
            severity=Severity.WARNING,
        )


def check_aurora_capacity(resource: Resource, stack: Stack) -> Iterator[Violation]:
    """Aurora Serverless v1 is gone; a Serverless v2 floor of 0 ACU needs an engine version with auto-pause."""
    engine = _engine(resource) or ""
    mode = resource.get("engine_mode")
    if isinstance(mode, str) and mode.lower() == _AURORA_SERVERLESS_V1:
        yield Violation(
            "Aurora Serverless v1 (engine mode 'serverless') reached end of life on "
            f"{catalog.SERVERLESS_V1_END_OF_LIFE}: the cluster cannot be created",
            "use Serverless v2: engine mode 'provisioned', a ServerlessV2ScalingConfiguration and a db.serverless "
            "instance",
        )
        return
    minimum = resource.get("serverless_min_capacity")
    version = resource.get("engine_version")
    floors = catalog.SCALE_TO_ZERO_MIN_VERSION.get(engine)
    if minimum != 0 or floors is None or not isinstance(version, str) or not tokens.is_literal(version):
        return
    if _is_major_only(engine, version):
        return
    line = major_line(engine, version)
    floor = floors.get(line)
    newest_listed = max(floors, key=version_key)
    supported = version_key(version) >= version_key(floor) if floor else version_key(line) > version_key(newest_listed)
    if not supported:
        yield Violation(
            f"a Serverless v2 minimum of 0 ACU needs {engine} {floor or 'a newer major'} or later; {version} "
            "rejects it at deploy",
            f"raise the engine version (e.g. {_suggestion(engine, version)}) or set the minimum capacity to 0.5",
        )


ENGINE_VERSION_OFFERED = Rule(
    rule_id="engine-version-offered",
    title="Database and cache engine versions are ones AWS still creates (in the stack's region)",
    fix="pin an engine version AWS still creates in the stack's region (constructs_lib.policy.engines names the "
    "versions this project deploys)",
    seeds=("000", "001", "002"),
    severity=Severity.ERROR,
    check=check_engine_version,
    kinds=frozenset({"db_instance", "db_cluster", "cache_replication_group", "cache_cluster"}),
)

AURORA_SERVERLESS_CAPACITY = Rule(
    rule_id="aurora-serverless-capacity",
    title="Aurora capacity settings AWS accepts: no Serverless v1, 0 ACU only on versions with auto-pause",
    fix="use Aurora Serverless v2 (db.serverless instances); a 0 ACU minimum only with aurora-postgresql 15.7 / 16.3 "
    "or later, else a minimum of 0.5 ACU",
    seeds=("000", "003"),
    severity=Severity.ERROR,
    check=check_aurora_capacity,
    kinds=frozenset({"db_cluster"}),
)
