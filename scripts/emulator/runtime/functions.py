"""Lambda functions (Python, zip) run their deployed code: Invoke extracts the function's zip into a cache folder per
version and code digest, and runs the handler in a fresh interpreter of the emulator's own Python (bootstrap.py),
with the function's environment variables, the emulator as ``AWS_ENDPOINT_URL``, dummy credentials, its region, and
its timeout. RequestResponse answers the handler's result, or its error with ``FunctionError: Unhandled``; Event
queues the run and answers at once; DryRun runs nothing. The output goes to the function's log group."""

from __future__ import annotations

import base64
import datetime
import importlib.util
import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.emulator.atomic_calls import released
from scripts.emulator.registry import addition
from scripts.emulator.runtime import destinations, lifecycle
from scripts.emulator.server import DEFAULT_PORT, DUMMY_ACCESS_KEY, DUMMY_SECRET_KEY, HOST

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
#: What the AWS Python runtime provides besides the standard library (boto3 and what it imports).
RUNTIME_LIBRARIES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
#: Only so much of the log comes back in ``X-Amz-Log-Result`` (as on AWS: the last 4 KB).
LOG_TAIL_BYTES = 4096
#: Seconds before each retry of a failed asynchronous invocation (AWS waits about one minute, then two).
ASYNC_RETRY_DELAY_SECONDS = 1.0
#: The environment every function starts from; the emulator's own environment is not passed on.
BASE_ENVIRONMENT = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "TZ": ":UTC"}


@dataclass(frozen=True)
class Outcome:
    """One invocation's answer: the payload (JSON text), whether it is an error, and what the handler logged."""

    payload: str
    errored: bool
    log: str

    @property
    def error_type(self) -> str | None:
        return json.loads(self.payload).get("errorType") if self.errored else None


def endpoint_url() -> str:
    """The emulator as the function reaches it: the server's port (``MOTO_PORT``, set by ``server run``)."""
    return f"http://{HOST}:{os.environ.get('MOTO_PORT') or DEFAULT_PORT}"


def code_dir(function: Any) -> Path:
    """The function's deployed zip, extracted once per function version and code digest."""
    folder = f"{function.version}-{(getattr(function, 'code_digest', '') or 'nocode')[:16]}"
    target = lifecycle.work_dir("functions", function.account_id, function.region, function.function_name) / folder
    if not target.exists():
        staging = target.with_name(f".{folder}-{uuid.uuid4().hex}")
        with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
            archive.extractall(staging)  # extractall drops absolute paths and '..' parts
        try:
            staging.rename(target)
        except OSError:  # another invocation extracted it first
            import shutil

            shutil.rmtree(staging, ignore_errors=True)
    return target


def runtime_dir() -> Path:
    """A folder of links to the runtime-provided libraries, as installed in the emulator's environment."""
    directory = lifecycle.work_dir("python-runtime")
    for name in RUNTIME_LIBRARIES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        source = Path(spec.origin).parent if spec.submodule_search_locations else Path(spec.origin)
        link = directory / source.name
        if not link.exists():
            link.symlink_to(source)
    return directory


def log_group(function: Any) -> str:
    return (getattr(function, "logging_config", None) or {}).get("LogGroup") or function.logs_group_name


def environment(function: Any, request_id: str, code: Path, log_stream: str) -> dict[str, str]:
    """The function's variables, then what the Lambda service sets (those names are reserved on AWS)."""
    variables = {**BASE_ENVIRONMENT, **{key: str(value) for key, value in (function.environment_vars or {}).items()}}
    variables.update(
        AWS_ENDPOINT_URL=endpoint_url(),
        AWS_ACCESS_KEY_ID=DUMMY_ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=DUMMY_SECRET_KEY,
        AWS_REGION=function.region,
        AWS_DEFAULT_REGION=function.region,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_EXECUTION_ENV=f"AWS_Lambda_{function.run_time}",
        AWS_LAMBDA_FUNCTION_NAME=function.function_name,
        AWS_LAMBDA_FUNCTION_VERSION=str(function.version),
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(function.memory_size),
        AWS_LAMBDA_FUNCTION_TIMEOUT=str(function.timeout),
        AWS_LAMBDA_LOG_GROUP_NAME=log_group(function),
        AWS_LAMBDA_LOG_STREAM_NAME=log_stream,
        LAMBDA_TASK_ROOT=str(code),
        LOCAL_AWS_INVOKED_ARN=function.function_arn,
        LOCAL_AWS_REQUEST_ID=request_id,
        _HANDLER=function.handler or "",
    )
    return variables


