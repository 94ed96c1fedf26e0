"""Answers shaped as AWS gives them to what Terraform's waiters poll for, so no waiter polls longer than designed."""

from __future__ import annotations

from typing import Any

from scripts.emulator.registry import addition

#: The certificate authority AWS gives a new DB instance whose create call names none (the RDS default since 2024).
DEFAULT_DB_CA_CERTIFICATE = "rds-ca-rsa2048-g1"


@addition(
    "default CA certificate of a new DB instance",
    "fix",
    "moto gives a DB instance created without CACertificateIdentifier the made-up 'rds-ca-default'; AWS gives it the "
    "region's default CA, rds-ca-rsa2048-g1. The provider creates an Aurora cluster instance without the CA and, when "
    "the instance then reports another CA than the configured one, modifies it, waits, reboots it and waits again "
    "(streamflix's writer took 3m10s instead of the create waiter's 30 s)",
)
def _patch_rds_default_ca() -> None:
    from moto.rds import models as rds

    original_init = rds.DBInstance.__init__

    def init(self: Any, backend: Any, **kwargs: Any) -> None:
        if not kwargs.get("ca_certificate_identifier"):
            kwargs["ca_certificate_identifier"] = DEFAULT_DB_CA_CERTIFICATE
        original_init(self, backend, **kwargs)

    rds.DBInstance.__init__ = init
