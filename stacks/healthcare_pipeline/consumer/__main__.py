"""Run the consumer as a plain process on one Kinesis event (the Lambda event shape) read from standard input:

    python -m stacks.healthcare_pipeline.consumer < event.json

Configuration as in ``patient_events``; prints what the handler returns.
"""

from __future__ import annotations

import json
import sys

from stacks.healthcare_pipeline.consumer import patient_events
from stacks.processing.logs import configure_for_container

if __name__ == "__main__":
    configure_for_container()
    print(json.dumps(patient_events.handler(json.load(sys.stdin))))
