"""CDK for Terraform twins of the hardened CDK constructs: same policy values, rendered as Terraform resources.

Each construct is secure with no arguments and reads its defaults from ``constructs_lib.policy``; a user override
is applied and reported as a synth warning. Account, partition and region always come from data sources.

- ``provider``: the AWS provider, region and the state backend (local relative path, or S3 with a lock file).
- ``hardened_stack``: HardenedStack, the base of every stack: settings, region, tagged provider, backend, outputs.
- ``deployment``: suffix/profile from context, and the stack's account/partition/region data sources.
- ``encryption_key``, ``log_group``, ``iam``: KMS key, encrypted log group, service role.
- ``network``: VPC with public/private subnets, NAT per profile, flow logs.
- ``bucket``: SecureBucket (SSE-KMS) and AccessLogBucket (SSE-S3).
- ``stream``, ``queue``, ``alarms``: Kinesis, SQS with DLQ, alarm topic and metric alarms (from ``policy.alarms``).
- ``aurora``: Aurora PostgreSQL Serverless v2 cluster with its instances.
- ``postgres_instance``, ``redis_cluster``: RDS PostgreSQL and ElastiCache Redis (on ``isolated_data_store``).
- ``network_firewall``, ``config_recorder``: Network Firewall on all egress; AWS Config with its managed rules.
- ``grants``: IAM statements to read a stream, consume a queue, read/write a bucket, read a secret.
- ``function``, ``container``: Lambda with its log group; ECS Fargate cluster and task definition.

Importing any module here loads the AWS provider bindings (~20 s, ~1 GB, once per process).
"""
