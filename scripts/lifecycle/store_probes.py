"""Write to, read back from and clean up each kind of data store (:class:`~scripts.lifecycle.data_stores.DataStore`)
through its service's API: what the prod-keeps-data check does before and after the destroy.

``probe = write_probe(store, token)`` before; ``read_back(store, token, probe)`` after (raises when the data is not
what was written); ``clean_up(store)``, then ``still_there(store)`` is False.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from scripts.lifecycle.data_stores import STORE_KINDS, DataStore, aws, error_code

#: The object, log stream and message this check writes.
PROBE_KEY = "prod-keeps-data/probe.txt"
PROBE_LOG_STREAM = "prod-keeps-data"
#: Days before a cleaned-up key is deleted (KMS's minimum).
KEY_DELETION_DAYS = 7


def write_probe(store: DataStore, token: str) -> Any:
    """Write ``token`` to ``store`` (or read a database's protection settings); returns what :func:`read_back` needs."""
    region = store.region
    if store.kind == "bucket":
        s3 = aws("s3", region)
        extra: dict[str, str] = {}
        rules = s3.get_bucket_encryption(Bucket=store.name)["ServerSideEncryptionConfiguration"]["Rules"]
        default = rules[0]["ApplyServerSideEncryptionByDefault"]
        extra["ServerSideEncryption"] = default["SSEAlgorithm"]
        if default.get("KMSMasterKeyID"):
            extra["SSEKMSKeyId"] = default["KMSMasterKeyID"]
        s3.put_object(Bucket=store.name, Key=PROBE_KEY, Body=token.encode(), **extra)
        return {"sse": extra["ServerSideEncryption"]}
    if store.kind == "stream":
        written = aws("kinesis", region).put_record(StreamName=store.name, Data=token.encode(), PartitionKey="probe")
        return {"shard": written["ShardId"], "sequence": written["SequenceNumber"]}
    if store.kind == "queue":
        aws("sqs", region).send_message(QueueUrl=store.name, MessageBody=token)
        return {}
    if store.kind == "secret":
        version = aws("secretsmanager", region).put_secret_value(SecretId=store.name, SecretString=token)
        return {"version": version["VersionId"]}
    if store.kind == "log_group":
        logs = aws("logs", region)
        logs.create_log_stream(logGroupName=store.name, logStreamName=PROBE_LOG_STREAM)
        event = {"timestamp": int(time.time() * 1000), "message": token}
        logs.put_log_events(logGroupName=store.name, logStreamName=PROBE_LOG_STREAM, logEvents=[event])
        return {}
    if store.kind == "key":
        return {"ciphertext": aws("kms", region).encrypt(KeyId=store.name, Plaintext=token.encode())["CiphertextBlob"]}
    if store.kind in ("db_instance", "db_cluster"):
        return database_settings(store)
    if store.kind == "cache":
        group = aws("elasticache", region).describe_replication_groups(ReplicationGroupId=store.name)
        return {"snapshot_retention_days": group["ReplicationGroups"][0].get("SnapshotRetentionLimit", 0)}
    raise ValueError(f"kind: {store.kind!r} is not one of {sorted(STORE_KINDS.values())}")


def database_settings(store: DataStore) -> dict[str, Any]:
    rds = aws("rds", store.region)
    if store.kind == "db_instance":
        found = rds.describe_db_instances(DBInstanceIdentifier=store.name)["DBInstances"][0]
    else:
        found = rds.describe_db_clusters(DBClusterIdentifier=store.name)["DBClusters"][0]
    return {"deletion_protection": found.get("DeletionProtection"), "backup_days": found.get("BackupRetentionPeriod")}


def read_back(store: DataStore, token: str, probe: Any) -> str:
    """What was kept of ``store`` after the destroy, as a phrase; raises when it is not there or not the same."""
    region = store.region
    if store.kind == "bucket":
        body = aws("s3", region).get_object(Bucket=store.name, Key=PROBE_KEY)["Body"].read().decode()
        expect_equal(body, token, f"s3://{store.name}/{PROBE_KEY}")
        return f"bucket {store.name} (object read back, {probe['sse']})"
    if store.kind == "stream":
        kinesis = aws("kinesis", region)
        iterator = kinesis.get_shard_iterator(
            StreamName=store.name,
            ShardId=probe["shard"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=probe["sequence"],
        )["ShardIterator"]
        records = kinesis.get_records(ShardIterator=iterator, Limit=1)["Records"]
        expect_equal(records[0]["Data"].decode() if records else "", token, f"stream {store.name}")
        return f"stream {store.name} (record read back)"
    if store.kind == "queue":
        messages = aws("sqs", region).receive_message(QueueUrl=store.name, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        bodies = [message["Body"] for message in messages.get("Messages", [])]
        expect_equal(token if token in bodies else bodies, token, f"queue {store.name}")
        return f"queue {store.name.rsplit('/', 1)[-1]} (message read back)"
    if store.kind == "secret":
        value = aws("secretsmanager", region).get_secret_value(SecretId=store.name, VersionId=probe["version"])
        expect_equal(value["SecretString"], token, f"secret {store.name}")
        return f"secret {store.name.rsplit(':', 1)[-1]} (version read back)"
    if store.kind == "log_group":
        events = aws("logs", region).get_log_events(logGroupName=store.name, logStreamName=PROBE_LOG_STREAM)["events"]
        expect_equal(token if token in [e["message"] for e in events] else events, token, f"log group {store.name}")
        return f"log group {store.name} (event read back)"
    if store.kind == "key":
        kms = aws("kms", region)
        state = kms.describe_key(KeyId=store.name)["KeyMetadata"]["KeyState"]
        expect_equal(state, "Enabled", f"key {store.name} state")
        plaintext = kms.decrypt(CiphertextBlob=probe["ciphertext"])["Plaintext"].decode()
        expect_equal(plaintext, token, f"key {store.name} decrypt")
        return f"key {store.name} (Enabled, decrypts)"
    if store.kind in ("db_instance", "db_cluster", "cache"):
        snapshots = final_snapshots(store)
        if not snapshots:
            raise AssertionError(f"{store.kind} {store.name}: no final snapshot")
        return f"{store.kind} {store.name} final snapshot {snapshots[0]}"
    raise ValueError(f"kind: {store.kind!r} has no read-back")


def expect_equal(seen: Any, expected: Any, what: str) -> None:
    if seen != expected:
        raise AssertionError(f"{what}: read back {str(seen)[:120]!r}, wrote {str(expected)[:120]!r}")


def final_snapshots(store: DataStore) -> list[str]:
    """Manual (final) snapshots of a database or cache that outlive it."""
    if store.kind == "db_instance":
        found = aws("rds", store.region).describe_db_snapshots(DBInstanceIdentifier=store.name, SnapshotType="manual")
        return [item["DBSnapshotIdentifier"] for item in found["DBSnapshots"]]
    if store.kind == "db_cluster":
        found = aws("rds", store.region).describe_db_cluster_snapshots(
            DBClusterIdentifier=store.name, SnapshotType="manual"
        )
        return [item["DBClusterSnapshotIdentifier"] for item in found["DBClusterSnapshots"]]
    # Listed unfiltered and matched here: a filter on ReplicationGroupId may be refused once the group is gone.
    paginator = aws("elasticache", store.region).get_paginator("describe_snapshots")
    return [
        item["SnapshotName"]
        for page in paginator.paginate()
        for item in page["Snapshots"]
        if item.get("ReplicationGroupId") == store.name
    ]


def clean_up(store: DataStore) -> None:
    """Delete what the prod destroy kept of ``store`` (the operator's explicit last step)."""
    region = store.region
    if store.kind == "bucket":
        s3 = aws("s3", region)
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=store.name):
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                s3.delete_object(Bucket=store.name, Key=item["Key"], VersionId=item["VersionId"])
        s3.delete_bucket(Bucket=store.name)
    elif store.kind == "stream":
        aws("kinesis", region).delete_stream(StreamName=store.name, EnforceConsumerDeletion=True)
    elif store.kind == "queue":
        aws("sqs", region).delete_queue(QueueUrl=store.name)
    elif store.kind == "secret":
        aws("secretsmanager", region).delete_secret(SecretId=store.name, ForceDeleteWithoutRecovery=True)
    elif store.kind == "log_group":
        aws("logs", region).delete_log_group(logGroupName=store.name)
    elif store.kind == "key":
        kms = aws("kms", region)
        for alias in kms.list_aliases(KeyId=store.name).get("Aliases", []):
            kms.delete_alias(AliasName=alias["AliasName"])
        kms.schedule_key_deletion(KeyId=store.name, PendingWindowInDays=KEY_DELETION_DAYS)
    elif store.kind == "db_instance":
        for name in final_snapshots(store):
            aws("rds", region).delete_db_snapshot(DBSnapshotIdentifier=name)
    elif store.kind == "db_cluster":
        for name in final_snapshots(store):
            aws("rds", region).delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=name)
    elif store.kind == "cache":
        for name in final_snapshots(store):
            aws("elasticache", region).delete_snapshot(SnapshotName=name)


def still_there(store: DataStore) -> bool:
    """Whether anything of ``store`` remains after :func:`clean_up` (a key pending deletion counts as gone)."""
    region = store.region
    calls: dict[str, Callable[[], Any]] = {
        "bucket": lambda: aws("s3", region).head_bucket(Bucket=store.name),
        "stream": lambda: aws("kinesis", region).describe_stream_summary(StreamName=store.name),
        "queue": lambda: aws("sqs", region).get_queue_attributes(QueueUrl=store.name),
        "secret": lambda: aws("secretsmanager", region).describe_secret(SecretId=store.name),
    }
    if store.kind in calls:
        try:
            calls[store.kind]()
        except Exception as error:
            if "NotFound" in error_code(error) or "NonExistent" in error_code(error) or error_code(error) == "404":
                return False
            raise
        return True
    if store.kind == "log_group":
        groups = aws("logs", region).describe_log_groups(logGroupNamePrefix=store.name)["logGroups"]
        return any(group["logGroupName"] == store.name for group in groups)
    if store.kind == "key":
        return aws("kms", region).describe_key(KeyId=store.name)["KeyMetadata"]["KeyState"] != "PendingDeletion"
    return bool(final_snapshots(store))
