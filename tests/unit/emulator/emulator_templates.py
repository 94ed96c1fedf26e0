"""Template fragments the emulator tests deploy: written as CDK renders them (a key policy as a JSON object, subnets
placed with Fn::GetAZs, route tables associated per subnet)."""

from __future__ import annotations

from typing import Any

from constructs_lib.policy.encryption import CLOUDWATCH_LOGS_KEY_ACTIONS


def ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def get_att(name: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [name, attribute]}


def network(az_count: int = 2) -> dict[str, Any]:
    """A VPC with one isolated subnet per AZ (from Fn::GetAZs) and a route table each, as CDK renders them."""
    resources: dict[str, Any] = {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}}
    for index in range(az_count):
        resources[f"Subnet{index}"] = {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": ref("Vpc"),
                "CidrBlock": f"10.0.{index}.0/24",
                "AvailabilityZone": {"Fn::Select": [index, {"Fn::GetAZs": ""}]},
            },
        }
        resources[f"Table{index}"] = {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": ref("Vpc")}}
        resources[f"Association{index}"] = {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {"RouteTableId": ref(f"Table{index}"), "SubnetId": ref(f"Subnet{index}")},
        }
    return resources


def key(policy: bool = True, logs: bool = False) -> dict[str, Any]:
    """A KMS key resource with a key policy as CDK writes one (a JSON object, not a string); with ``logs``, the
    policy also lets CloudWatch Logs of the stack's region use the key."""
    properties: dict[str, Any] = {"EnableKeyRotation": True, "PendingWindowInDays": 7}
    if policy:
        properties["KeyPolicy"] = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
        if logs:
            properties["KeyPolicy"]["Statement"].append(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}},
                    "Action": list(CLOUDWATCH_LOGS_KEY_ACTIONS),
                    "Resource": "*",
                }
            )
    return {"Type": "AWS::KMS::Key", "Properties": properties}
