"""Which database and cache engine versions AWS still lets you create, as plain dated data.

Seeds 001 and 002 failed on deploy with PostgreSQL 15.3 and seed 000 shipped it: AWS retires minor versions and a
template that names one no longer creates. ``engines.py`` holds the versions *we choose*; this module holds what AWS
*offers*, so the preflight check can judge any template, ours or not.

How to refresh: ``aws rds describe-db-engine-versions --engine E --query 'DBEngineVersions[].EngineVersion'`` per
engine (and ``aws elasticache describe-cache-engine-versions``), or the data cfn-lint ships, which is generated from
those APIs. Change ``CATALOG_DATE`` with the data. A version newer than everything here is reported as a warning
("verify"), never as an error, so a stale catalog cannot block a new release.
"""

from __future__ import annotations

from types import MappingProxyType

from constructs_lib.policy.engines import COMMERCIAL_REGIONS

#: When the lists below were taken, and from where.
CATALOG_DATE = "2026-11-23"
CATALOG_SOURCE = (
    "cfn-lint 1.58.0 engine-version data (generated from the RDS and ElastiCache DescribeEngineVersions APIs), "
    "offered = known minus deprecated, RDS instance and cluster lists merged; AWS RDS/Aurora/ElastiCache "
    "release calendars for end of standard support"
)

#: Versions that can be used to *create* a database or cache today. Anything older in the same engine is retired.
#: Bare majors ("17") are not listed: a major alone is accepted when its line still has an offered version.
OFFERED_VERSIONS: MappingProxyType[str, frozenset[str]] = MappingProxyType(
    {
        "postgres": frozenset(
            {
                "11.22-rds.20241121",
                "11.22-rds.20250220",
                "11.22-rds.20250508",
                "11.22-rds.20250814",
                "11.22-rds.20251114",
                "11.22-rds.20260224",
                "11.22-rds.20260514",
                "12.22",
                "12.22-rds.20250220",
                "12.22-rds.20250508",
                "12.22-rds.20250814",
                "12.22-rds.20251114",
                "12.22-rds.20260224",
                "12.22-rds.20260514",
                "13.23",
                "13.23-rds.20260224",
                "13.23-rds.20260514",
                "14.18",
                "14.19",
                "14.20",
                "14.21",
                "14.22",
                "14.23",
                "14.24",
                "15.13",
                "15.14",
                "15.15",
                "15.16",
                "15.17",
                "15.18",
                "15.19",
                "16.9",
                "16.10",
                "16.11",
                "16.12",
                "16.13",
                "16.14",
                "16.15",
                "17.5",
                "17.6",
                "17.7",
                "17.8",
                "17.9",
                "17.10",
                "17.11",
                "18.1",
                "18.2",
                "18.3",
                "18.4",
                "18.6",
            }
        ),
        "mysql": frozenset(
            {
                "5.7.44-rds.20250213",
                "5.7.44-rds.20250508",
                "5.7.44-rds.20250818",
                "5.7.44-rds.20251212",
                "5.7.44-rds.20260212",
                "5.7.44-rds.20260521",
                "5.7.44-rds.20260624",
                "5.7.44-rds.20260902",
                "8.0.42",
                "8.0.43",
                "8.0.44",
                "8.0.45",
                "8.0.46",
                "8.0.46-rds.20260624",
                "8.0.46-rds.20260908",
                "8.4.5",
                "8.4.6",
                "8.4.7",
                "8.4.8",
                "8.4.9",
                "8.4.10",
                "8.4.11",
            }
        ),
        "aurora-postgresql": frozenset(
            {
                "11.9",
                "11.21",
                "12.9",
                "12.22",
                "13.9",
                "13.23",
                "14.6",
                "14.17",
                "14.18",
                "14.19",
                "14.20",
                "14.22",
                "14.23",
                "14.24",
                "15.10",
                "15.12",
                "15.13",
                "15.14",
                "15.15",
                "15.17",
                "15.18",
                "15.19",
                "16.4-limitless",
                "16.6-limitless",
                "16.8",
                "16.8-limitless",
                "16.9",
                "16.9-limitless",
                "16.10",
                "16.10-limitless",
                "16.11",
                "16.11-limitless",
                "16.13",
                "16.13-limitless",
                "16.14",
                "16.15",
                "17.4",
                "17.5",
                "17.6",
                "17.7",
                "17.9",
                "17.10",
                "17.11",
                "18.3",
                "18.4",
                "18.6",
            }
        ),
        "aurora-mysql": frozenset(
            {
                "5.7.mysql_aurora.2.11.1",
                "5.7.mysql_aurora.2.11.2",
                "5.7.mysql_aurora.2.11.3",
                "5.7.mysql_aurora.2.11.4",
                "5.7.mysql_aurora.2.11.5",
                "5.7.mysql_aurora.2.11.6",
                "5.7.mysql_aurora.2.12.0",
                "5.7.mysql_aurora.2.12.1",
                "5.7.mysql_aurora.2.12.2",
                "5.7.mysql_aurora.2.12.3",
                "5.7.mysql_aurora.2.12.4",
                "5.7.mysql_aurora.2.12.5",
                "5.7.mysql_aurora.2.12.6",
                "8.0.mysql_aurora.3.04.0",
                "8.0.mysql_aurora.3.04.1",
                "8.0.mysql_aurora.3.04.2",
                "8.0.mysql_aurora.3.04.3",
                "8.0.mysql_aurora.3.04.4",
                "8.0.mysql_aurora.3.04.6",
                "8.0.mysql_aurora.3.08.0",
                "8.0.mysql_aurora.3.08.1",
                "8.0.mysql_aurora.3.08.2",
                "8.0.mysql_aurora.3.09.0",
                "8.0.mysql_aurora.3.10.0",
                "8.0.mysql_aurora.3.10.1",
                "8.0.mysql_aurora.3.10.2",
                "8.0.mysql_aurora.3.10.3",
                "8.0.mysql_aurora.3.10.4",
                "8.0.mysql_aurora.3.10.5",
                "8.0.mysql_aurora.3.10.6",
                "8.0.mysql_aurora.3.11.1",
                "8.0.mysql_aurora.3.12.0",
                "8.0.mysql_aurora.3.13.0",
                "8.4",
                "8.4.mysql_aurora.8.4.7",
                "8.4.mysql_aurora.8.4.8",
            }
        ),
        "redis": frozenset({"4.0.10", "5.0.6", "6.0", "6.2", "7.0", "7.1"}),
        "valkey": frozenset({"7.2", "8.0", "8.1", "8.2", "9.0", "9.1"}),
        "memcached": frozenset(
            {"1.4.5", "1.4.14", "1.4.24", "1.4.33", "1.4.34", "1.5.10", "1.5.16", "1.6.6", "1.6.12", "1.6.17", "1.6.22"}
        ),
    }
)

