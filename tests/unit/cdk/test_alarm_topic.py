"""AlarmTopic: CMK encryption CloudWatch can use, TLS-only publishing, alarms-only access, subscriptions."""

from __future__ import annotations

from typing import Any, NamedTuple

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, PCIDSS321Checks
from constructs import IConstruct

from constructs_lib.cdk.alarm_topic import AlarmTopic
from constructs_lib.policy import ConfigurationError


class Built(NamedTuple):
    stack: cdk.Stack
    template: Template
    resources: dict[str, Any]
    topic: AlarmTopic

    def logical_id(self, construct: IConstruct) -> str:
        return self.stack.resolve(construct.node.default_child.logical_id)

    def resource(self, construct: IConstruct) -> dict[str, Any]:
        return self.resources[self.logical_id(construct)]

    def topic_policy(self) -> list[dict[str, Any]]:
        policies = self.template.find_resources(
            "AWS::SNS::TopicPolicy", {"Properties": {"Topics": [{"Ref": self.logical_id(self.topic)}]}}
        )
        assert len(policies) == 1
        return next(iter(policies.values()))["Properties"]["PolicyDocument"]["Statement"]


def build(profile: str, **kwargs: Any) -> Built:
    stack = cdk.Stack(cdk.App(context={"profile": profile, "environmentSuffix": profile}), "Topic")
    topic = AlarmTopic(stack, "OpsAlarms", email_addresses=["oncall@example.com", "security@example.com"], **kwargs)
    template = Template.from_stack(stack)
    return Built(stack, template, template.to_json()["Resources"], topic)


@pytest.fixture(scope="module")
def dev() -> Built:
    return build("dev")


@pytest.fixture(scope="module")
def prod() -> Built:
    return build("prod")


@pytest.fixture(params=["dev", "prod"])
def each(request: pytest.FixtureRequest) -> Built:
    return request.getfixturevalue(request.param)


class Overridden(NamedTuple):
    built: Built
    plain_key: kms.Key
    sha1: AlarmTopic
    imported_key_topic: AlarmTopic


@pytest.fixture(scope="module")
def overridden() -> Overridden:
    """A topic on a plain kms.Key, one that asks for SHA1 signatures, and one on an imported key."""
    stack = cdk.Stack(cdk.App(context={"profile": "dev", "environmentSuffix": "dev"}), "Overridden")
    plain_key = kms.Key(stack, "PlainKey", enable_key_rotation=True)
    topic = AlarmTopic(stack, "OpsAlarms", name_prefix="ops", encryption_key=plain_key)
    sha1 = AlarmTopic(stack, "Sha1", encryption_key=plain_key, signature_version="1")
    imported = kms.Key.from_key_arn(
        stack, "ImportedKey", stack.format_arn(service="kms", resource="key", resource_name="shared")
    )
    imported_key_topic = AlarmTopic(stack, "OnImportedKey", encryption_key=imported)
    template = Template.from_stack(stack)
    built = Built(stack, template, template.to_json()["Resources"], topic)
    return Overridden(built, plain_key, sha1, imported_key_topic)


def nag_findings(stack: cdk.Stack) -> set[tuple[str, str, str]]:
    """(rule, severity, construct path) for every finding of the three packs the stacks run."""
    return {
        (violation.rule_name, violation.severity, resource.construct_path)
        for pack in (AwsSolutionsChecks(), HIPAASecurityChecks(), PCIDSS321Checks())
        for violation in pack.validate_scope(stack).violations
        for resource in violation.violating_resources
    }


