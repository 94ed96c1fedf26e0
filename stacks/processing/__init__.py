"""Runtime pieces the processors share: PostgreSQL connections over TLS, Kinesis shard reading with checkpoints kept
in PostgreSQL, and structured logs. Pure Python (pg8000, boto3); no CDK import, so it ships inside the containers and
the Lambda bundles of ``stacks/*/processor``, ``consumer`` and ``worker``.
"""