def run(function: Any, event: Any) -> Outcome:
    """Run the function once on ``event``; never raises for anything the handler does."""
    request_id = str(uuid.uuid4())
    started = time.monotonic()
    if not (function.run_time or "").startswith("python") or not function.code_bytes:
        message = f"the local runtime runs Python zip functions; {function.function_name} is {function.run_time}"
        return _failed(function, request_id, "Runtime.InvalidRuntime", message, "", started)
    try:
        code = code_dir(function)
    except zipfile.BadZipFile as error:
        message = f"Could not unzip the code of {function.function_name}: {error}"
        return _failed(function, request_id, "InvalidZipFileException", message, "", started)
    now = datetime.datetime.now(datetime.UTC)
    log_stream = f"{now:%Y/%m/%d}/[{function.version}]{request_id.replace('-', '')}"
    result_file = lifecycle.work_dir("results") / f"{request_id}.json"
    process = subprocess.Popen(
        [sys.executable, "-I", "-S", "-B", str(BOOTSTRAP), str(code), str(runtime_dir()), function.handler,
         str(result_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=code,
        env=environment(function, request_id, code, log_stream),
        start_new_session=True,
    )  # fmt: skip
    try:
        with released():  # the handler may call the emulator back
            output, _ = process.communicate(json.dumps(event).encode(), timeout=float(function.timeout))
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        message = f"{request_id} Task timed out after {float(function.timeout):.2f} seconds"
        return _failed(function, request_id, "Sandbox.Timedout", message, output.decode(errors="replace"), started)
    log = output.decode(errors="replace")
    try:
        result = json.loads(result_file.read_text())
    except (OSError, ValueError):
        message = f"RequestId: {request_id} Error: Runtime exited with error: exit status {process.returncode}"
        return _failed(function, request_id, "Runtime.ExitError", message, log, started)
    finally:
        result_file.unlink(missing_ok=True)
    if "error" in result:
        return _finish(function, request_id, Outcome(json.dumps(result["error"]), True, log), started, log_stream)
    return _finish(function, request_id, Outcome(result["payload"], False, log), started, log_stream)


def _failed(function: Any, request_id: str, error_type: str, message: str, log: str, started: float) -> Outcome:
    payload = json.dumps({"errorMessage": message, "errorType": error_type})
    now = datetime.datetime.now(datetime.UTC)
    stream = f"{now:%Y/%m/%d}/[{function.version}]{request_id.replace('-', '')}"
    return _finish(function, request_id, Outcome(payload, True, f"{log}{message}\n"), started, stream)


def _finish(function: Any, request_id: str, outcome: Outcome, started: float, log_stream: str) -> Outcome:
    """Frame the log as the Lambda service does and write it to the function's log group (best effort)."""
    duration = (time.monotonic() - started) * 1000
    framed = (
        f"START RequestId: {request_id} Version: {function.version}\n{outcome.log}"
        f"END RequestId: {request_id}\nREPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\n"
    )
    try:
        logs = function.logs_backend
        group = log_group(function)
        logs.ensure_log_group(group)
        logs.create_log_stream(group, log_stream)
        stamp = int(time.time() * 1000)
        logs.put_log_events(group, log_stream, [{"timestamp": stamp, "message": line} for line in framed.splitlines()])
    except Exception:
        lifecycle.LOG.exception("could not write the log of %s", function.function_name)
    return Outcome(outcome.payload, outcome.errored, framed)


def _header(headers: Any, name: str) -> str | None:
    for key, value in dict(headers or {}).items():
        if key.lower() == name:
            return value
    return None


def invoke(function: Any, body: Any, request_headers: Any, response_headers: dict[str, str]) -> bytes:
    """Invoke as the Lambda API answers it (what moto's response class turns into the HTTP answer)."""
    event = json.loads(body) if isinstance(body, str | bytes) and body else (body or {})
    invocation_type = _header(request_headers, "x-amz-invocation-type") or "RequestResponse"
    if invocation_type == "DryRun":
        return b""
    if invocation_type == "Event":
        lifecycle.submit(run_async, function, event)
        return b""
    outcome = run(function, event)
    if outcome.errored:
        response_headers["x-amz-function-error"] = "Unhandled"
    response_headers["x-amz-executed-version"] = str(function.version)
    tail = outcome.log.encode()[-LOG_TAIL_BYTES:]
    response_headers["x-amz-log-result"] = base64.b64encode(tail).decode()
    return outcome.payload.encode()


def run_async(function: Any, event: Any) -> Outcome:
    """An asynchronous invocation: retried (``MaximumRetryAttempts`` of the event invoke config, default 2), then
    the event goes to the function's dead-letter queue and the on-failure destination; a success goes to the
    on-success destination."""
    config = function.event_invoke_config[0].config if function.event_invoke_config else {}
    retries = int(config.get("MaximumRetryAttempts", 2))
    for attempt in range(retries + 1):
        outcome = run(function, event)
        if not outcome.errored or attempt == retries:
            break
        time.sleep(ASYNC_RETRY_DELAY_SECONDS * (attempt + 1))
    targets = config.get("DestinationConfig") or {}
    target = (targets.get("OnFailure" if outcome.errored else "OnSuccess") or {}).get("Destination")
    if target:
        destinations.send(target, _invocation_record(function, event, outcome, attempt + 1))
    dead_letters = (getattr(function, "dead_letter_config", None) or {}).get("TargetArn")
    if outcome.errored and dead_letters:
        error = json.loads(outcome.payload)
        attributes = {"RequestID": str(uuid.uuid4()), "ErrorCode": "200", "ErrorMessage": error["errorMessage"][:1000]}
        destinations.send(dead_letters, event, attributes)
    return outcome


def _invocation_record(function: Any, event: Any, outcome: Outcome, invocations: int) -> dict[str, Any]:
    """What an asynchronous invocation's destination receives (AWS's invocation record)."""
    response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": str(function.version)}
    if outcome.errored:
        response_context["functionError"] = "Unhandled"
    return {
        "version": "1.0",
        "timestamp": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"{function.function_arn}:$LATEST",
            "condition": "RetriesExhausted" if outcome.errored else "Success",
            "approximateInvokeCount": invocations,
        },
        "requestPayload": event,
        "responseContext": response_context,
        "responsePayload": json.loads(outcome.payload),
    }


def function_by_arn(arn: str) -> Any:
    """The function (or version) an ARN names, from the backend of the ARN's account and region."""
    from moto.awslambda.utils import get_backend

    _, _, _, region, account_id, *_ = arn.split(":")
    return get_backend(account_id, region).get_function(arn)


@addition(
    "Lambda runs its deployed Python code",
    "engine",
    "moto runs function code only in Docker, which this machine does not have: Invoke answered an echo, so nothing "
    "a stack deployed ever ran; now the deployed zip runs in a subprocess with the function's environment and timeout",
)
def _run_functions() -> None:
    from moto.awslambda.models import LambdaFunction

    LambdaFunction.invoke = invoke
