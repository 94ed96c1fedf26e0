"""The extension registry: every addition is declared with a reason and has its own test; the helpers that turn
CloudFormation properties into API arguments type them as the API does."""

from __future__ import annotations

import importlib
import json

import pytest

from scripts.emulator import cfn_resource, cloudformation, cloudwatch_alarms, registry, resource_policies
from tests.unit.local_aws import Account

#: Each addition and the test(s) that prove it (module::function). A new addition without an entry fails below.
ADDITION_TESTS: dict[str, list[str]] = {
    "one API call at a time": [
        "test_atomic_calls::test_the_server_answers_concurrent_requests_one_at_a_time",
        "test_atomic_calls::test_a_call_waiting_in_released_lets_another_call_run",
        "test_atomic_calls::test_a_long_poll_waits_without_holding_up_the_send_it_waits_for",
    ],
    "Fn::GetAZs and dynamic references": [
        "test_cloudformation_engine::test_fn_getazs_lists_the_zones_of_the_stack_region",
        "test_cloudformation_engine::test_secretsmanager_dynamic_reference_is_replaced_by_the_secret_value",
        "test_cloudformation_engine::test_ssm_dynamic_reference_is_replaced_by_the_parameter_value",
    ],
    "failed create rolls back": [
        "test_cloudformation_engine::test_a_failed_create_rolls_back_and_reports_the_resource",
        "test_cloudformation_engine::test_a_rollback_that_cannot_delete_ends_rollback_failed",
    ],
    "failed delete keeps the stack": [
        "test_cloudformation_engine::test_a_failed_delete_leaves_the_stack_in_delete_failed_with_the_reason"
    ],
    "UsePreviousValue of a defaulted parameter": [
        "test_cloudformation_engine::test_an_update_keeps_the_previous_value_of_a_defaulted_parameter",
        "test_cloudformation_engine::test_an_update_of_a_passed_parameter_keeps_its_passed_value",
    ],
    "updates it cannot apply are refused first": [
        "test_cloudformation_engine::test_an_update_the_emulator_cannot_apply_is_refused_before_anything_changes",
        "test_cloudformation_engine::test_an_update_of_updatable_resources_goes_through",
    ],
    "termination protection": [
        "test_cloudformation_engine::test_termination_protection_refuses_a_delete_until_switched_off"
    ],
    "stack resources are listed, never re-created": [
        "test_cloudformation_engine::test_a_failed_delete_leaves_the_stack_in_delete_failed_with_the_reason"
    ],
    "change sets: outputs and DeleteChangeSet": [
        "test_cloudformation_engine::test_a_stack_created_from_a_change_set_has_its_outputs",
        "test_cloudformation_engine::test_deleting_a_missing_change_set_answers_change_set_not_found",
    ],
    "delete in dependency order": [
        "test_cloudformation_engine::test_resources_are_deleted_before_what_they_reference",
        "test_cloudformation_engine::test_deletion_order_puts_every_resource_before_its_dependencies",
        "test_cloudformation_engine::test_retained_resources_outlive_their_stack",
    ],
    "Custom::VpcRestrictDefaultSG": [
        "test_network_and_iam::test_restrict_default_security_group_leaves_it_without_rules",
        "test_network_and_iam::test_removing_the_restriction_puts_the_default_rules_back",
    ],
    "default security group rules": [
        "test_network_and_iam::test_a_new_vpc_default_group_admits_its_own_members_and_allows_all_egress"
    ],
    "AWS::EC2::SecurityGroup egress and ingress": [
        "test_network_and_iam::test_security_group_egress_replaces_the_allow_all_rule_and_ingress_keeps_descriptions"
    ],
    "unknown resource types fail the create": [
        "test_cloudformation_engine::test_a_resource_type_nobody_models_fails_the_create_and_cdk_metadata_is_accepted"
    ],
    "AWS::CDK::Metadata": [
        "test_cloudformation_engine::test_a_resource_type_nobody_models_fails_the_create_and_cdk_metadata_is_accepted"
    ],
    "AWS::EC2::SecurityGroupEgress": [
        "test_network_and_iam::test_a_separate_egress_rule_replaces_the_default_allow_all_and_is_revoked_with_its_stack"
    ],
    "AWS::EC2::SubnetRouteTableAssociation": [
        "test_network_and_iam::test_subnet_route_table_associations_are_visible_and_removed_with_the_stack"
    ],
    "deletes for network resources": [
        "test_network_and_iam::test_a_whole_public_network_is_deleted_with_its_stack",
        "test_network_and_iam::test_an_interface_endpoint_is_deleted_with_its_stack",
    ],
    "Elastic IPs in the Resource Groups Tagging API": [
        "test_network_and_iam::test_tagged_elastic_ips_are_listed_by_the_tagging_api",
    ],
    "deletes for ECS resources": [
        "test_services::test_ecs_stack_delete_deactivates_the_cluster_and_deregisters_the_task",
        "test_containers::test_a_cloudformation_service_runs_and_stops_with_its_stack",
    ],
    "no silent leak on delete": [
        "test_cloudformation_engine::test_a_resource_type_the_emulator_cannot_delete_fails_the_delete"
    ],
    "IAM roles and managed policies in stacks": [
        "test_network_and_iam::test_role_managed_policy_arns_are_attached",
        "test_network_and_iam::test_roles_and_customer_managed_policies_delete_cleanly",
    ],
    "RDS instance identity and managed secret": [
        "test_databases::test_every_db_instance_gets_its_own_resource_id",
        "test_databases::test_api_created_instance_reports_performance_insights_and_a_standby_zone",
        "test_databases::test_rds_managed_secret_holds_the_master_username_and_a_fresh_password",
    ],
    "AWS::RDS::DBInstance properties": [
        "test_databases::test_db_instance_template_properties_reach_the_instance",
        "test_databases::test_db_instance_snapshot_policy_takes_a_final_snapshot",
    ],
    "RDS cluster scaling configuration": [
        "test_databases::test_an_api_cluster_with_serverless_v2_reports_no_v1_scaling_block"
    ],
    "automated cluster snapshots go with their cluster": [
        "test_databases::test_aurora_stack_delete_removes_cluster_instances_groups_and_automated_snapshots"
    ],
    "AWS::RDS::DBCluster": [
        "test_databases::test_aurora_cluster_template_creates_the_cluster_with_its_writer",
        "test_databases::test_aurora_snapshot_policy_keeps_a_final_cluster_snapshot",
    ],
    "AWS::RDS::DBClusterParameterGroup": ["test_databases::test_aurora_cluster_parameter_group_holds_its_parameters"],
    "ElastiCache replication group members": [
        "test_databases::test_replication_group_has_one_member_node_per_cache_cluster_in_the_region",
        "test_databases::test_a_deleted_replication_group_and_its_nodes_are_gone",
        "test_databases::test_cache_subnet_groups_can_be_deleted",
    ],
    "AWS::ElastiCache::SubnetGroup": ["test_databases::test_replication_group_stack_delete_leaves_nothing"],
    "AWS::ElastiCache::ReplicationGroup": [
        "test_databases::test_replication_group_template_creates_an_encrypted_group_with_auth",
        "test_databases::test_replication_group_snapshot_policy_keeps_a_final_snapshot",
    ],
    "AWS::CloudWatch::Alarm": ["test_services::test_alarm_template_creates_the_alarm_with_both_actions"],
    "AWS::SecretsManager::Secret": [
        "test_services::test_generated_secret_respects_length_and_excluded_characters",
        "test_services::test_generated_secret_fills_its_template_key",
    ],
    "AWS::SNS::TopicPolicy": ["test_services::test_topic_policy_is_applied_and_the_default_restored_on_delete"],
    "AWS::SQS::QueuePolicy": ["test_services::test_queue_policy_is_applied_and_removed_with_its_stack"],
    "AWS::S3::BucketPolicy": ["test_services::test_bucket_policy_applies_and_a_tls_only_deny_admits_emulator_requests"],
    "aws:SecureTransport in bucket policies": [
        "test_services::test_bucket_policy_applies_and_a_tls_only_deny_admits_emulator_requests",
        "test_services::test_an_unconditional_bucket_deny_still_denies",
    ],
    "AWS::ECS::Cluster and TaskDefinition properties": [
        "test_services::test_ecs_cluster_keeps_container_insights_exec_configuration_and_capacity",
        "test_services::test_task_definition_keeps_its_fargate_settings",
    ],
    "AWS::ECS::ClusterCapacityProviderAssociations": [
        "test_services::test_ecs_cluster_keeps_container_insights_exec_configuration_and_capacity"
    ],
    "AWS::Kinesis::Stream encryption and mode": [
        "test_services::test_stream_is_encrypted_with_the_declared_key_and_mode"
    ],
    "AWS::Logs::LogGroup KmsKeyId": ["test_services::test_log_group_is_encrypted_with_the_declared_key"],
    "AWS::KMS::Key policy, tags and deletion": [
        "test_services::test_key_with_a_policy_object_is_usable_and_rotates",
        "test_services::test_deleting_a_key_schedules_its_deletion_after_the_pending_window",
    ],
    "SQS encryption attributes": ["test_services::test_kms_encrypted_queue_does_not_claim_sqs_managed_encryption"],
    "AWS::Lambda::Function properties": [
        "test_services::test_lambda_function_keeps_encryption_tracing_logging_dlq_and_network"
    ],
    "Network Firewall rule groups, policies, endpoints and delete": [
        "test_terraform_calls::test_rule_groups_read_back_as_created",
        "test_terraform_calls::test_rule_group_update_replaces_its_rules_and_token",
        "test_terraform_calls::test_firewall_policy_references_its_rule_groups_and_refuses_unknown_ones",
        "test_terraform_calls::test_firewall_policy_update_changes_its_default_actions",
        "test_terraform_calls::test_firewall_gets_one_ready_endpoint_per_subnet_that_routes_can_target",
        "test_terraform_calls::test_protection_flags_left_out_read_back_false_as_in_aws",
        "test_terraform_calls::test_a_firewall_needs_an_existing_policy",
        "test_terraform_calls::test_delete_follows_dependencies_and_protection_like_aws",
        "test_terraform_calls::test_firewalls_policies_and_rule_groups_take_tags",
    ],
    "SQS attributes a call does not name are kept; RedriveAllowPolicy": [
        "test_terraform_calls::test_setting_a_redrive_allow_policy_keeps_the_queue_policy_and_reads_back",
        "test_terraform_calls::test_redrive_policy_reads_back_as_compact_json",
    ],
    "S3 access logging into a bucket with ACLs disabled": [
        "test_terraform_calls::test_access_logging_into_an_acl_less_bucket_needs_no_policy_yet",
        "test_terraform_calls::test_access_logging_into_an_acl_bucket_still_needs_the_log_delivery_grant",
    ],
    "VPC flow logs: log group by ARN, destination options": [
        "test_terraform_calls::test_flow_log_to_a_log_group_named_by_arn_delivers",
        "test_terraform_calls::test_flow_log_to_s3_keeps_its_destination_options",
        "test_terraform_calls::test_flow_log_group_name_comes_only_from_a_log_group_arn",
    ],
    "SNS topic attributes SignatureVersion and TracingConfig": [
        "test_terraform_calls::test_topic_reports_its_signature_version_and_tracing"
    ],
    "Kinesis CreateStream tags": ["test_terraform_calls::test_stream_created_with_tags_has_them"],
    "ECS service AvailabilityZoneRebalancing": [
        "test_terraform_calls::test_a_services_availability_zone_rebalancing_reads_back_as_set"
    ],
    "Application Auto Scaling tags": ["test_terraform_calls::test_a_scalable_targets_tags_are_set_listed_and_removed"],
    "description of a security group rule that references a group": [
        "test_terraform_calls::test_a_rule_that_references_a_group_keeps_its_description"
    ],
    "policy conditions on keys a request does not carry": [
        "test_terraform_calls::test_a_deny_of_old_tls_does_not_deny_requests_that_carry_no_tls_version",
        "test_terraform_calls::test_a_conditional_allow_that_does_not_apply_does_not_deny",
        "test_terraform_calls::test_a_deny_whose_condition_holds_still_denies",
        "test_terraform_calls::test_conditions_on_absent_keys_do_not_hold_as_in_iam",
    ],
    # Teardown (dev destroy leaves nothing)
    "a deleted NAT gateway's network interface": [
        "test_nat_gateway_teardown::test_deleting_a_nat_gateway_deletes_its_interface_and_frees_its_address",
        "test_nat_gateway_teardown::test_deleting_one_nat_gateway_keeps_the_other_interfaces",
    ],
    "a NAT gateway whose Elastic IP is taken is created failed": [
        "test_nat_gateway_teardown::test_a_nat_gateway_whose_address_is_taken_is_created_failed_with_no_interface",
    ],
    "stack creation in the background": [
        "test_stack_creation::test_create_stack_answers_at_once_and_resources_appear_over_time",
        "test_stack_creation::test_an_update_while_creating_is_refused_and_goes_through_once_settled",
        "test_stack_creation::test_a_delete_during_creation_waits_for_it_and_leaves_nothing",
        "test_stack_creation::test_a_failure_in_the_background_rolls_back",
        "test_server::test_the_server_creates_stacks_in_the_background_and_serves_the_setting",
    ],
    "default CA certificate of a new DB instance": [
        "test_waiter_answers::test_a_db_instance_created_without_a_ca_gets_the_aws_default_and_a_named_ca_is_kept"
    ],
    # Refusals (the local AWS refuses what AWS refuses)
    "log group keys CloudWatch Logs may not use": [
        "test_refusals::test_a_log_group_key_that_does_not_admit_regional_logs_is_refused",
        "test_refusals::test_a_log_group_key_that_admits_regional_logs_encrypts_the_group",
        "test_refusals::test_a_key_whose_encryption_context_names_other_log_groups_is_refused",
        "test_refusals::test_associate_kms_key_is_judged_like_create",
        "test_refusals::test_key_policy_evaluation_needs_every_action_logs_uses",
    ],
    "log retention CloudWatch does not offer": [
        "test_refusals::test_a_retention_cloudwatch_does_not_offer_is_refused_and_an_offered_one_kept"
    ],
    "engine versions the region does not offer": [
        "test_refusals::test_a_retired_postgres_version_is_refused_and_an_offered_one_created",
        "test_refusals::test_a_retired_aurora_version_is_refused_and_an_offered_one_created",
        "test_refusals::test_a_version_newer_than_the_catalog_is_not_refused",
        "test_refusals::test_retired_and_patch_level_cache_versions_are_refused_and_a_minor_line_created",
    ],
    "Lambda runtimes AWS no longer creates": [
        "test_refusals::test_a_retired_runtime_is_refused_and_a_current_one_created"
    ],
    "MFA delete without MFA": [
        "test_refusals::test_mfa_delete_without_an_mfa_code_is_refused_and_plain_versioning_accepted"
    ],
    "name limits AWS enforces": [
        "test_refusals::test_a_role_name_over_64_characters_is_refused_and_one_of_64_created",
        "test_refusals::test_role_names_cloudformation_makes_up_fit_the_limit",
        "test_refusals::test_a_load_balancer_name_over_32_characters_is_refused_and_one_of_32_created",
    ],
    # The local runtime (what was deployed runs)
    "the runtime stops with a reset and with its server": [
        "test_runtime_functions::test_a_reset_stops_what_the_runtime_started",
    ],
    "Lambda runs its deployed Python code": [
        "test_runtime_functions::test_an_invoked_function_returns_its_handlers_result",
        "test_runtime_functions::test_a_handler_that_raises_answers_function_error_with_the_runtimes_error_shape",
        "test_runtime_functions::test_a_function_that_overruns_its_timeout_is_stopped",
        "test_runtime_functions::test_a_function_sees_boto3_but_not_what_its_zip_does_not_carry",
        "test_runtime_functions::test_code_that_is_no_python_zip_answers_an_error_not_a_crash",
        "test_runtime_functions::test_an_asynchronous_invocation_answers_at_once_and_runs_later",
        "test_runtime_functions::test_a_failed_asynchronous_invocation_is_retried_then_sent_to_its_dead_letter_queue_and_destination",
        "test_runtime_functions::test_what_a_handler_prints_is_in_its_log_group_and_the_log_tail",
        "test_runtime_functions::test_a_function_deployed_by_cloudformation_from_s3_runs_its_code",
    ],
    "Kinesis and SQS event source mappings are polled": [
        "test_runtime_event_sources::test_a_kinesis_mapping_delivers_records_in_batches_from_the_trim_horizon",
        "test_runtime_event_sources::test_a_latest_mapping_skips_what_the_stream_held_before",
        "test_runtime_event_sources::test_a_poison_record_is_isolated_by_bisecting_and_reaches_the_on_failure_queue",
        "test_runtime_event_sources::test_a_failing_batch_is_retried_then_described_to_the_on_failure_topic",
        "test_runtime_event_sources::test_records_older_than_the_maximum_age_go_to_the_destination_unprocessed",
        "test_runtime_event_sources::test_a_deleted_mapping_stops_polling",
        "test_runtime_event_sources::test_a_poller_outlives_a_missing_function_and_delivers_once_it_is_back",
        "test_runtime_event_sources::test_an_sqs_mapping_deletes_on_success_and_leaves_failures_for_the_redrive_policy",
        "test_runtime_event_sources::test_reported_batch_item_failures_alone_stay_in_the_queue",
    ],
    "S3 notifications invoke their function": [
        "test_runtime_event_sources::test_an_s3_put_under_the_prefix_and_suffix_triggers_the_function",
    ],
    "RDS PostgreSQL is served by a local PostgreSQL": [
        "test_runtime_data_stores::test_an_rds_instance_accepts_a_tls_login_with_its_managed_secret",
        "test_runtime_data_stores::test_an_instance_without_a_managed_secret_logs_in_with_its_master_password",
        "test_runtime_data_stores::test_deleting_an_instance_stops_its_server",
        "test_runtime_data_stores::test_two_instances_declaring_the_same_port_each_get_an_address_of_their_own",
        "test_runtime_data_stores::test_an_aurora_cluster_refuses_until_an_instance_joins_and_after_the_last_one_leaves",
        "test_runtime_data_stores::test_a_missing_postgresql_package_fails_the_create_and_names_it",
    ],
    "the data stores' CA certificate is served": [
        "test_runtime_server::test_the_stream_processor_stores_kinesis_records_in_rds_and_sends_the_poison_one_away",
    ],
    "ECS services and tasks run their image as a local process": [
        "test_containers::test_a_service_runs_its_images_entrypoint_with_the_tasks_environment_and_secret",
        "test_containers::test_the_python_of_the_entrypoint_is_the_emulators_interpreter",
        "test_containers::test_a_tasks_output_reaches_its_awslogs_group",
        "test_containers::test_scaling_to_zero_and_deleting_stop_the_processes",
        "test_containers::test_an_image_pushed_after_the_service_was_created_starts_it",
        "test_containers::test_a_task_that_exits_is_stopped_with_its_exit_code_and_replaced",
        "test_containers::test_a_secret_that_cannot_be_resolved_stops_the_task_without_a_process",
        "test_containers::test_run_task_starts_one_process_and_stop_task_stops_it",
        "test_containers::test_an_image_outside_the_emulators_ecr_is_reported_once_and_never_started",
        "test_containers::test_a_cloudformation_service_runs_and_stops_with_its_stack",
        "test_containers::test_a_reset_stops_every_task",
        "test_containers::test_a_forced_new_deployment_replaces_the_tasks_with_the_image_pushed_since",
    ],
    "awsvpc ECS tasks in a VPC without DNS hostnames": [
        "test_containers::test_run_task_starts_one_process_and_stop_task_stops_it",
    ],
    "RunTask of a Fargate task definition": [
        "test_containers::test_run_task_starts_one_process_and_stop_task_stops_it",
    ],
    "ElastiCache Redis is served by a local redis-server": [
        "test_runtime_data_stores::test_a_redis_group_accepts_tls_with_its_auth_token_and_refuses_without",
        "test_runtime_data_stores::test_a_redis_group_without_transit_encryption_speaks_plain_text",
        "test_runtime_data_stores::test_deleting_a_group_stops_its_server_and_a_reset_stops_every_server",
        "test_runtime_data_stores::test_a_missing_redis_package_fails_the_create_and_names_it",
    ],
}


