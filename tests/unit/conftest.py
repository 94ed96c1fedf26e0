"""Shared fixtures: the three CDK stacks, synthesized once per test session in each profile."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
