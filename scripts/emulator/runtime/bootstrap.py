"""One invocation of a Python handler in a fresh interpreter, as the Lambda Python runtime runs it.

Started by :mod:`scripts.emulator.runtime.functions` as ``python -I -S bootstrap.py CODE_DIR RUNTIME_DIR HANDLER
RESULT_FILE`` with the event on stdin. The handler sees its own code first, then the libraries the AWS runtime
provides (boto3 and its dependencies), and nothing of the emulator's. What it prints is the invocation's log; its
result, or its error in the runtime's shape (errorMessage, errorType, stackTrace), goes to RESULT_FILE as JSON.
Standard library only: it runs outside the emulator's environment.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any


class Context:
    """The attributes and the one method of the Lambda context object that handlers use."""

    def __init__(self, deadline: float) -> None:
        self._deadline = deadline
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn = os.environ["LOCAL_AWS_INVOKED_ARN"]
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.aws_request_id = os.environ["LOCAL_AWS_REQUEST_ID"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def error(error_type: str, message: str, exception: BaseException | None = None) -> dict[str, Any]:
    trace = traceback.format_list(traceback.extract_tb(exception.__traceback__)) if exception else []
    return {"errorMessage": message, "errorType": error_type, "requestId": os.environ["LOCAL_AWS_REQUEST_ID"],
            "stackTrace": trace}  # fmt: skip


def load(handler: str) -> tuple[Any, dict[str, Any] | None]:
    module_name, _, function_name = handler.rpartition(".")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except Exception as exception:
        return None, error("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exception}")
    function = getattr(module, function_name, None)
    if not callable(function):
        return None, error("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
    return function, None


def invoke(handler: str, event: Any) -> dict[str, Any]:
    deadline = time.monotonic() + float(os.environ["AWS_LAMBDA_FUNCTION_TIMEOUT"])
    function, failure = load(handler)
    if failure:
        return {"error": failure}
    try:
        result = function(event, Context(deadline))
    except Exception as exception:
        print(f"[ERROR] {type(exception).__name__}: {exception}", file=sys.stderr)
        traceback.print_exc()
        return {"error": error(type(exception).__name__, str(exception), exception)}
    try:
        return {"payload": json.dumps(result)}
    except (TypeError, ValueError) as exception:
        return {"error": error("Runtime.MarshalError", f"Unable to marshal response: {exception}")}


def main(argv: list[str]) -> int:
    code_dir, runtime_dir, handler, result_file = argv[1:5]
    os.chdir(code_dir)
    sys.path[:0] = [code_dir, runtime_dir]
    event = json.load(sys.stdin)
    outcome = invoke(handler, event)
    sys.stdout.flush()
    sys.stderr.flush()
    with open(result_file, "w", encoding="utf-8") as out:
        json.dump(outcome, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