def alarms_key_statement(key_properties: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        s
        for s in key_properties["KeyPolicy"]["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]


# --- encryption ----------------------------------------------------------------------------------------------------


def test_topic_is_encrypted_with_its_own_customer_managed_key(each: Built) -> None:
    key = each.topic.encryption_key
    assert each.resource(each.topic)["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [each.logical_id(key), "Arn"]}
    assert each.resource(key)["Properties"]["EnableKeyRotation"] is True


def test_own_key_is_deleted_in_dev_and_retained_in_prod(dev: Built, prod: Built) -> None:
    assert dev.resource(dev.topic.encryption_key)["DeletionPolicy"] == "Delete"
    assert prod.resource(prod.topic.encryption_key)["DeletionPolicy"] == "Retain"


def test_key_lets_cloudwatch_alarms_of_this_account_use_it_once(each: Built) -> None:
    [statement] = alarms_key_statement(each.resource(each.topic.encryption_key)["Properties"])
    assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_a_plain_key_is_given_the_statement_cloudwatch_needs(overridden: Overridden) -> None:
    built = overridden.built
    assert built.resource(built.topic)["Properties"]["KmsMasterKeyId"] == {
        "Fn::GetAtt": [built.logical_id(overridden.plain_key), "Arn"]
    }
    # Two topics on the same key still leave a single statement.
    [statement] = alarms_key_statement(built.resource(overridden.plain_key)["Properties"])
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}


def test_an_imported_key_is_warned_because_its_policy_cannot_be_checked(overridden: Overridden) -> None:
    Annotations.from_stack(overridden.built.stack).has_warning(
        "/Overridden/OnImportedKey", Match.string_like_regexp("the key is imported")
    )


# --- topic policy --------------------------------------------------------------------------------------------------


def test_topic_policy_denies_publishing_without_tls(each: Built) -> None:
    [deny] = [s for s in each.topic_policy() if s["Effect"] == "Deny"]
    assert deny["Action"] == "sns:Publish"
    assert deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == {"Ref": each.logical_id(each.topic)}


def test_topic_policy_allows_only_this_accounts_cloudwatch_alarms_to_publish(each: Built) -> None:
    [allow] = [s for s in each.topic_policy() if s["Effect"] == "Allow"]
    assert allow == {
        "Sid": "AllowCloudWatchAlarmsInThisAccount",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": {"Ref": each.logical_id(each.topic)},
        "Condition": {
            "ArnLike": {
                "aws:SourceArn": {
                    "Fn::Join": [
                        "",
                        [
                            "arn:",
                            {"Ref": "AWS::Partition"},
                            ":cloudwatch:",
                            {"Ref": "AWS::Region"},
                            ":",
                            {"Ref": "AWS::AccountId"},
                            ":alarm:*",
                        ],
                    ]
                }
            },
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        },
    }


# --- name, signatures, subscriptions -------------------------------------------------------------------------------


def test_topic_is_named_with_the_suffix_and_signs_with_sha256(each: Built) -> None:
    properties = each.resource(each.topic)["Properties"]
    assert properties["TopicName"] == f"ops-alarms-{each.stack.node.try_get_context('profile')}"
    assert properties["SignatureVersion"] == "2"


def test_each_email_address_is_subscribed(each: Built) -> None:
    subscriptions = each.template.find_resources(
        "AWS::SNS::Subscription", {"Properties": {"TopicArn": {"Ref": each.logical_id(each.topic)}}}
    )
    assert sorted((s["Properties"]["Protocol"], s["Properties"]["Endpoint"]) for s in subscriptions.values()) == [
        ("email", "oncall@example.com"),
        ("email", "security@example.com"),
    ]


@pytest.mark.parametrize("address", ["oncall", "on call@example.com", "oncall@example"])
def test_an_address_that_is_not_an_email_fails(address: str) -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "dev", "environmentSuffix": "dev"}), "Bad")
    with pytest.raises(ConfigurationError) as error:
        AlarmTopic(stack, "Alarms", email_addresses=[address])
    assert error.value.field == "email_addresses"


# --- overrides and bad input -------------------------------------------------------------------------------------


def test_default_topic_reports_no_override(each: Built) -> None:
    Annotations.from_stack(each.stack).has_no_warning("*", Match.string_like_regexp("overrides the hardened default"))


def test_sha1_signatures_are_warned(overridden: Overridden) -> None:
    assert overridden.built.resource(overridden.sha1)["Properties"]["SignatureVersion"] == "1"
    Annotations.from_stack(overridden.built.stack).has_warning(
        "/Overridden/Sha1", Match.string_like_regexp("'signature_version' overrides the hardened default '2' with '1'")
    )


def test_bad_suffix_fails_naming_environment_suffix() -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "prod", "environmentSuffix": "prod_1"}), "Bad")
    with pytest.raises(ConfigurationError, match="environment_suffix") as error:
        AlarmTopic(stack, "Alarms")
    assert error.value.field == "environment_suffix"


# --- cdk-nag -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_nag_finds_nothing(profile: str, request: pytest.FixtureRequest) -> None:
    assert nag_findings(request.getfixturevalue(profile).stack) == set()