#: How many leading numbers name a version's major line (PostgreSQL "17", MySQL "8.0").
MAJOR_LINE_PARTS: MappingProxyType[str, int] = MappingProxyType(
    {
        "postgres": 1,
        "aurora-postgresql": 1,
        "mysql": 2,
        "aurora-mysql": 2,
        "redis": 1,
        "valkey": 1,
        "memcached": 2,
    }
)

#: Major lines past end of standard support (date): still creatable, but only on paid extended support.
END_OF_STANDARD_SUPPORT: MappingProxyType[str, MappingProxyType[str, str]] = MappingProxyType(
    {
        "postgres": MappingProxyType({"11": "2024-02-29", "12": "2025-02-28", "13": "2026-02-28"}),
        "aurora-postgresql": MappingProxyType({"11": "2024-02-29", "12": "2025-02-28", "13": "2026-02-28"}),
        "mysql": MappingProxyType({"5.7": "2024-02-29"}),
        "aurora-mysql": MappingProxyType({"5.7": "2024-10-31"}),
        "redis": MappingProxyType({"4": "2026-01-31", "5": "2026-01-31"}),
    }
)

#: Engines that cannot be created at all any more, with why.
RETIRED_ENGINES: MappingProxyType[str, str] = MappingProxyType(
    {
        "aurora": "Aurora MySQL 1 (MySQL 5.6 compatible, engine 'aurora') reached end of life on 2023-02-28",
    }
)

#: Regions where the lists above were checked. A stack in another region gets a warning: offerings there lag.
VERIFIED_REGIONS: frozenset[str] = COMMERCIAL_REGIONS

#: Known regional gaps: (engine, version) -> regions where it is not offered even while offered elsewhere.
#: Seed 001 hit PostgreSQL 15.3 in eu-west-2 (since retired everywhere; kept as the recorded case).
REGIONAL_GAPS: MappingProxyType[tuple[str, str], frozenset[str]] = MappingProxyType(
    {
        ("postgres", "15.3"): frozenset({"eu-west-2"}),
    }
)

#: Aurora Serverless v1 (engine mode "serverless") reached end of life on 2025-03-31: new clusters cannot use it.
SERVERLESS_V1_END_OF_LIFE = "2025-03-31"

#: Oldest version per major line that accepts a Serverless v2 minimum of 0 ACU (auto-pause); lines not listed and
#: older than the first listed cannot scale to zero. Source: Aurora User Guide, "Aurora Serverless v2 capacity".
SCALE_TO_ZERO_MIN_VERSION: MappingProxyType[str, MappingProxyType[str, str]] = MappingProxyType(
    {
        "aurora-postgresql": MappingProxyType({"13": "13.15", "14": "14.12", "15": "15.7", "16": "16.3"}),
        "aurora-mysql": MappingProxyType({"8.0": "8.0.mysql_aurora.3.08.0"}),
    }
)

#: Default listener port per engine, for "is this port open to the world" when a template leaves it out.
DEFAULT_PORTS: MappingProxyType[str, int] = MappingProxyType(
    {
        "postgres": 5432,
        "aurora-postgresql": 5432,
        "mysql": 3306,
        "aurora-mysql": 3306,
        "mariadb": 3306,
        "redis": 6379,
        "valkey": 6379,
        "memcached": 11211,
    }
)
