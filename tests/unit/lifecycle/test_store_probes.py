"""scripts/lifecycle/store_probes.py: the write / read back / clean up of each kind against the in-process emulator,
including a read-back that must fail when the data is not what was written."""

from __future__ import annotations

import pytest

from constructs_lib.model import OnDelete
from scripts.lifecycle import store_probes
from scripts.lifecycle.data_stores import DataStore

TOKEN = "prod-keeps-data test 1234"


def kept_stores(aws) -> list[DataStore]:
    """One store of every retained kind, created directly in the emulated account."""
    region = aws.region
    key_id = aws.client("kms").create_key()["KeyMetadata"]["KeyId"]
    aws.client("kms").create_alias(AliasName="alias/probe", TargetKeyId=key_id)
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="kept-bucket", CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket="kept-bucket", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket="kept-bucket",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_id}}]
        },
    )
    aws.client("kinesis").create_stream(StreamName="kept-stream", ShardCount=1)
    queue_url = aws.client("sqs").create_queue(QueueName="kept-queue")["QueueUrl"]
    secret_arn = aws.client("secretsmanager").create_secret(Name="kept-secret", SecretString="first")["ARN"]
    aws.client("logs").create_log_group(logGroupName="/kept/logs")
    return [
        DataStore("key", key_id, "Key", OnDelete.RETAIN, region),
        DataStore("bucket", "kept-bucket", "Bucket", OnDelete.RETAIN, region),
        DataStore("stream", "kept-stream", "Stream", OnDelete.RETAIN, region),
        DataStore("queue", queue_url, "Queue", OnDelete.RETAIN, region),
        DataStore("secret", secret_arn, "Secret", OnDelete.RETAIN, region),
        DataStore("log_group", "/kept/logs", "Logs", OnDelete.RETAIN, region),
    ]


def test_each_kept_kind_is_written_read_back_and_cleaned_up_until_none_remains(aws) -> None:
    stores = kept_stores(aws)
    probes = {store: store_probes.write_probe(store, TOKEN) for store in stores}

    kept = [store_probes.read_back(store, TOKEN, probes[store]) for store in stores]
    for store in stores:
        store_probes.clean_up(store)

    assert kept[0].endswith("(Enabled, decrypts)")
    assert kept[1] == "bucket kept-bucket (object read back, aws:kms)"
    assert [text.split(" ")[0] for text in kept] == ["key", "bucket", "stream", "queue", "secret", "log"]
    assert [store_probes.still_there(store) for store in stores] == [False] * len(stores)
    assert aws.client("kms").list_aliases(KeyId=stores[0].name)["Aliases"] == []


def test_a_read_back_fails_when_the_kept_data_is_not_what_was_written(aws) -> None:
    bucket = kept_stores(aws)[1]
    probe = store_probes.write_probe(bucket, TOKEN)
    aws.client("s3").put_object(Bucket=bucket.name, Key=store_probes.PROBE_KEY, Body=b"something else")

    with pytest.raises(AssertionError, match="read back 'something else', wrote"):
        store_probes.read_back(bucket, TOKEN, probe)


def test_a_database_final_snapshot_is_found_after_the_database_is_gone_and_cleaned_up(aws) -> None:
    rds = aws.client("rds")
    rds.create_db_instance(
        DBInstanceIdentifier="kept-db", Engine="postgres", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
        MasterUsername="admin", MasterUserPassword="password-1234", DeletionProtection=True, BackupRetentionPeriod=30,
    )  # fmt: skip
    store = DataStore("db_instance", "kept-db", "Database", OnDelete.SNAPSHOT, aws.region)

    assert store_probes.write_probe(store, TOKEN) == {"deletion_protection": True, "backup_days": 30}
    rds.modify_db_instance(DBInstanceIdentifier="kept-db", DeletionProtection=False, ApplyImmediately=True)
    rds.delete_db_instance(DBInstanceIdentifier="kept-db", FinalDBSnapshotIdentifier="kept-db-final")

    assert store_probes.read_back(store, TOKEN, None) == "db_instance kept-db final snapshot kept-db-final"
    store_probes.clean_up(store)
    assert not store_probes.still_there(store)


def test_a_missing_final_snapshot_is_reported_as_not_kept(aws) -> None:
    store = DataStore("db_cluster", "never-snapshotted", "Cluster", OnDelete.SNAPSHOT, aws.region)

    with pytest.raises(AssertionError, match="db_cluster never-snapshotted: no final snapshot"):
        store_probes.read_back(store, TOKEN, None)
