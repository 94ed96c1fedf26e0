"""Database and cache engines: one current, supported version per kind, and where it is offered.

Seeds 001 and 002 failed on deploy with PostgreSQL 15.3, a minor version RDS no longer offers. Versions here are
ones that both the pinned CDK enums and cfn-lint 1.58 (which knows per-region deprecations) accept.
Re-check a version for a region with ``aws rds describe-db-engine-versions --engine E --engine-version V --region R``.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs_lib.policy.errors import ConfigurationError

#: Commercial regions where RDS PostgreSQL 17.9, Aurora PostgreSQL 17.9 and ElastiCache Redis 7.1 are all offered.
#: Newer opt-in regions receive engine minors later; a region missing here fails at synth rather than on deploy.
COMMERCIAL_REGIONS: frozenset[str] = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-north-1",
        "eu-south-1",
        "ap-south-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "sa-east-1",
    }
)

#: Longest region name we size names for when the region is only known at deploy time (a CloudFormation token).
LONGEST_REGION_NAME = len("ap-southeast-2")


@dataclass(frozen=True)
class EngineVersion:
    """An engine, its version, the parameter-group family that goes with it, and the regions it is offered in."""

    engine: str
    version: str
    family: str
    regions: frozenset[str]
    reason: str

    @property
    def major(self) -> str:
        return self.version.split(".")[0]

    def check_region(self, region: str, field: str = "region") -> None:
        """Fail at synth when ``region`` is concrete and this version is not offered there."""
        if region and region not in self.regions:
            raise ConfigurationError(
                field,
                region,
                f"{self.engine} {self.version} is offered in: {', '.join(sorted(self.regions))}",
            )


ENGINES: dict[str, EngineVersion] = {
    "postgres": EngineVersion(
        engine="postgres",
        version="17.9",
        family="postgres17",
        regions=COMMERCIAL_REGIONS,
        reason="newest PostgreSQL 17 minor in CDK 2.275; 15.3 (seeds 001, 002) is no longer offered",
    ),
    "aurora-postgresql": EngineVersion(
        engine="aurora-postgresql",
        version="17.9",
        family="aurora-postgresql17",
        regions=COMMERCIAL_REGIONS,
        reason="supports Serverless v2 scale-to-zero (needs >= 16.3) and is not flagged deprecated by cfn-lint",
    ),
    "redis": EngineVersion(
        engine="redis",
        version="7.1",
        family="redis7",
        regions=COMMERCIAL_REGIONS,
        reason="current Redis OSS line on ElastiCache; supports transit encryption with AUTH and engine/slow logs",
    ),
}


def engine(kind: str) -> EngineVersion:
    """The policy's engine for ``kind``, or a ConfigurationError listing the kinds there are."""
    try:
        return ENGINES[kind]
    except KeyError:
        raise ConfigurationError("engine", kind, ENGINES) from None
