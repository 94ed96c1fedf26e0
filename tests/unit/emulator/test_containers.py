"""ECS services and tasks run their image's entrypoint as a local process: desired count, scaling to zero, delete,
an image pushed late, replacement of an exited task, environment and secrets, awslogs output, RunTask and StopTask,
CloudFormation's services, an image the emulator cannot run, and a reset."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scripts.emulator.images import cli, store
from scripts.emulator.runtime import container_tasks, containers, lifecycle, tls
from tests.unit.local_aws import Account

WORKER = """\
import json, os, sys, time

record = {"argv": sys.argv, "cwd": os.getcwd(), "env": dict(os.environ)}
path = os.path.join(os.environ["RECORDS"], f"{os.getpid()}.json")
with open(path + ".tmp", "w") as output:
    json.dump(record, output)
os.replace(path + ".tmp", path)
print(f"worker started as {os.getpid()}", flush=True)
print("a warning", file=sys.stderr, flush=True)
if os.environ.get("MODE") == "exit":
    sys.exit(3)
while True:
    time.sleep(0.1)
"""
DOCKERFILE = """\
FROM public.ecr.aws/docker/library/python:3.12-slim
ENV PYTHONPATH=/app MODE=serve
WORKDIR /app
COPY somepkg/ ./somepkg/
RUN pip install boto3
ENTRYPOINT ["python", "-m"]
CMD ["somepkg"]
"""


def wait_for(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout}s: {check}")


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


class Cluster:
    """A cluster, a VPC for awsvpc tasks, an ECR repository and a local image to push into it."""

    def __init__(self, aws: Account, tmp_path: Path) -> None:
        self.aws = aws
        self.ecs = aws.client("ecs")
        self.records = tmp_path / "records"
        self.records.mkdir()
        context = tmp_path / "context"
        (context / "somepkg").mkdir(parents=True)
        (context / "somepkg" / "__main__.py").write_text(WORKER)
        (context / "Dockerfile").write_text(DOCKERFILE)
        assert cli.main(["build", "-t", "worker:latest", str(context)]) == 0
        self.image = f"{aws.account_id}.dkr.ecr.{aws.region}.amazonaws.com/worker:v1"
        aws.client("ecr").create_repository(repositoryName="worker")
        self.ecs.create_cluster(clusterName="apps")
        ec2 = aws.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        self.group = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)["GroupId"]
        aws.client("logs").create_log_group(logGroupName="/apps/worker")
        aws.client("secretsmanager").create_secret(Name="worker-db", SecretString='{"password": "s3cret"}')
        self.secret_arn = aws.client("secretsmanager").describe_secret(SecretId="worker-db")["ARN"]

    def push(self) -> None:
        assert cli.main(["tag", "worker:latest", self.image]) == 0
        assert cli.main(["push", self.image]) == 0

    def task_definition(self, image: str | None = None, **container: Any) -> str:
        definition = {
            "name": "worker",
            "image": image or self.image,
            "essential": True,
            "environment": [{"name": "RECORDS", "value": str(self.records)}, {"name": "GREETING", "value": "hi"}],
            "secrets": [{"name": "DB_PASSWORD", "valueFrom": f"{self.secret_arn}:password::"}],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": "/apps/worker",
                    "awslogs-stream-prefix": "app",
                    "awslogs-region": self.aws.region,
                },
            },
            **container,
        }
        return self.ecs.register_task_definition(
            family="worker", containerDefinitions=[definition], networkMode="awsvpc", cpu="256", memory="512",
            requiresCompatibilities=["FARGATE"], taskRoleArn=f"arn:aws:iam::{self.aws.account_id}:role/worker",
        )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip

    def service(self, task_definition: str, count: int = 1, name: str = "worker") -> None:
        self.ecs.create_service(
            cluster="apps", serviceName=name, taskDefinition=task_definition, desiredCount=count, launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": [self.subnet], "securityGroups": [self.group]}},
        )  # fmt: skip

    def started(self) -> list[dict[str, Any]]:
        records = []
        for path in sorted(self.records.glob("*.json")):
            records.append({**json.loads(path.read_text()), "pid": int(path.stem)})
        return records

    def tasks(self, status: str = "RUNNING") -> list[dict[str, Any]]:
        arns = self.ecs.list_tasks(cluster="apps", desiredStatus=status)["taskArns"]
        return self.ecs.describe_tasks(cluster="apps", tasks=arns)["tasks"] if arns else []


@pytest.fixture
def cluster(aws: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cluster:
    monkeypatch.setenv("LOCAL_IMAGES_DIR", str(tmp_path / "images"))
    monkeypatch.setenv("EMULATOR_ONLY", "not for tasks")
    monkeypatch.setattr(cli, "emulator_endpoint", lambda: None)  # the in-process emulator answers without one
    return Cluster(aws, tmp_path)


def test_a_service_runs_its_images_entrypoint_with_the_tasks_environment_and_secret(cluster: Cluster) -> None:
    cluster.push()
    cluster.service(cluster.task_definition())
    [record] = wait_for(cluster.started)
    rootfs = store.find("worker:latest").rootfs  # type: ignore[union-attr]
    assert record["argv"][0].endswith("somepkg/__main__.py")
    assert record["cwd"] == str(rootfs / "app")
    env = record["env"]
    assert (env["GREETING"], env["DB_PASSWORD"], env["MODE"]) == ("hi", "s3cret", "serve")
    assert env["PYTHONPATH"] == str(rootfs / "app")
    assert env["AWS_REGION"] == cluster.aws.region
    assert env[container_tasks.TASK_ROLE_VARIABLE] == f"arn:aws:iam::{cluster.aws.account_id}:role/worker"
    assert "EMULATOR_ONLY" not in env
    [task] = cluster.tasks()
    assert (task["lastStatus"], task["group"]) == ("RUNNING", "service:worker")


def test_a_task_trusts_the_local_data_stores_certificate_as_a_task_on_aws_trusts_amazons_cas(
    cluster: Cluster,
) -> None:
    cluster.push()
    cluster.service(cluster.task_definition())
    [record] = wait_for(cluster.started)
    trusted = Path(record["env"]["SSL_CERT_FILE"]).read_text()
    assert tls.ca_bundle().read_text() in trusted
    assert trusted.count("BEGIN CERTIFICATE") > 1  # the machine's CAs too
    assert cluster.ecs.describe_services(cluster="apps", services=["worker"])["services"][0]["runningCount"] == 1


def test_the_python_of_the_entrypoint_is_the_emulators_interpreter(cluster: Cluster) -> None:
    cluster.push()
    cluster.service(cluster.task_definition())
    [record] = wait_for(cluster.started)
    assert Path(record["env"]["PATH"].split(":")[0]) == Path(sys.executable).parent


def test_a_tasks_output_reaches_its_awslogs_group(cluster: Cluster) -> None:
    cluster.push()
    cluster.service(cluster.task_definition())
    [record] = wait_for(cluster.started)
    [task] = cluster.tasks()
    stream = f"app/worker/{task['taskArn'].split('/')[-1]}"
    logs = cluster.aws.client("logs")

    def messages() -> list[str]:
        events = logs.get_log_events(logGroupName="/apps/worker", logStreamName=stream)["events"]
        return [event["message"] for event in events]

    assert wait_for(lambda: len(messages()) >= 2 and messages()) == [f"worker started as {record['pid']}", "a warning"]


def test_scaling_to_zero_and_deleting_stop_the_processes(cluster: Cluster) -> None:
    cluster.push()
    cluster.service(cluster.task_definition(), count=2)
    records = wait_for(lambda: len(cluster.started()) == 2 and cluster.started())
    cluster.ecs.update_service(cluster="apps", service="worker", desiredCount=1)
    wait_for(lambda: sum(alive(record["pid"]) for record in records) == 1)
    cluster.ecs.delete_service(cluster="apps", service="worker", force=True)
    wait_for(lambda: not any(alive(record["pid"]) for record in records))
    assert cluster.tasks() == []


def test_an_image_pushed_after_the_service_was_created_starts_it(cluster: Cluster) -> None:
    cluster.service(cluster.task_definition())
    time.sleep(0.5)
    assert cluster.started() == []
    cluster.push()
    assert len(wait_for(cluster.started)) == 1


def test_a_task_that_exits_is_stopped_with_its_exit_code_and_replaced(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(containers, "BACKOFF_SECONDS", 0.2)
    cluster.push()
    cluster.service(cluster.task_definition(environment=[
        {"name": "RECORDS", "value": str(cluster.records)}, {"name": "MODE", "value": "exit"},
    ]))  # fmt: skip
    wait_for(lambda: len(cluster.started()) >= 2)
    stopped = wait_for(lambda: cluster.tasks("STOPPED"))
    assert stopped[0]["stoppedReason"] == "Essential container in task exited (exit code 3)"
    assert stopped[0]["containers"][0]["exitCode"] == 3


def test_a_secret_that_cannot_be_resolved_stops_the_task_without_a_process(cluster: Cluster) -> None:
    cluster.push()
    missing = cluster.secret_arn.replace("worker-db", "nothing")
    cluster.service(cluster.task_definition(secrets=[{"name": "DB", "valueFrom": missing}]))
    [task] = wait_for(lambda: cluster.tasks("STOPPED"))
    assert task["stoppedReason"].startswith("ResourceInitializationError: unable to pull secrets")
    assert missing in task["stoppedReason"]
    assert cluster.started() == []


def test_run_task_starts_one_process_and_stop_task_stops_it(cluster: Cluster) -> None:
    cluster.push()
    task = cluster.ecs.run_task(
        cluster="apps", taskDefinition=cluster.task_definition(), launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [cluster.subnet], "securityGroups": [cluster.group]}},
    )["tasks"][0]  # fmt: skip
    [record] = wait_for(cluster.started)
    cluster.ecs.stop_task(cluster="apps", task=task["taskArn"], reason="done")
    wait_for(lambda: not alive(record["pid"]))
    [stopped] = cluster.tasks("STOPPED")
    assert stopped["stoppedReason"] == "done"


def test_an_image_outside_the_emulators_ecr_is_reported_once_and_never_started(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    cluster.service(cluster.task_definition(image="public.ecr.aws/docker/library/python:3.12-slim"))
    time.sleep(2.5)
    reports = [record for record in caplog.records if "CannotPullContainerError" in record.getMessage()]
    assert len(reports) == 1
    assert cluster.started() == []


def test_a_cloudformation_service_runs_and_stops_with_its_stack(cluster: Cluster) -> None:
    cluster.push()
    task_definition = cluster.task_definition()
    cluster.aws.create_stack("apps", {
        "Service": {"Type": "AWS::ECS::Service",
                    "Properties": {"Cluster": "apps", "TaskDefinition": task_definition, "DesiredCount": 1}},
    })  # fmt: skip
    [record] = wait_for(cluster.started)
    assert cluster.aws.delete_stack("apps") == "DELETE_COMPLETE"
    wait_for(lambda: not alive(record["pid"]))


def test_a_reset_stops_every_task(cluster: Cluster) -> None:
    cluster.push()
    cluster.service(cluster.task_definition())
    [record] = wait_for(cluster.started)
    lifecycle.stop_all()
    assert not alive(record["pid"])
    assert "ecs-reconciler" not in lifecycle.running()
    assert os.environ["EMULATOR_ONLY"]


def test_a_forced_new_deployment_replaces_the_tasks_with_the_image_pushed_since(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.push()
    cluster.service(cluster.task_definition())
    [first] = wait_for(cluster.started)
    (tmp_path / "context" / "Dockerfile").write_text(DOCKERFILE.replace("MODE=serve", "MODE=serve2"))
    assert cli.main(["build", "-t", "worker:latest", str(tmp_path / "context")]) == 0
    cluster.push()
    cluster.ecs.update_service(cluster="apps", service="worker", forceNewDeployment=True)
    [second] = wait_for(lambda: [record for record in cluster.started() if record["pid"] != first["pid"]])
    assert second["env"]["MODE"] == "serve2"
    wait_for(lambda: not alive(first["pid"]))
