"""Answers Terraform's waiters poll for: each must read back as AWS gives it, or a waiter polls (or a create
modifies and reboots) far longer than its own design."""

from __future__ import annotations

from scripts.emulator import waiter_answers
from tests.unit.local_aws import Account


def test_a_db_instance_created_without_a_ca_gets_the_aws_default_and_a_named_ca_is_kept(aws: Account) -> None:
    rds = aws.client("rds")
    rds.create_db_cluster(
        DBClusterIdentifier="metadata",
        Engine="aurora-postgresql",
        MasterUsername="owner",
        ManageMasterUserPassword=True,
    )
    created = rds.create_db_instance(
        DBInstanceIdentifier="writer",
        DBClusterIdentifier="metadata",
        Engine="aurora-postgresql",
        DBInstanceClass="db.serverless",
    )["DBInstance"]
    rds.create_db_instance(
        DBInstanceIdentifier="pinned",
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        CACertificateIdentifier="rds-ca-ecc384-g1",
    )
    found = {db["DBInstanceIdentifier"]: db for db in rds.describe_db_instances()["DBInstances"]}
    assert created["CACertificateIdentifier"] == "rds-ca-rsa2048-g1"
    assert found["writer"]["CACertificateIdentifier"] == waiter_answers.DEFAULT_DB_CA_CERTIFICATE
    assert found["pinned"]["CACertificateIdentifier"] == "rds-ca-ecc384-g1"
