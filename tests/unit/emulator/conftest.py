"""The emulator's own tests run with every addition registered (fixtures: ``tests/unit/local_aws.py``)."""

import pytest


@pytest.fixture(autouse=True)
def registered(emulator_extensions: None) -> None:
    """Every addition applied before the test runs, also where no ``aws`` account is requested."""
