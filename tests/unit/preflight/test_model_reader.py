"""The model reader: one model for a CDK cloud assembly and a cdktf output, with references, deletion behaviour,
region and profile read the same way. Fixtures: ``fixtures/model/cloud-assembly`` and ``.../cdktf-output``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from constructs_lib.model import (
    CLOUDFORMATION,
    TERRAFORM,
    OnDelete,
    Stack,
    StackFileError,
    fields,
    find_stack_files,
    load_stacks,
    tokens,
)
from constructs_lib.model.kinds import kind_of


@pytest.fixture(scope="module")
def model_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "model"


@pytest.fixture(scope="module")
def stacks(model_dir: Path) -> dict[str, Stack]:
    return {s.name: s for s in load_stacks([model_dir / "cloud-assembly", model_dir / "cdktf-output"])}


@pytest.fixture(scope="module")
def app(stacks: dict[str, Stack]) -> Stack:
    return stacks["App-dev"]


@pytest.fixture(scope="module")
def web(stacks: dict[str, Stack]) -> Stack:
    return stacks["web"]


# --- loader -------------------------------------------------------------------------------------------------------
def test_loader_finds_manifest_and_nested_assembly_and_cdktf_stacks_but_not_assets(stacks: dict[str, Stack]) -> None:
    assert set(stacks) == {"App-dev", "Agnostic", "StageDb", "web", "api"}
    assert {s.source_format for s in stacks.values()} == {CLOUDFORMATION, TERRAFORM}


def test_cdk_region_and_account_come_from_the_manifest_environment(model_dir: Path, app: Stack) -> None:
    manifest = json.loads((model_dir / "cloud-assembly" / "manifest.json").read_text())
    assert manifest["artifacts"]["AppDev"]["environment"] == f"aws://{app.account}/{app.region}"
    assert app.region == "eu-west-2"


def test_environment_agnostic_cdk_stack_has_no_region_or_account(stacks: dict[str, Stack]) -> None:
    assert (stacks["Agnostic"].region, stacks["Agnostic"].account) == (None, None)
    assert (stacks["StageDb"].region, stacks["StageDb"].account) == ("us-east-1", None)


def test_terraform_region_is_the_unaliased_provider_and_account_its_single_allowed_id(web: Stack) -> None:
    assert web.region == "eu-west-2"
    assert web.account is not None and len(web.account) == 12


def test_terraform_region_given_by_a_variable_is_unknown(stacks: dict[str, Stack]) -> None:
    assert stacks["api"].region is None


def test_a_file_is_read_as_given_and_each_stack_only_once(model_dir: Path) -> None:
    template = model_dir / "cloud-assembly" / "AppDev.template.json"
    files = find_stack_files([template, model_dir / "cloud-assembly"])
    assert [f.path.name for f in files].count("AppDev.template.json") == 1


def test_a_template_named_directly_keeps_the_region_its_manifest_gives(model_dir: Path) -> None:
    (stack,) = load_stacks([model_dir / "cloud-assembly" / "AppDev.template.json"])
    assert (stack.name, stack.region) == ("App-dev", "eu-west-2")


def test_loose_json_files_are_recognised_by_content(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}))
    (tmp_path / "b.json").write_text(json.dumps({"resource": {"aws_sqs_queue": {"q": {}}}}))
    formats = [f.source_format for f in find_stack_files([tmp_path / "a.json", tmp_path / "b.json"])]
    assert formats == [CLOUDFORMATION, TERRAFORM]


def test_unreadable_or_missing_paths_are_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.json").write_text("[1, 2]")
    with pytest.raises(StackFileError, match="neither a CloudFormation template"):
        find_stack_files([tmp_path / "notes.json"])
    with pytest.raises(StackFileError, match="no such file"):
        find_stack_files([tmp_path / "missing"])


def test_a_broken_manifest_falls_back_to_file_names(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{not json")
    (tmp_path / "x.template.json").write_text(json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}))
    (tmp_path / "y.tf.json").write_text(json.dumps({"resource": {"aws_sqs_queue": {"q": {}}}}))
    assert [s.name for s in load_stacks([tmp_path])] == ["x", "y"]


def test_a_folder_of_several_apps_keeps_each_stack_name_region_and_account(model_dir: Path, tmp_path: Path) -> None:
    for app in ("orders", "billing"):
        shutil.copytree(model_dir / "cloud-assembly", tmp_path / "services" / app / "cdk.out")
    shutil.copytree(model_dir / "cdktf-output", tmp_path / "infra" / "cdktf.out")
    stacks = load_stacks([tmp_path])
    assert len(stacks) == 2 * 3 + 2
    app_dev = [s for s in stacks if s.path.name == "AppDev.template.json"]
    assert [(s.name, s.region, s.account) for s in app_dev] == [("App-dev", "eu-west-2", "111122223333")] * 2
    assert {s.name for s in stacks if s.source_format == TERRAFORM} == {"web", "api"}


def test_stacks_of_one_assembly_know_the_outputs_of_the_others(stacks: dict[str, Stack]) -> None:
    assert stacks["Agnostic"].sibling_outputs == tuple(f"App-dev.{o}" for o in stacks["App-dev"].outputs)
    assert stacks["App-dev"].sibling_outputs == ()
    assert len(stacks["App-dev"].outputs) > 0 and len(stacks["web"].outputs) > 0
    # api's file is found by name, not listed in cdktf's manifest: it belongs to no app, so it has no siblings.
    assert stacks["api"].sibling_outputs == ()


def _template(resources: dict[str, object]) -> str:
    return json.dumps({"Resources": resources})


def test_a_template_another_deploys_as_a_nested_stack_is_marked_nested(tmp_path: Path) -> None:
    queue = {"Q": {"Type": "AWS::SQS::Queue"}}
    (tmp_path / "Parent.template.json").write_text(
        _template(
            {
                "ByAsset": {"Type": "AWS::CloudFormation::Stack", "Metadata": {"aws:asset:path": "ChildA.json"}},
                "ByUrl": {
                    "Type": "AWS::CloudFormation::Stack",
                    "Properties": {"TemplateURL": {"Fn::Sub": "https://${Bucket}.s3.amazonaws.com/ChildB.cfn.yaml"}},
                },
            }
        )
    )
    for name in ("ChildA.template.json", "ChildB.template.json", "Other.template.json", "X.nested.template.json"):
        (tmp_path / name).write_text(_template(queue))
    nested = {s.path.name: s.nested for s in load_stacks([tmp_path])}
    assert nested == {
        "Parent.template.json": False,
        "ChildA.template.json": True,
        "ChildB.template.json": True,
        "Other.template.json": False,
        "X.nested.template.json": True,
    }


# --- CloudFormation references ------------------------------------------------------------------------------------
def test_cfn_references_cover_ref_getatt_both_forms_sub_and_depends_on(app: Stack) -> None:
    bucket, member = app.resources["Bucket"], app.resources["Member"]
    assert ("Key", "Arn", "Fn::GetAtt") in {(r.target, r.attribute, r.via) for r in bucket.references}
    assert ("Logs", None, "Fn::Sub") in {(r.target, r.attribute, r.via) for r in bucket.references}
    assert ("Suffix", None, "Ref") in {(r.target, r.attribute, r.via) for r in bucket.references}
    assert not any(r.target.startswith("AWS::") or r.target in {"Base", "!Literal"} for r in bucket.references)
    assert [r.target for r in member.references if r.via == "depends_on"] == ["Db", "Key"]
    assert app.resources["Db"].refs_to("Key")[0].via == "depends_on"


def test_cfn_reference_paths_point_at_the_property(app: Stack) -> None:
    bucket = app.resources["Bucket"]
    assert bucket.targets("LoggingConfiguration.DestinationBucketName") == ["Logs"]
    assert app.referenced(bucket, "BucketEncryption", "kms_key") == [app.resources["Key"]]
    assert app.referrers("Bucket", "s3_auto_delete") == [app.resources["AutoDelete"]]


def test_outputs_keep_their_references(app: Stack, web: Stack) -> None:
    assert [(r.target, r.attribute) for r in app.outputs["KeyArn"].references] == [("Key", "Arn")]
    assert app.outputs["KeyArn"].description == "the key"
    assert [(r.target, r.attribute) for r in web.outputs["bucket_arn"].references] == [("aws_s3_bucket.bucket", "arn")]


def test_parameters_and_variables_know_which_are_secret(app: Stack, web: Stack) -> None:
    assert app.parameters["DbPassword"].secret and not app.parameters["Suffix"].secret
    assert app.parameters["Suffix"].default == "dev"
    assert web.parameters["db_password"].secret and not web.parameters["suffix"].secret


# --- Terraform references -----------------------------------------------------------------------------------------
def test_tf_references_cover_resources_data_sources_variables_locals_and_indexes(web: Stack) -> None:
    refs = {(r.target, r.attribute) for r in web.resources["aws_s3_bucket.bucket"].references}
    assert ("data.aws_caller_identity.current", "account_id") in refs
    assert ("local.name", None) in refs
    assert ("aws_kms_key.key", None) in refs  # depends_on
    assert ("aws_subnet.private", "id") in {
        (r.target, r.attribute) for r in web.resources["aws_elasticache_replication_group.cache"].references
    }
    db_refs = web.resources["aws_db_instance.db"].references
    assert ("var.db_password", None) in {(r.target, r.attribute) for r in db_refs}


def test_tf_references_inside_functions_and_json_policies_are_found_and_escapes_ignored(web: Stack) -> None:
    assert web.resources["aws_subnet.private"].targets() == ["aws_vpc.main"]
    assert web.resources["aws_kms_key.key"].targets("policy") == ["data.aws_caller_identity.current"]
    assert web.resources["aws_vpc.main"].references == ()


def test_tf_meta_arguments_are_attributes_not_properties(web: Stack) -> None:
    bucket = web.resources["aws_s3_bucket.bucket"]
    assert "lifecycle" in bucket.attributes and "lifecycle" not in bucket.properties
    assert "//" not in web.resources["aws_kms_key.key"].properties
    assert web.resources["aws_kms_key.key"].path == "web/key"
    assert "data.aws_caller_identity.current" in web.data


def test_tf_backend_is_read(web: Stack) -> None:
    assert web.backend is not None and web.backend.type == "s3" and web.backend.config["use_lockfile"] is True


# --- deletion behaviour -------------------------------------------------------------------------------------------
def test_cfn_deletion_policy_and_rds_default_snapshot(app: Stack) -> None:
    assert app.resources["Key"].deletion.on_delete is OnDelete.RETAIN
    assert app.resources["Key"].deletion.recovery_window_days == 7
    assert app.resources["Db"].deletion.on_delete is OnDelete.SNAPSHOT
    assert app.resources["Cluster"].deletion.on_delete is OnDelete.SNAPSHOT
    assert app.resources["Member"].deletion.on_delete is OnDelete.DELETE


def test_cfn_deletion_protection_object_lock_and_auto_delete(app: Stack) -> None:
    assert app.resources["Db"].deletion.protected and app.resources["Db"].deletion.blocks_teardown
    assert app.resources["Locked"].deletion.object_lock
    assert app.resources["Bucket"].deletion.empties_bucket is True  # custom resource
    assert app.resources["Logs"].deletion.empties_bucket is True  # CDK tag
    assert app.resources["Locked"].deletion.empties_bucket is False
    assert app.resources["Parameter"].deletion.empties_bucket is None


def test_tf_skip_final_snapshot_identifier_and_protection(web: Stack) -> None:
    db = web.resources["aws_db_instance.db"].deletion
    assert db.on_delete is OnDelete.SNAPSHOT and db.needs_snapshot_identifier and db.blocks_teardown
    cluster = web.resources["aws_rds_cluster.cluster"].deletion
    assert cluster.on_delete is OnDelete.SNAPSHOT and not cluster.needs_snapshot_identifier and cluster.protected
    assert web.resources["aws_elasticache_replication_group.cache"].deletion.on_delete is OnDelete.SNAPSHOT


def test_tf_force_destroy_prevent_destroy_object_lock_skip_destroy_and_windows(web: Stack) -> None:
    bucket = web.resources["aws_s3_bucket.bucket"].deletion
    assert bucket.empties_bucket is True and bucket.protected
    assert web.resources["aws_s3_bucket.locked"].deletion.object_lock
    assert web.resources["aws_cloudwatch_log_group.audit"].deletion.on_delete is OnDelete.RETAIN
    assert web.resources["aws_secretsmanager_secret.secret"].deletion.recovery_window_days == 0
    assert web.resources["aws_kms_key.key"].deletion.recovery_window_days == 30
    assert web.resources["aws_kms_key.key"].deletion.keeps_data is False


# --- kinds, tags, profile -----------------------------------------------------------------------------------------
def test_kinds_are_format_neutral(app: Stack, web: Stack) -> None:
    assert app.resources["Member"].kind == "db_cluster_instance"
    assert app.resources["Db"].kind == web.resources["aws_db_instance.db"].kind == "db_instance"
    assert app.resources["Parameter"].kind == "other"
    assert kind_of("aws_rds_cluster_instance", {}) == "db_cluster_instance"


def test_tags_come_from_lists_maps_and_provider_default_tags(app: Stack, web: Stack) -> None:
    assert app.resources["Parameter"].tags == {"Owner": "team"}
    assert web.resources["aws_kms_key.key"].tags == {"Profile": "prod", "Team": "data"}
    assert web.resources["aws_db_instance.db"].tags["Profile"] == "dev"


def test_profile_is_the_tag_most_resources_carry(app: Stack, web: Stack, stacks: dict[str, Stack]) -> None:
    assert app.profile == "dev"
    assert web.profile == "prod"
    assert stacks["Agnostic"].profile is None


def test_profile_is_unknown_when_tags_split_evenly(cfn_stack: Callable[..., Stack]) -> None:
    stack = cfn_stack(
        {
            "A": {"Type": "AWS::SQS::Queue", "Properties": {"Tags": [{"Key": "Profile", "Value": "dev"}]}},
            "B": {"Type": "AWS::SQS::Queue", "Properties": {"Tags": [{"Key": "Profile", "Value": "prod"}]}},
        }
    )
    assert stack.profile is None


def test_labels_prefer_the_cdk_path_and_the_terraform_address(app: Stack, web: Stack) -> None:
    assert app.resources["Key"].label == "App-dev/Key/Resource"
    assert app.resources["Db"].label == "Db"
    assert web.resources["aws_kms_key.key"].label == "aws_kms_key.key"


# --- normalized fields and tokens ---------------------------------------------------------------------------------
def test_fields_read_either_format_and_step_into_single_block_lists(app: Stack, web: Stack) -> None:
    assert app.resources["Db"].get("engine_version") == "17.9"
    assert web.resources["aws_db_instance.db"].get("engine") == "postgres"
    assert app.resources["Db"].field_key("master_secret") == "MasterUserPassword"
    assert web.resources["aws_db_instance.db"].field_key("master_secret") == "password"
    assert fields.lookup({"a": [{"b": 1}]}, ["a.b"]) == 1
    assert fields.lookup({"a": [{"b": 1}, {"b": 2}]}, ["a.b"], "none") == "none"
    assert fields.found_path({"x": None}, ["x"]) is None
    assert fields.paths("not_a_field", TERRAFORM) == ("not_a_field",)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"Fn::Join": ["-", ["a", {"Ref": "AWS::Region"}, {"Fn::GetAtt": ["B", "Arn"]}]]}, "a-${AWS::Region}-${B.Arn}"),
        ({"Fn::Sub": ["${X}-${Y}", {"X": "x"}]}, "x-${Y}"),
        ({"Fn::Sub": {"not": "text"}}, "${Fn::Sub}"),
        ({"Fn::Select": [0, ["a"]]}, "${Fn::Select}"),
        ({"Fn::Join": ["", [{"Fn::If": ["C", "a", "b"]}, ["list"]]]}, "${Fn::If}${?}"),
        (True, "true"),
        (12, "12"),
    ],
)
def test_cfn_values_render_to_the_same_dollar_brace_text_as_terraform(value: object, text: str) -> None:
    assert tokens.render(value) == text


def test_expressions_skip_escapes_and_handle_nested_braces() -> None:
    assert tokens.expressions('a${jsonencode({k = "}"})}b$${x}${!y}${z}') == ['jsonencode({k = "}"})', "z"]
    assert tokens.expressions("${unclosed") == []
    assert tokens.literal_text("data-${x}-${y}") == "data--"
    assert not tokens.is_literal({"Ref": "X"}) and tokens.is_literal("plain") and not tokens.is_literal(["a"])


def test_dynamic_references_and_token_meanings() -> None:
    assert tokens.is_dynamic_reference("{{resolve:secretsmanager:${Secret}:SecretString:password::}}")
    assert not tokens.is_dynamic_reference("{{resolve:ssm:/plain/parameter}}")
    assert tokens.names_account("data.aws_caller_identity.current.account_id")
    assert tokens.names_account("AWS::AccountId")
    assert tokens.names_region("data.aws_region.current.name") and not tokens.names_region("aws_s3_bucket.b.id")
    assert tokens.is_random("random_id.suffix.hex") and not tokens.is_random("var.suffix")
