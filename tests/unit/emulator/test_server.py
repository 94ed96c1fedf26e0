"""The emulator server: started in the background with the extensions, reset, stopped, and refusing to start next
to something else on its port or next to another moto version."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from scripts.emulator import registry, server, stack_creation
from scripts.emulator.server import Emulator, EmulatorError


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((server.HOST, 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module", autouse=True)
def state_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Process ids and logs of the servers started here go to a temporary directory, not to $TMPDIR."""
    root = str(tmp_path_factory.mktemp("local-aws-state"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(server.tempfile, "gettempdir", lambda: root)
        yield root


@pytest.fixture(scope="module")
def running(state_root: str) -> Iterator[Emulator]:
    emulator = Emulator(free_port())
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


def test_started_emulator_answers_with_every_extension(running: Emulator) -> None:

    listed = running.extensions()
    assert listed is not None
    assert listed["moto"] == server.MOTO_VERSION
    assert len(listed["additions"]) == len(registry.ADDITIONS)
    assert running.running_pid() is not None


def test_reset_forgets_every_resource(running: Emulator) -> None:
    import boto3

    sqs = boto3.client(
        "sqs",
        region_name="eu-central-1",
        endpoint_url=running.endpoint_url,
        aws_access_key_id=server.DUMMY_ACCESS_KEY,
        aws_secret_access_key=server.DUMMY_SECRET_KEY,
    )
    sqs.create_queue(QueueName="before-reset")
    running.reset()
    assert sqs.list_queues().get("QueueUrls", []) == []


def test_a_second_start_on_the_same_port_is_refused(running: Emulator) -> None:
    with pytest.raises(EmulatorError, match="already running"):
        running.start()


def test_status_and_env_commands_describe_the_running_emulator(
    running: Emulator, capsys: pytest.CaptureFixture
) -> None:
    assert server.main(["status", "--port", str(running.port)]) == 0
    assert '"moto": "5.2.5"' in capsys.readouterr().out
    assert server.main(["env", "--port", str(running.port), "--region", "eu-central-1"]) == 0
    exports = capsys.readouterr().out
    assert f"export AWS_ENDPOINT_URL={running.endpoint_url}" in exports
    assert "export AWS_REGION=eu-central-1" in exports
    assert server.main(["reset", "--port", str(running.port)]) == 0


def test_a_port_taken_by_another_process_is_refused() -> None:
    with socket.socket() as blocker:
        blocker.bind((server.HOST, 0))
        blocker.listen()
        with pytest.raises(EmulatorError, match="taken by another process"):
            Emulator(blocker.getsockname()[1]).start()


def test_start_and_stop_through_the_command_line(capsys: pytest.CaptureFixture) -> None:
    port = str(free_port())
    assert server.main(["start", "--port", port]) == 0
    assert "extensions" in capsys.readouterr().out
    assert server.main(["stop", "--port", port]) == 0
    assert capsys.readouterr().out.strip() == "stopped"
    assert server.main(["stop", "--port", port]) == 0
    assert capsys.readouterr().out.strip() == "not running"
    assert server.main(["status", "--port", port]) == 1


def test_an_emulator_that_exits_at_once_is_reported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr(server.sys, "executable", "/bin/false")
    port = str(free_port())
    assert server.main(["start", "--port", port]) == 1
    assert "exited with 1" in capsys.readouterr().err


def test_an_emulator_that_never_answers_is_stopped_and_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    silent = subprocess.Popen(["sleep", "60"])
    monkeypatch.setattr(server.subprocess, "Popen", lambda *args, **kwargs: silent)
    monkeypatch.setattr(server, "START_TIMEOUT_SECONDS", 0.5)
    emulator = Emulator(free_port())
    with pytest.raises(EmulatorError, match="did not answer"):
        emulator.start()
    assert not process_alive(silent.pid)
    assert emulator.running_pid() is None


def test_a_server_ignoring_sigterm_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    ignore_term = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    )
    stubborn = subprocess.Popen([sys.executable, "-c", ignore_term], stdout=subprocess.PIPE, text=True)
    assert stubborn.stdout is not None and stubborn.stdout.readline().strip() == "ready"
    emulator = Emulator(free_port())
    emulator.state_dir.mkdir(parents=True, exist_ok=True)
    emulator.pid_file.write_text(str(stubborn.pid))
    monkeypatch.setattr(server, "STOP_TIMEOUT_SECONDS", 0.5)
    assert emulator.stop() is True
    assert not process_alive(stubborn.pid)


def test_a_stale_pid_file_means_not_running() -> None:
    emulator = Emulator(free_port())
    emulator.state_dir.mkdir(parents=True, exist_ok=True)
    finished = subprocess.Popen(["true"])
    finished.wait()
    emulator.pid_file.write_text(str(finished.pid))
    assert emulator.running_pid() is None
    emulator.pid_file.write_text("not a pid")
    assert emulator.running_pid() is None


def test_another_moto_version_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server.metadata, "version", lambda _name: "9.9.9")
    with pytest.raises(EmulatorError, match=r"moto 9\.9\.9 is installed"):
        server.check_moto_version()
    with pytest.raises(EmulatorError):
        server.run(free_port())


