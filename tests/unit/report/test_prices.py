"""The price table is one dated, sourced table: every line names where its number comes from and how to ask the
AWS Price List API for it, and every reference system has a dev idle budget with a reason."""

from __future__ import annotations

import datetime
import re

import pytest
from report_cases import SYSTEMS

from constructs_lib.policy.prices import (
    ALL_REGIONS,
    DEFAULT_PRICING_REGION,
    IDLE_BUDGETS,
    NO_CHARGE_TYPES,
    PRICES,
    PRICES_AS_OF,
    USAGE_ONLY_TYPES,
    cache_node_key,
    fargate_key,
    rds_instance_key,
    rds_storage_key,
)


def test_the_table_is_dated() -> None:
    assert datetime.date.fromisoformat(PRICES_AS_OF) <= datetime.date.today()


@pytest.mark.parametrize("key", sorted(PRICES))
def test_every_line_names_its_source_and_its_price_list_query(key: str) -> None:
    price = PRICES[key]
    assert price.source.startswith("https://aws.amazon.com/")
    assert price.query.service_code and re.compile(price.query.usage_type)
    assert price.usd and all(value >= 0 for value in price.usd.values())


@pytest.mark.parametrize("key", sorted(PRICES))
def test_every_line_prices_the_default_region(key: str) -> None:
    assert PRICES[key].in_region(DEFAULT_PRICING_REGION) is not None


def test_a_price_the_same_everywhere_answers_for_any_region() -> None:
    assert PRICES["kms.key"].usd == {ALL_REGIONS: 1.0}
    assert PRICES["kms.key"].in_region("ap-southeast-4") == 1.0


def test_a_region_the_table_has_not_verified_has_no_price() -> None:
    assert PRICES["vpc.nat_gateway"].in_region("eu-west-2") == 0.05
    assert PRICES["vpc.nat_gateway"].in_region("sa-east-1") is None


def test_hourly_lines_are_the_ones_billed_per_hour() -> None:
    assert PRICES["vpc.nat_gateway"].hourly and PRICES["kinesis.shard"].hourly
    assert not PRICES["kms.key"].hourly and not PRICES[rds_storage_key("postgres", "gp3", multi_az=False)].hourly


def test_multi_az_costs_twice_single_az_for_instance_and_storage() -> None:
    for region in ("us-east-1", "eu-west-2"):
        single = PRICES[rds_instance_key("postgres", "db.t4g.micro", multi_az=False)].in_region(region)
        multi = PRICES[rds_instance_key("postgres", "db.t4g.micro", multi_az=True)].in_region(region)
        assert multi == pytest.approx(2 * single)
        single = PRICES[rds_storage_key("postgres", "gp3", multi_az=False)].in_region(region)
        multi = PRICES[rds_storage_key("postgres", "gp3", multi_az=True)].in_region(region)
        assert multi == pytest.approx(2 * single)


def test_parametric_keys_name_the_rows_of_the_table() -> None:
    assert cache_node_key("redis", "cache.t4g.micro") in PRICES
    assert {fargate_key(a, d) for a in ("arm64", "x86_64") for d in ("vcpu", "gb")} <= set(PRICES)
    assert PRICES[rds_instance_key("postgres", "db.t4g.micro", multi_az=True)].query.filters["deploymentOption"] == (
        "Multi-AZ"
    )


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_system_has_a_dev_idle_budget_with_a_reason(system: str) -> None:
    budget = IDLE_BUDGETS[system]
    assert budget.usd > 0 and "seed" in budget.reason


def test_a_type_is_either_free_or_usage_only_never_both() -> None:
    assert not NO_CHARGE_TYPES & set(USAGE_ONLY_TYPES)
