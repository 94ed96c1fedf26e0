"""``--live``: the same price lines read from the AWS Price List API instead of the dated table.

Each line of ``constructs_lib.policy.prices`` names its Price List query (service code, attribute filters, and a
pattern for the region-prefixed usage type). ``LivePrices`` runs it for the stack's region through boto3's
``pricing`` client (served from us-east-1), keeps the on-demand price of the first tier, and caches it. A query that
finds no price, or several different ones, leaves the line not priced with the reason.

Without AWS credentials ``LivePrices.connect()`` raises ``LivePricesError`` with a message saying so: the report
never silently falls back to the table when it was asked for live prices.

Example::

    prices = LivePrices.connect()          # LivePricesError without credentials
    prices.unit_price("vpc.nat_gateway", "eu-west-2")
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from constructs_lib.policy.prices import PRICE_LIST_API_REGION, PRICES, PriceListQuery


class LivePricesError(RuntimeError):
    """Live prices were asked for but cannot be read (no credentials, no access to the Price List API)."""


def build_filters(query: PriceListQuery, region: str) -> list[dict[str, str]]:
    """The ``GetProducts`` filters of ``query`` in ``region`` (every filter an exact match)."""
    pairs = [*query.filters.items(), ("regionCode", region)]
    return [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in pairs]


def _products(items: Iterable[str | Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    """``PriceList`` entries are JSON documents serialized as strings; accept parsed ones too."""
    for item in items:
        yield json.loads(item) if isinstance(item, str) else item


def on_demand_prices(items: Iterable[str | Mapping[str, Any]], usage_type: str) -> set[float]:
    """Distinct first-tier on-demand USD prices of the products whose usage type matches ``usage_type``."""
    pattern = re.compile(usage_type)
    found: set[float] = set()
    for product in _products(items):
        attributes = (product.get("product") or {}).get("attributes") or {}
        if not pattern.search(str(attributes.get("usagetype", ""))):
            continue
        for term in ((product.get("terms") or {}).get("OnDemand") or {}).values():
            for dimension in (term.get("priceDimensions") or {}).values():
                if str(dimension.get("beginRange", "0")) not in ("0", "0.0"):
                    continue
                usd = (dimension.get("pricePerUnit") or {}).get("USD")
                if usd is not None:
                    found.add(float(usd))
    return found


class LivePrices:
    """Unit prices from the AWS Price List API, one query per price line and region, cached."""

    name = "AWS Price List API (live, on-demand)"

    def __init__(self, client: Any) -> None:
        self._client = client
        self._prices: dict[tuple[str, str], float | None] = {}
        self._reasons: dict[tuple[str, str], str] = {}

    @classmethod
    def connect(cls, session: Any = None) -> LivePrices:
        """A live source on the default boto3 session (or ``session``); ``LivePricesError`` without credentials."""
        if session is None:
            import boto3

            session = boto3.Session()
        if session.get_credentials() is None:
            raise LivePricesError(
                "--live reads the AWS Price List API and needs AWS credentials (environment, profile or role); none "
                "were found. Run without --live to use the dated price table."
            )
        return cls(session.client("pricing", region_name=PRICE_LIST_API_REGION))

    def _query(self, key: str, region: str) -> float | None:
        query = PRICES[key].query
        try:
            pages = self._client.get_paginator("get_products").paginate(
                ServiceCode=query.service_code, Filters=build_filters(query, region), FormatVersion="aws_v1"
            )
            items = [item for page in pages for item in page.get("PriceList", [])]
        except Exception as error:  # botocore's ClientError, NoCredentialsError, EndpointConnectionError...
            raise LivePricesError(f"the AWS Price List API refused {query.service_code}: {error}") from error
        prices = on_demand_prices(items, query.usage_type)
        nonzero = {p for p in prices if p > 0} or prices
        if len(nonzero) == 1:
            return nonzero.pop()
        self._reasons[(key, region)] = (
            f"the Price List API has no {region} on-demand price for {key}"
            if not nonzero
            else f"the Price List API has {len(nonzero)} different {region} prices for {key}: "
            + ", ".join(f"{p:g}" for p in sorted(nonzero))
        )
        return None

    def unit_price(self, key: str, region: str) -> float | None:
        if key not in PRICES:
            return None
        if (key, region) not in self._prices:
            self._prices[(key, region)] = self._query(key, region)
        return self._prices[(key, region)]

    def missing(self, key: str, region: str) -> str:
        if key not in PRICES:
            return f"no Price List query for {key} (only the table's lines are looked up live)"
        return self._reasons.get((key, region), f"no live price for {key} in {region}")