def test_state_lives_under_the_temporary_directory(state_root: str) -> None:
    assert str(Emulator(5123).pid_file).startswith(state_root)


def test_the_port_comes_from_the_environment() -> None:
    assert Emulator.from_environment({server.ENV_PORT: "5123"}).port == 5123
    assert Emulator.from_environment({}).port == server.DEFAULT_PORT


def test_client_environment_points_sdks_and_cloudformation_s3_urls_at_the_emulator() -> None:
    environment = Emulator(5123).client_environment()
    assert environment["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5123"
    assert environment["AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION"] == "http://localhost:5123"
    assert "AWS_REGION" not in environment
    assert Emulator(5123).client_environment("ap-south-1")["AWS_DEFAULT_REGION"] == "ap-south-1"


def test_run_registers_the_extensions_before_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import server as moto_server

    from scripts.emulator import registry

    served: list[list[str]] = []
    for name in ("MOTO_PORT", "MOTO_IAM_LOAD_MANAGED_POLICIES"):  # run() sets both; restore them afterwards
        monkeypatch.setenv(name, "")
    monkeypatch.setattr(moto_server, "main", served.append)
    monkeypatch.setattr(registry, "_registered", True)
    monkeypatch.setattr(stack_creation.STACK_CREATION, "background", False)  # run() turns it on; restored after
    server.main(["run", "--port", "5999"])
    assert served == [["--host", server.HOST, "--port", "5999"]]
    assert stack_creation.STACK_CREATION.background
    assert os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] == "true"


def test_the_server_creates_stacks_in_the_background_and_serves_the_setting(running: Emulator) -> None:
    """Through the running server: the setting reads back, refuses bad input (HTTP 400 naming the field), and a
    paced CreateStack answers CREATE_IN_PROGRESS before the stack completes."""
    import json
    import time
    import urllib.error

    import boto3

    from scripts.emulator.stack_creation import STACK_CREATION_PATH

    assert running.request(STACK_CREATION_PATH) == {"background": True, "seconds_per_resource": 0.0}
    with pytest.raises(urllib.error.HTTPError) as refused:
        running.request(STACK_CREATION_PATH, {"seconds_per_resource": "slow"})
    assert refused.value.code == 400 and "seconds_per_resource" in refused.value.read().decode()
    assert running.request(STACK_CREATION_PATH, {"seconds_per_resource": 1.0})["seconds_per_resource"] == 1.0
    try:
        env = running.client_environment("eu-west-2")
        cloudformation = boto3.client(
            "cloudformation",
            region_name="eu-west-2",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        queues = {f"Q{index}": {"Type": "AWS::SQS::Queue", "Properties": {}} for index in range(4)}
        cloudformation.create_stack(StackName="paced", TemplateBody=json.dumps({"Resources": queues}))
        statuses = [cloudformation.describe_stacks(StackName="paced")["Stacks"][0]["StackStatus"]]
        deadline = time.monotonic() + 30
        while statuses[-1] == "CREATE_IN_PROGRESS" and time.monotonic() < deadline:
            time.sleep(0.1)
            statuses.append(cloudformation.describe_stacks(StackName="paced")["Stacks"][0]["StackStatus"])
        assert statuses[0] == "CREATE_IN_PROGRESS" and statuses[-1] == "CREATE_COMPLETE"
    finally:
        running.request(STACK_CREATION_PATH, {"seconds_per_resource": 0})
