"""The two halves of "prod keeps its data" agree: every CloudFormation type the CDK prod stacks render with
``DeletionPolicy: Retain`` has a Terraform twin that the cdktf prod teardown keeps, or a stated other way."""

from __future__ import annotations

from constructs_lib.policy.profiles import RETAINED_OTHERWISE, RETAINED_TWINS, terraform_retained_in_prod


def retained_types(app) -> set[str]:
    return {
        body["Type"]
        for template in app.templates.values()
        for body in template.to_json()["Resources"].values()
        if body.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")
    }


def test_every_type_cdk_retains_in_prod_has_a_terraform_twin_the_prod_teardown_keeps(prod_app) -> None:
    retained = retained_types(prod_app)

    assert {"AWS::KMS::Key", "AWS::Logs::LogGroup", "AWS::Kinesis::Stream"} <= retained
    unaccounted = sorted(retained - set(RETAINED_TWINS) - set(RETAINED_OTHERWISE))
    assert unaccounted == [], f"CDK retains {unaccounted} in prod: add the Terraform twin to the prod retained types"
    for cloudformation_type, terraform_type in RETAINED_TWINS.items():
        assert terraform_retained_in_prod(terraform_type), (cloudformation_type, terraform_type)


def test_dev_retains_nothing_so_the_twins_only_matter_in_prod(dev_app) -> None:
    assert retained_types(dev_app) == set()
