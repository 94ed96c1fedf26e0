"""``--live``: the Price List query each line builds, and the parsing of a ``GetProducts`` answer. No AWS call is
made: the client below answers with a response shaped like the real one (``PriceList`` entries are JSON strings)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from report_cases import CfnBuilder

from constructs_lib.policy.prices import PRICES
from constructs_lib.report.cost import estimate
from constructs_lib.report.live import LivePrices, LivePricesError, build_filters, on_demand_prices


def product(usage_type: str, usd: str, *, begin: str = "0", region: str = "eu-west-2") -> str:
    """One ``PriceList`` entry as the API returns it: a JSON document in a string."""
    return json.dumps(
        {
            "product": {"productFamily": "NAT Gateway", "attributes": {"usagetype": usage_type, "regionCode": region}},
            "serviceCode": "AmazonEC2",
            "terms": {
                "OnDemand": {
                    "SKU.TERM": {
                        "priceDimensions": {
                            "SKU.TERM.RATE": {
                                "unit": "Hrs",
                                "beginRange": begin,
                                "endRange": "Inf",
                                "pricePerUnit": {"USD": usd},
                            }
                        }
                    }
                },
                "Reserved": {
                    "SKU.RI": {"priceDimensions": {"X": {"beginRange": "0", "pricePerUnit": {"USD": "0.01"}}}}
                },
            },
            "version": "20260904231117",
        }
    )


class FakePaginator:
    def __init__(self, client: FakeClient) -> None:
        self.client = client

    def paginate(self, **request: Any) -> Iterator[dict[str, Any]]:
        self.client.requests.append(request)
        if isinstance(self.client.answer, Exception):
            raise self.client.answer
        yield {"PriceList": self.client.answer[:1], "FormatVersion": "aws_v1"}
        yield {"PriceList": self.client.answer[1:], "FormatVersion": "aws_v1"}


class FakeClient:
    """Answers every ``get_products`` page with ``answer`` (or raises it)."""

    def __init__(self, answer: list[str] | Exception) -> None:
        self.answer = answer
        self.requests: list[dict[str, Any]] = []

    def get_paginator(self, operation: str) -> FakePaginator:
        assert operation == "get_products"
        return FakePaginator(self)


class FakeSession:
    def __init__(self, credentials: object | None) -> None:
        self.credentials = credentials
        self.clients: list[tuple[str, str]] = []

    def get_credentials(self) -> object | None:
        return self.credentials

    def client(self, service: str, region_name: str) -> FakeClient:
        self.clients.append((service, region_name))
        return FakeClient([])


def test_filters_match_the_lines_attributes_and_the_region_exactly() -> None:
    query = PRICES["rds.instance.postgres.db.t4g.micro.multi-az"].query
    filters = build_filters(query, "eu-west-2")
    assert {"Type": "TERM_MATCH", "Field": "instanceType", "Value": "db.t4g.micro"} in filters
    assert {"Type": "TERM_MATCH", "Field": "deploymentOption", "Value": "Multi-AZ"} in filters
    assert filters[-1] == {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-2"}
    assert all(f["Type"] == "TERM_MATCH" for f in filters)


def test_parsing_keeps_first_tier_on_demand_prices_of_the_matching_usage_type() -> None:
    answer = [
        product("EUW2-NatGateway-Hours", "0.0500000000"),
        product("EUW2-RegionalNatGateway-Hours", "0.0700000000"),
        product("EUW2-NatGateway-Hours", "0.0400000000", begin="1000"),
        json.loads(product("NatGateway-Hours", "0.0500000000")),
    ]
    assert on_demand_prices(answer, PRICES["vpc.nat_gateway"].query.usage_type) == {0.05}


def test_a_live_price_is_queried_once_per_line_and_region() -> None:
    client = FakeClient([product("EUW2-NatGateway-Hours", "0.05")])
    prices = LivePrices(client)
    assert prices.unit_price("vpc.nat_gateway", "eu-west-2") == 0.05
    assert prices.unit_price("vpc.nat_gateway", "eu-west-2") == 0.05
    (request,) = client.requests
    assert request["ServiceCode"] == "AmazonEC2" and request["FormatVersion"] == "aws_v1"


def test_a_free_tier_row_beside_the_paid_one_is_ignored() -> None:
    prices = LivePrices(FakeClient([product("KMS-Keys", "0"), product("KMS-Keys", "1.0")]))
    assert prices.unit_price("kms.key", "us-east-1") == 1.0


def test_no_match_or_several_prices_leave_the_line_not_priced_with_the_reason() -> None:
    empty = LivePrices(FakeClient([]))
    assert empty.unit_price("kinesis.shard", "eu-west-2") is None
    assert (
        empty.missing("kinesis.shard", "eu-west-2") == "the Price List API has no eu-west-2 on-demand price for "
        "kinesis.shard"
    )
    ambiguous = LivePrices(
        FakeClient([product("EUW2-Storage-ShardHour", "0.017"), product("Storage-ShardHour", "0.015")])
    )
    assert ambiguous.unit_price("kinesis.shard", "eu-west-2") is None
    assert "2 different eu-west-2 prices for kinesis.shard: 0.015, 0.017" in ambiguous.missing(
        "kinesis.shard", "eu-west-2"
    )


def test_a_line_the_table_does_not_have_is_not_looked_up() -> None:
    client = FakeClient([])
    prices = LivePrices(client)
    assert prices.unit_price("rds.instance.postgres.db.r6g.large.single-az", "us-east-1") is None
    assert "only the table's lines are looked up live" in prices.missing("nope", "us-east-1")
    assert not client.requests


def test_an_api_error_stops_the_report_with_the_service_named() -> None:
    with pytest.raises(LivePricesError, match="refused AmazonKinesis: denied"):
        LivePrices(FakeClient(PermissionError("denied"))).unit_price("kinesis.shard", "us-east-1")


def test_without_credentials_live_prices_fail_with_a_clear_message() -> None:
    with pytest.raises(LivePricesError, match=r"needs AWS credentials .* Run without --live"):
        LivePrices.connect(FakeSession(None))


def test_with_credentials_the_pricing_client_is_opened_in_us_east_1() -> None:
    session = FakeSession(object())
    assert isinstance(LivePrices.connect(session), LivePrices)
    assert session.clients == [("pricing", "us-east-1")]


def test_the_default_session_is_used_when_none_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    monkeypatch.setattr(boto3, "Session", lambda: FakeSession(None))
    with pytest.raises(LivePricesError):
        LivePrices.connect()


def test_a_report_with_live_prices_uses_them_for_every_line(cfn: CfnBuilder) -> None:
    stack = cfn({"Nat": {"Type": "AWS::EC2::NatGateway"}}, region="eu-west-2")
    report = estimate(stack, LivePrices(FakeClient([product("EUW2-NatGateway-Hours", "0.06")])))
    assert report.total == pytest.approx(43.80) and report.prices.startswith("AWS Price List API")