def test_every_addition_has_a_kind_a_reason_and_its_own_test() -> None:
    names = [addition.name for addition in registry.ADDITIONS]
    assert len(names) == len(set(names))
    assert set(names) == set(ADDITION_TESTS)
    for addition in registry.ADDITIONS:
        assert addition.kind in {"model", "fix", "effect", "engine", "refusal"}
        assert len(addition.reason) > 40, addition.name
    for references in ADDITION_TESTS.values():
        for reference in references:
            module, function = reference.split("::")
            assert callable(getattr(importlib.import_module(module), function)), reference


def test_register_applies_the_additions_once() -> None:
    calls = []
    registry._PATCHES.append(lambda: calls.append(1))
    try:
        registry.register()
        assert calls == []
    finally:
        registry._PATCHES.pop()


def test_the_server_lists_the_additions_and_moto_version() -> None:
    from moto.moto_api._internal import urls

    handler = urls.url_paths["{0}" + registry.EXTENSIONS_PATH]
    status, headers, body = handler(None, "", {})
    listed = json.loads(body)
    assert (status, headers["Content-Type"]) == (200, "application/json")
    assert listed["moto"] == "5.2.5"
    assert [item["name"] for item in listed["additions"]] == [a.name for a in registry.ADDITIONS]


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ({"AllocatedStorage": "20"}, {"allocated_storage": 20}),
        ({"MultiAZ": "true"}, {"multi_az": True}),
        ({"MultiAZ": False}, {"multi_az": False}),
        ({"VPCSecurityGroups": ["sg-1"]}, {"vpc_security_group_ids": ["sg-1"]}),
        ({"EnableCloudwatchLogsExports": ["postgresql"]}, {"enable_cloudwatch_logs_exports": ["postgresql"]}),
        ({"Tags": [{"Key": "a", "Value": "b"}]}, {"tags": [{"Key": "a", "Value": "b"}]}),
        ({"Unknown": "kept"}, {"unknown": "kept"}),
    ],
)
def test_properties_become_typed_api_arguments(properties: dict, expected: dict) -> None:
    renames = {"VPCSecurityGroups": "VpcSecurityGroupIds"}
    assert cfn_resource.api_kwargs("rds", "CreateDBInstance", properties, renames) == expected


