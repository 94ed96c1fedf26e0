"""The local target: ``AWS_ENDPOINT_URL`` at synth points the provider at the emulator, and changes nothing else.

Both branches of ``aws_provider``: without the variable the provider is AWS's (no endpoints, no skipped checks);
with it every service the stacks call goes to that URL with the emulator settings from the policy, and every
resource, data source and output is exactly what the AWS synth renders.
"""

from __future__ import annotations

import pytest
from tfjson import PROFILES, STACKS

from constructs_lib.policy import ConfigurationError
from constructs_lib.policy import cdktf_backend as backend_policy

LOCAL_URL = "http://127.0.0.1:5000"
#: Which provider endpoint serves each resource or data-source type (longest matching prefix wins). A type the
#: stacks start to use that is missing here fails the coverage test below, so the endpoint list cannot fall behind.
TYPE_SERVICES: dict[str, str | None] = {
    "aws_appautoscaling_": "appautoscaling",
    "aws_cloudwatch_log_": "logs",
    "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_config_": "configservice",
    "aws_db_": "rds",
    "aws_rds_": "rds",
    "aws_ecr_": "ecr",
    "aws_ecs_": "ecs",
    "aws_iam_": "iam",
    "aws_kinesis_": "kinesis",
    "aws_kms_": "kms",
    "aws_lambda_": "lambda",
    "aws_networkfirewall_": "networkfirewall",
    "aws_s3_": "s3",
    "aws_secretsmanager_": "secretsmanager",
    "aws_sns_": "sns",
    "aws_sqs_": "sqs",
    "aws_caller_identity": "sts",
    "aws_availability_zones": "ec2",
    "aws_default_security_group": "ec2",
    "aws_eip": "ec2",
    "aws_flow_log": "ec2",
    "aws_internet_gateway": "ec2",
    "aws_nat_gateway": "ec2",
    "aws_route": "ec2",
    "aws_security_group": "ec2",
    "aws_subnet": "ec2",
    "aws_vpc": "ec2",
    # Answered by the provider itself from its configuration: no API call.
    "aws_partition": None,
    "aws_region": None,
}


def service_of(terraform_type: str) -> str | None:
    matches = [prefix for prefix in TYPE_SERVICES if terraform_type.startswith(prefix)]
    assert matches, f"{terraform_type}: which provider endpoint serves it? add it to TYPE_SERVICES"
    return TYPE_SERVICES[max(matches, key=len)]


@pytest.fixture(scope="module")
def local(synth_app):
    """Both stacks, dev profile, synthesized for the emulator."""
    return synth_app({"profile": "dev", "environmentSuffix": "dev"}, environ={"AWS_ENDPOINT_URL": LOCAL_URL})


def provider(synth, stack: str) -> dict:
    (config,) = synth[stack]["provider"]["aws"]
    return config


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("stack", STACKS)
def test_without_aws_endpoint_url_the_provider_targets_aws(synthesized, profile, stack):
    config = provider(synthesized[profile], stack)
    assert "endpoints" not in config
    assert not {key for key in config if key.startswith(("skip_", "s3_use_path_style", "max_retries"))}


@pytest.mark.parametrize("stack", STACKS)
def test_with_aws_endpoint_url_every_service_goes_to_the_emulator(local, stack):
    (endpoints,) = provider(local, stack)["endpoints"]
    expected = {name.rstrip("_"): LOCAL_URL for name in backend_policy.EMULATOR_ENDPOINT_SERVICES}
    assert endpoints == expected


@pytest.mark.parametrize("stack", STACKS)
def test_emulator_provider_settings_come_from_the_policy(local, stack):
    config = provider(local, stack)
    assert {key: config[key] for key in backend_policy.EMULATOR_PROVIDER_SETTINGS} == (
        backend_policy.EMULATOR_PROVIDER_SETTINGS
    )
    # Fail fast on actions the emulator lacks, while still asking STS for the real account id.
    assert 1 <= config["max_retries"] <= 3 and config["skip_requesting_account_id"] is False


@pytest.mark.parametrize("stack", STACKS)
def test_every_service_the_stack_calls_has_an_emulator_endpoint(local, stack):
    listed = {name.rstrip("_") for name in backend_policy.EMULATOR_ENDPOINT_SERVICES}
    used = {service_of(kind) for section in ("resource", "data") for kind in local[stack].get(section, {})}
    assert used - {None} <= listed, sorted(used - {None} - listed)


@pytest.mark.parametrize("stack", STACKS)
def test_the_emulator_changes_only_the_provider_block(synthesized, local, stack):
    aws, emulated = synthesized["dev"][stack], local[stack]
    assert set(emulated) == set(aws)
    for section in set(aws) - {"provider"}:
        assert emulated[section] == aws[section], section
    config = provider(local, stack)
    stripped = {key: value for key, value in config.items() if key != "endpoints"}
    for key in backend_policy.EMULATOR_PROVIDER_SETTINGS:
        stripped.pop(key)
    assert stripped == provider(synthesized["dev"], stack)


def test_a_trailing_slash_is_dropped_from_the_endpoint(synth_app):
    from stacks.streamflix.stack import StreamFlixStack

    synth = synth_app(
        {"profile": "dev", "environmentSuffix": "dev"},
        lambda app: StreamFlixStack(app, "streamflix"),
        environ={"AWS_ENDPOINT_URL": "http://localhost:4566/"},
    )
    assert set(provider(synth, "streamflix")["endpoints"][0].values()) == {"http://localhost:4566"}


@pytest.mark.parametrize("url", ["127.0.0.1:5000", "ftp://127.0.0.1", "http://127.0.0.1:5000/path", "http://"])
def test_a_malformed_endpoint_fails_at_synth_naming_the_variable(synth_app, url):
    from stacks.streamflix.stack import StreamFlixStack

    with pytest.raises(ConfigurationError, match="AWS_ENDPOINT_URL"):
        synth_app(
            {"profile": "dev", "environmentSuffix": "dev"},
            lambda app: StreamFlixStack(app, "streamflix"),
            environ={"AWS_ENDPOINT_URL": url},
        )


def test_emulator_endpoint_reads_an_explicit_environment():
    from constructs_lib.cdktf.provider import emulator_endpoint

    assert emulator_endpoint({}) is None
    assert emulator_endpoint({"AWS_ENDPOINT_URL": "https://emulator.internal:8443"}) == "https://emulator.internal:8443"


def test_with_aws_endpoint_url_s3_state_and_its_lock_file_go_to_the_emulator(synth_app):
    from stacks.streamflix.stack import StreamFlixStack

    context = {"profile": "dev", "environmentSuffix": "dev", "stateBucket": "team-tf-state"}
    build = lambda app: StreamFlixStack(app, "streamflix")  # noqa: E731
    aws = synth_app(context, build)["streamflix"]["terraform"]["backend"]["s3"]
    emulated = synth_app(context, build, environ={"AWS_ENDPOINT_URL": LOCAL_URL})["streamflix"]["terraform"]
    backend = emulated["backend"]["s3"]

    assert backend.pop("endpoints") == {"s3": LOCAL_URL, "sts": LOCAL_URL}
    assert {key: backend.pop(key) for key in backend_policy.EMULATOR_BACKEND_SETTINGS} == (
        backend_policy.EMULATOR_BACKEND_SETTINGS
    )
    # Everything else, the encryption and the lock file included, is the AWS backend unchanged.
    assert backend == aws and backend["use_lockfile"] is True and backend["encrypt"] is True
