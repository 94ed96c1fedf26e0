"""StreamFlix job worker: video jobs from the SQS jobs queue and ingest events from every shard of the Kinesis ingest
stream, recorded in the Aurora PostgreSQL metadata cluster. Runs as an ECS Fargate service or a plain process:
``python -m stacks.streamflix.worker``.

Jobs (``jobs``): long-polled in batches of up to 10; each job's video metadata is stored idempotently on ``job_id``
and its message deleted only after the commit. A job that cannot be stored is logged with its reason and left on the
queue: its visibility timeout expires (at once for a malformed job, which can never succeed), and after
maxReceiveCount receives the queue's redrive policy moves it to the dead-letter queue. The other jobs of its batch
are stored and deleted.
Ingest events (``ingest``): as the IoT processor reads telemetry (``stacks.processing.shards``), each page in one
transaction with its shard checkpoint and its rejects in ``kinesis_dead_letters``.

Environment:
    JOB_QUEUE_URL           the jobs queue (required)
    STREAM_NAME             the ingest stream (required)
    DB_HOST, DB_PORT, DB_NAME, DB_CREDENTIALS | DB_USER + DB_PASSWORD | DB_SECRET_ARN, DB_CA_BUNDLE
                            the metadata cluster's writer, see ``stacks.processing.database``
    POLL_IDLE_SECONDS       wait after an ingest poll that found nothing (1.0)
    AWS_REGION, AWS_ENDPOINT_URL   as boto3 reads them
"""