def test_nested_structures_and_floats_are_typed_by_their_shape() -> None:
    kwargs = cfn_resource.api_kwargs(
        "rds", "CreateDBCluster", {"ServerlessV2ScalingConfiguration": {"MinCapacity": "0.5", "MaxCapacity": 4}}
    )
    assert kwargs == {"serverless_v2_scaling_configuration": {"MinCapacity": 0.5, "MaxCapacity": 4.0}}
    assert cfn_resource.coerce(None, None) is None


def test_physical_names_come_from_moto_objects_or_strings() -> None:
    class Group:
        name = "subnets"

    class Model:
        physical_resource_id = "pid"

    assert [cfn_resource.physical_name(v) for v in ("s", None, Group(), Model())] == ["s", None, "subnets", "pid"]
    odd = object()
    assert cfn_resource.physical_name(odd) is odd


def test_secret_references_pick_a_json_key_and_a_version_stage(aws: Account) -> None:
    secrets = aws.client("secretsmanager")
    arn = secrets.create_secret(Name="staged", SecretString=json.dumps({"user": "u1"}))["ARN"]
    text = f"x-{{{{resolve:secretsmanager:{arn}:SecretString:user:AWSCURRENT}}}}-y"
    assert cloudformation.resolve_dynamic_references(text, aws.account_id, aws.region) == "x-u1-y"
    assert cloudformation.resolve_dynamic_references("{{resolve:secretsmanager:staged}}", aws.account_id, aws.region)


def test_ssm_references_may_name_a_version(aws: Account) -> None:
    aws.client("ssm").put_parameter(Name="/v", Value="one", Type="String")
    text = "{{resolve:ssm:/v:1}}"
    assert cloudformation.resolve_dynamic_references(text, aws.account_id, aws.region) == "one"


def test_a_wrapper_model_refuses_an_attribute_it_does_not_have() -> None:
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

    alarm = cloudwatch_alarms.MetricAlarm("name", "arn:alarm")
    assert alarm.get_cfn_attribute("Arn") == "arn:alarm" and alarm.is_created()
    with pytest.raises(UnformattedGetAttTemplateException):
        alarm.get_cfn_attribute("Nope")


def test_a_wrapper_model_update_replaces_the_resource(aws: Account) -> None:
    aws.client("sqs").create_queue(QueueName="q")
    template = {"Properties": {"PolicyDocument": {"Statement": []}, "Queues": ["https://queue/q"]}}
    first = resource_policies.QueuePolicy.create_from_cloudformation_json("p", template, aws.account_id, aws.region)
    second = resource_policies.QueuePolicy.update_from_cloudformation_json(
        first, "p2", template, aws.account_id, aws.region
    )
    assert second.physical_resource_id == "p2"
