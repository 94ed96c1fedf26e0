"""IoT telemetry processor: every shard of the telemetry stream -> Aurora PostgreSQL rows + each device's latest state
in Redis. Runs as an ECS Fargate service (one task) or a plain process: ``python -m stacks.iot_platform.processor``.

Each page of records is applied in one PostgreSQL transaction holding the readings (idempotent on ``reading_id``),
the records that could not be used (``kinesis_dead_letters``, with the reason) and the shard's checkpoint; Redis is
updated before the commit with a compare-and-set on the reading's timestamp, so a replay changes nothing.

Environment:
    STREAM_NAME             telemetry stream name (required)
    DB_HOST, DB_PORT, DB_NAME, DB_USER + DB_PASSWORD | DB_CREDENTIALS | DB_SECRET_ARN, DB_CA_BUNDLE
                            Aurora writer and credentials, see ``stacks.processing.database``
    REDIS_HOST              Redis primary endpoint (required); REDIS_PORT (6379)
    REDIS_AUTH_TOKEN        the AUTH token (ECS ``secrets`` from the token's secret), or
    REDIS_AUTH_SECRET_ARN   the token's secret, read from Secrets Manager at start
    REDIS_CA_BUNDLE         PEM bundle to verify Redis against (default: the system store, which holds the Amazon
                            CA ElastiCache certificates chain to); TLS and host name are always verified
    POLL_IDLE_SECONDS       wait after a poll that found nothing (1.0)
    AWS_REGION, AWS_ENDPOINT_URL   as boto3 reads them
"""
