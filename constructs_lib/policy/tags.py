"""Tags every resource carries: who owns it, which environment, and how its data is classified."""

from __future__ import annotations


def standard_tags(system: str, environment_suffix: str, profile: str, data_classification: str) -> dict[str, str]:
    """Cost allocation, ownership and the data classification a HIPAA/PCI reviewer looks for."""
    return {
        "System": system,
        "Environment": environment_suffix,
        "Profile": profile,
        "DataClassification": data_classification,
        "ManagedBy": "hardened-iac-stacks",
    }
