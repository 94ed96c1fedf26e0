"""The local runtime: what a stack deploys to the emulator runs, without the stack knowing.

- :mod:`functions`: Lambda functions (Python, zip) run their deployed code in a subprocess (:mod:`bootstrap`).
- :mod:`event_sources`: Kinesis and SQS event source mappings are polled, S3 notifications invoke their function.
- :mod:`data_stores`: RDS and Aurora PostgreSQL are served by a local PostgreSQL, ElastiCache replication groups by
  a local ``redis-server`` (Debian packages), TLS on, behind endpoints on 127.0.0.1.
- :mod:`containers`: ECS services keep ``desiredCount`` tasks running, each the entrypoint of an image built and
  pushed with ``scripts/local-docker`` (:mod:`scripts.emulator.images`), as a local process (:mod:`container_tasks`).
- :mod:`tls`: the certificate those servers present; the server hands out its CA at ``/moto-api/runtime/ca.pem``.
- :mod:`destinations`: failure (and success) records to SQS queues and SNS topics.
- :mod:`lifecycle`: everything started here stops on a moto reset and with the emulator's process.
"""

from scripts.emulator.runtime import containers, data_stores, event_sources, functions, lifecycle, tls

__all__ = ["containers", "data_stores", "event_sources", "functions", "lifecycle", "tls"]
