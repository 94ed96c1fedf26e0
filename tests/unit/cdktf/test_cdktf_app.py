"""App-wide properties: state backend, provider, tags, no literals, and bad input failing at synth."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from tfjson import PROFILES, STACKS, TWELVE_DIGITS, resources

from constructs_lib.policy import ConfigurationError
from scripts import ROOT
from scripts.deployer.adoption import FOUND_BY_TAGS

ALL = [(profile, stack) for profile in PROFILES for stack in STACKS]


def _streamflix_only(app):
    from stacks.streamflix.stack import StreamFlixStack

    StreamFlixStack(app, "streamflix")


@pytest.mark.parametrize(("profile", "stack"), ALL)
def test_local_state_is_a_relative_path_per_stack(synthesized, profile, stack):
    terraform = synthesized[profile][stack]["terraform"]
    assert terraform["backend"] == {"local": {"path": f"terraform.{stack}.tfstate"}}
    assert terraform["required_providers"]["aws"]["version"] == "5.100.0"


@pytest.mark.parametrize(("profile", "stack"), ALL)
def test_no_account_id_or_machine_path_literal_anywhere(synthesized, profile, stack):
    text = re.sub(r"assets/[^\"]*", "", synthesized[profile].text(stack))
    assert not TWELVE_DIGITS.findall(text)
    assert not re.findall(r"\"/(?:work|tmp|home|root|Users)/", text)


@pytest.mark.parametrize(("profile", "stack"), ALL)
def test_provider_region_and_standard_tags(synthesized, profile, stack):
    (provider,) = synthesized[profile][stack]["provider"]["aws"]
    assert provider["region"] == "us-east-1"
    (tags,) = provider["default_tags"]
    assert tags["tags"]["Environment"] == profile and tags["tags"]["Profile"] == profile
    assert tags["tags"]["System"] == stack and tags["tags"]["ManagedBy"] == "hardened-iac-stacks"


@pytest.mark.parametrize(("profile", "stack"), ALL)
def test_no_two_resources_aws_names_carry_the_same_tags_and_description(synthesized, profile, stack):
    """What an interrupted create of one leaves is adopted only when its tags (and a key's description) say which
    planned resource it is (scripts/deployer/adoption.py): twins would be left behind as duplicates."""
    for kind in FOUND_BY_TAGS.values():
        seen: dict[str, str] = {}
        for name, config in resources(synthesized[profile][stack], kind).items():
            identity = json.dumps([config.get("tags") or {}, config.get("description")], sort_keys=True)
            assert identity not in seen, f"{kind}.{name} and {kind}.{seen[identity]} are told apart by nothing"
            seen[identity] = name


def test_state_bucket_from_context_selects_encrypted_locked_s3_state_per_stack(synth_app):
    synth = synth_app({"profile": "dev", "environmentSuffix": "pr-7", "stateBucket": "team-tf-state"}, _streamflix_only)
    assert synth["streamflix"]["terraform"]["backend"] == {
        "s3": {
            "bucket": "team-tf-state",
            "key": "streamflix/pr-7/terraform.tfstate",
            "region": "us-east-1",
            "encrypt": True,
            "use_lockfile": True,
        }
    }


def test_state_bucket_and_region_from_the_environment(synth_app):
    synth = synth_app(
        {"profile": "dev", "environmentSuffix": "env"},
        _streamflix_only,
        environ={"TF_STATE_BUCKET": "env-state-bucket", "AWS_REGION": "eu-west-1"},
    )
    backend = synth["streamflix"]["terraform"]["backend"]["s3"]
    assert backend["bucket"] == "env-state-bucket" and backend["region"] == "eu-west-1"
    assert synth["streamflix"]["provider"]["aws"][0]["region"] == "eu-west-1"


def test_suffix_and_profile_from_the_environment_when_the_context_is_silent(synth_app):
    synth = synth_app({}, _streamflix_only, environ={"ENVIRONMENT_SUFFIX": "ci-9", "DEPLOY_PROFILE": "dev"})
    (cluster,) = synth["streamflix"]["resource"]["aws_rds_cluster"].values()
    assert cluster["cluster_identifier"] == "streamflix-metadata-ci-9" and cluster["deletion_protection"] is False


def test_region_from_stack_props_wins(synth_app):
    from stacks.pci_platform.stack import PciPlatformProps, PciPlatformStack

    synth = synth_app(
        {"profile": "dev", "environmentSuffix": "eu", "region": "us-west-2"},
        lambda app: PciPlatformStack(app, "pci-platform", PciPlatformProps(region="eu-central-1")),
    )
    assert synth["pci-platform"]["provider"]["aws"][0]["region"] == "eu-central-1"


@pytest.mark.parametrize(
    ("context", "field"),
    [
        ({"environmentSuffix": "Bad_Suffix"}, "environment_suffix"),
        ({"profile": "staging"}, "profile"),
        ({"region": "moon-base-1a"}, "region"),
        ({"region": "af-south-1"}, "region"),
        ({"stateBucket": "Not A Bucket"}, "stateBucket"),
    ],
)
def test_bad_input_fails_at_synth_naming_the_field(synth_app, context, field):
    with pytest.raises(ConfigurationError) as error:
        synth_app({"profile": "dev", **context})
    assert error.value.field == field
    assert field in str(error.value)


def test_bad_region_in_props_fails_naming_the_field(synth_app):
    from stacks.streamflix.stack import StreamFlixProps, StreamFlixStack

    with pytest.raises(ConfigurationError) as error:
        synth_app({"profile": "dev"}, lambda app: StreamFlixStack(app, "streamflix", StreamFlixProps(region="EU")))
    assert error.value.field == "region"


def test_without_context_the_app_is_prod_named_prod(synth_app):
    synth = synth_app({}, _streamflix_only)
    stack = synth["streamflix"]
    (cluster,) = stack["resource"]["aws_rds_cluster"].values()
    assert cluster["cluster_identifier"] == "streamflix-metadata-prod" and cluster["deletion_protection"] is True


@pytest.mark.parametrize(
    ("variable", "value", "field"),
    [("ENVIRONMENT_SUFFIX", "Pr_7", "environment_suffix"), ("DEPLOY_PROFILE", "staging", "profile"),
     ("AWS_REGION", "moon-base-1a", "region")],
)  # fmt: skip
def test_the_app_refuses_bad_settings_before_the_provider_bindings_load(tmp_path, variable, value, field):
    """A fresh interpreter, as ``cdktf synth`` runs the app: the error, and no binding imported to reach it."""
    probe = (
        "import sys, tf_app\n"
        "from constructs_lib.policy import ConfigurationError\n"
        "try:\n    tf_app.build_app()\n"
        "except ConfigurationError as error:\n"
        "    print(error.field, 'cdktf_cdktf_provider_aws' in sys.modules)\n"
    )
    environment = {**os.environ, variable: value, "CDKTF_OUTDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == [field, "False"]


def test_region_setting_reads_the_context_first_then_aws_region():
    from constructs_lib.policy import cdktf_backend

    context = {"region": "eu-west-2"}.get
    assert cdktf_backend.region_setting(context, {"AWS_REGION": "us-west-2"}) == "eu-west-2"
    assert cdktf_backend.region_setting({}.get, {"AWS_REGION": "us-west-2"}) == "us-west-2"
    assert cdktf_backend.region_setting({}.get, {}) is None
