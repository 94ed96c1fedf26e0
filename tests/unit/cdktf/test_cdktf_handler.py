"""The PCI data-processing handler masks card numbers to their last four digits and touches only incoming/."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import pytest

HANDLER = Path(__file__).resolve().parents[3] / "stacks" / "pci_platform" / "handler" / "app.py"


@pytest.fixture(scope="module")
def app():
    # No __pycache__ next to the handler: the directory is zipped into the function as it is.
    previous, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec = importlib.util.spec_from_file_location("pci_handler_app", HANDLER)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = previous
    return module


class FakeS3:
    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects

    def get_object(self, Bucket: str, Key: str) -> dict:  # noqa: N803 - boto3's argument names
        return {"Body": io.BytesIO(self.objects[Key])}

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> None:  # noqa: N803
        self.objects[Key] = Body


def test_luhn_accepts_card_numbers_and_rejects_near_misses(app):
    assert app.luhn_valid("4111111111111111")
    assert app.luhn_valid("5500005555555559")
    assert not app.luhn_valid("4111111111111112")


def test_masking_keeps_only_the_last_four_digits_of_valid_card_numbers(app):
    masked, count = app.mask_pans("paid with 4111 1111 1111 1111, order 1234567890123 (not a card)")
    assert masked == "paid with ************1111, order 1234567890123 (not a card)"
    assert count == 1


def test_handler_writes_masked_copies_under_processed_and_ignores_other_prefixes(app, monkeypatch):
    monkeypatch.setenv("INCOMING_PREFIX", "incoming/")
    monkeypatch.setenv("PROCESSED_PREFIX", "processed/")
    s3 = FakeS3({"incoming/a b.csv": b"card,5500-0055-5555-5559\n", "processed/x.csv": b"4111111111111111"})
    event = {
        "Records": [
            {"s3": {"bucket": {"name": "data"}, "object": {"key": "incoming/a+b.csv"}}},
            {"s3": {"bucket": {"name": "data"}, "object": {"key": "processed/x.csv"}}},
        ]
    }
    assert app.handler(event, None, s3=s3) == {"objects": 1, "masked": 1}
    assert s3.objects["processed/a b.csv"] == b"card,************5559\n"
    assert s3.objects["processed/x.csv"] == b"4111111111111111", "objects outside incoming/ are left alone"
