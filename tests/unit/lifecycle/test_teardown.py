"""The dev teardown check, with fake tools and a fake inventory: what is left is charged to the stack that owned it,
else to the stacks of its region that create its kind; a failed destroy or a stack left up fails the check."""

from __future__ import annotations

from collections.abc import Iterable

from scripts.deployer import cdk_tool, protocol
from scripts.lifecycle import StackFigures, teardown
from scripts.lifecycle.inventory import Snapshot

EU = "eu-west-2"
US = "us-east-1"


class FakeTool:
    """A tool whose stacks destroy (or fail to) and report a state, without any CLI."""

    concurrent_stacks = False

    def __init__(self, name: str, stacks: list[protocol.Stack], failing: Iterable[str] = ()) -> None:
        self.name = name
        self._stacks = stacks
        self.failing = set(failing)
        self.destroyed: list[str] = []

    def stacks(self) -> list[protocol.Stack]:
        return self._stacks

    def destroy(self, stack: protocol.Stack) -> None:
        self.destroyed.append(stack.construct_id)
        if stack.construct_id in self.failing:
            raise protocol.DeployError(f"cdk destroy {stack.construct_id} exited 1 (log: x)\ntail")

    def state(self, stack: protocol.Stack) -> protocol.StackState:
        if stack.construct_id in self.failing:
            return protocol.StackState("DELETE_FAILED", deployed=False, gone=False, reason="bucket not empty")
        return protocol.StackState(cdk_tool.GONE, deployed=False, gone=True)


class FakeInventory:
    """Lists a fixed set of ids per kind (what the destroys left)."""

    def __init__(self, now: Snapshot) -> None:
        self.now = now
        self.asked: set[str] = set()

    def diff(self, baseline: Snapshot, kinds: Iterable[str] | None = None) -> dict[str, list[str]]:
        self.asked = set(kinds or ())
        return {
            kind: sorted(ids - baseline.get(kind, set()))
            for kind, ids in self.now.items()
            if kind in self.asked and ids - baseline.get(kind, set())
        }


TYPES = {
    "Iot": {"AWS::EC2::VPC", "AWS::KMS::Key", "AWS::SecretsManager::Secret"},
    "Health": {"AWS::EC2::VPC", "AWS::RDS::DBInstance"},
    "flix": {"aws_vpc", "aws_kinesis_stream"},
}
OWNED = {"Iot": {"vpc-1", "key-1"}, "Health": {"vpc-2", "db-health"}, "flix": {"vpc-3", "flix-stream"}}


def run(now: Snapshot, baseline: Snapshot | None = None, failing: Iterable[str] = ()) -> tuple[list, dict, list]:
    cdk = FakeTool("cdk", [protocol.Stack("Iot", "Iot-dev", EU), protocol.Stack("Health", "Health-dev", EU)], failing)
    cdktf = FakeTool("cdktf", [protocol.Stack("flix", "flix", US)], failing)
    figures: dict[str, StackFigures] = {"Iot": StackFigures("Iot", "cdk", deploy_seconds=2.5)}
    outcomes = teardown.check_dev_leaves_nothing(
        [cdk, cdktf],
        figures,
        baseline or {},
        inventory=FakeInventory(now),
        read_owned=lambda tool, stack: {f for i in OWNED[stack.construct_id] for f in teardown.id_forms(i)},
        read_types=lambda tool: {stack.construct_id: TYPES[stack.construct_id] for stack in tool.stacks()},
    )
    return outcomes, figures, [*cdk.destroyed, *cdktf.destroyed]


def test_nothing_left_passes_every_stack_and_records_zero() -> None:
    baseline = {"ec2:vpc": {f"{EU}/vpc-default"}}
    outcomes, figures, destroyed = run({"ec2:vpc": {f"{EU}/vpc-default"}}, baseline)

    assert [(o.stack, o.ok) for o in outcomes] == [("Iot", True), ("Health", True), ("flix", True)]
    assert {name: f.left_by_dev_destroy for name, f in figures.items()} == {"Iot": 0, "Health": 0, "flix": 0}
    assert figures["Iot"].deploy_seconds == 2.5  # figures another check filled are kept
    assert destroyed == ["Health", "Iot", "flix"]  # reverse deploy order, as the deployer destroys
    assert outcomes[0].detail.startswith("0 left")


def test_a_leftover_is_charged_to_its_owner_only() -> None:
    outcomes, figures, _ = run({"ec2:vpc": {f"{EU}/vpc-2"}, "kinesis:stream": {f"{US}/flix-stream"}})

    assert [(o.stack, o.ok) for o in outcomes] == [("Iot", True), ("Health", False), ("flix", False)]
    assert figures["Health"].left_by_dev_destroy == 1
    assert "ec2:vpc: eu-west-2/vpc-2" in outcomes[1].detail
    assert figures["flix"].left_by_dev_destroy == 1


def test_an_arn_left_matches_the_name_a_stack_owned() -> None:
    arn = "arn:aws:kinesis:us-east-1:123456789012:stream/flix-stream"
    outcomes, figures, _ = run({"kinesis:stream": {f"{US}/{arn}"}})

    assert figures["flix"].left_by_dev_destroy == 1
    assert [o.ok for o in outcomes] == [True, True, False]


def test_an_unowned_leftover_goes_to_every_stack_of_its_region_that_creates_its_kind() -> None:
    """A secret RDS made for a master password is in no stack's ids; it is charged where such secrets come from."""
    outcomes, figures, _ = run({"secretsmanager:secret": {f"{EU}/arn:aws:secretsmanager:eu-west-2:1:secret:rds!db-1"}})

    # Every stack lists secrets (ALWAYS_LISTED), but only the two eu-west-2 stacks are in that region.
    assert {name: f.left_by_dev_destroy for name, f in figures.items()} == {"Iot": 1, "Health": 1, "flix": 0}
    assert [o.ok for o in outcomes] == [False, False, True]


def test_a_failed_destroy_fails_the_stack_with_the_reason() -> None:
    outcomes, figures, destroyed = run({}, failing={"Health"})

    health = next(o for o in outcomes if o.stack == "Health")
    assert not health.ok
    assert health.detail.startswith("destroy failed: cdk destroy Health exited 1")
    assert "Iot" in destroyed  # a failure stops neither the other stacks nor the listing
    assert figures["Health"].left_by_dev_destroy == 0


def test_only_the_kinds_the_stacks_create_are_listed() -> None:
    inventory = FakeInventory({"sqs:queue": {f"{EU}/https://q/other"}})
    teardown.check_dev_leaves_nothing(
        [FakeTool("cdk", [protocol.Stack("Iot", "Iot-dev", EU)])],
        {},
        {},
        inventory=inventory,
        read_owned=lambda tool, stack: set(),
        read_types=lambda tool: {"Iot": TYPES["Iot"]},
    )
    assert inventory.asked == {
        "ec2:vpc",
        "kms:key",
        "secretsmanager:secret",
        "cloudformation:stack",
        "ec2:network-interface",
    }


def test_id_forms_meet_across_arns_urls_and_names() -> None:
    assert "flix-stream" in teardown.id_forms("arn:aws:kinesis:us-east-1:1:stream/flix-stream")
    assert "q1" in teardown.id_forms("http://localhost:5103/123456789012/q1")
    assert "key-1" in teardown.id_forms("arn:aws:kms:eu-west-2:1:key/key-1")
    assert "" not in teardown.id_forms("trailing/")
