"""CloudFormation engine semantics moto lacks: the stack region's AZs, dynamic references, rollback of a failed
create, DELETE_FAILED, dependency-ordered deletes, termination protection, change sets and update prechecks."""

from __future__ import annotations

import json
import re
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import CloudFormationError, ValidationError

from scripts.emulator.registry import addition

_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:(secretsmanager|ssm|ssm-secure):(.+?)\}\}")


def resolve_dynamic_references(text: str, account_id: str, region_name: str) -> str:
    """``{{resolve:secretsmanager:...}}`` and ``{{resolve:ssm:...}}`` replaced by the values they name."""

    def value_of(match: re.Match[str]) -> str:
        service, body = match.group(1), match.group(2)
        if service == "secretsmanager":
            return _secret_reference(body, account_id, region_name)
        from moto.ssm.models import ssm_backends

        name, _, version = body.partition(":")
        parameter = ssm_backends[account_id][region_name].get_parameter(f"{name}:{version}" if version else name)
        return parameter.value

    return _DYNAMIC_REFERENCE.sub(value_of, text)


def _secret_reference(body: str, account_id: str, region_name: str) -> str:
    """``secret-id[:SecretString[:json-key[:version-stage[:version-id]]]]``; the id may be an ARN (colons)."""
    from moto.secretsmanager.models import secretsmanager_backends

    secret_id, _, rest = body.partition(":SecretString")
    json_key, version_stage, version_id = ([*rest.lstrip(":").split(":"), "", "", ""])[:3]
    response = secretsmanager_backends[account_id][region_name].get_secret_value(
        secret_id, version_id or None, version_stage or None
    )
    value = response["SecretString"]
    return str(json.loads(value)[json_key]) if json_key else value


@addition(
    "Fn::GetAZs and dynamic references",
    "engine",
    "moto answers Fn::GetAZs '' with us-east-1 zones in every region (subnets of a eu-west-2 stack fail) and passes "
    "{{resolve:secretsmanager:...}} through literally (the Redis AUTH token would be that text)",
)
def _patch_clean_json() -> None:
    original = parsing.clean_json

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        if isinstance(resource_json, dict) and "Fn::GetAZs" in resource_json:
            region = original(resource_json["Fn::GetAZs"], resources_map) or resources_map["AWS::Region"]
            return availability_zones(resources_map["AWS::AccountId"], region)
        cleaned = original(resource_json, resources_map)
        if isinstance(cleaned, str) and "{{resolve:" in cleaned:
            return resolve_dynamic_references(cleaned, resources_map["AWS::AccountId"], resources_map["AWS::Region"])
        return cleaned

    parsing.clean_json = clean_json


def availability_zones(account_id: str, region_name: str) -> list[str]:
    """The zone names moto's EC2 reports for ``region_name``."""
    from moto.ec2.models import ec2_backends

    zones = ec2_backends[account_id][region_name].describe_availability_zones()
    return sorted(zone.name for zone in zones)


class ResourceCreateFailedError(Exception):
    """A resource of a stack could not be created; carries its logical id for the stack events."""

    def __init__(self, logical_id: str, resource_type: str, error: Exception) -> None:
        super().__init__(f"{logical_id} ({resource_type}): {error}")
        self.logical_id = logical_id
        self.resource_type = resource_type
        self.error = error


@addition(
    "failed create rolls back",
    "engine",
    "moto answers a resource that fails to create with an HTTP error and leaves the stack CREATE_IN_PROGRESS for "
    "ever; CloudFormation reports CREATE_FAILED on the resource, deletes what it created and ends in "
    "ROLLBACK_COMPLETE, which is what the CDK CLI (and a re-deploy after an interruption) expects",
)
def _patch_create_failure() -> None:
    original_create = parsing.parse_and_create_resource

    def parse_and_create_resource(
        logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str, region_name: str
    ) -> Any:
        try:
            return original_create(logical_id, resource_json, resources_map, account_id, region_name)
        except ResourceCreateFailedError:
            raise
        except Exception as error:
            raise ResourceCreateFailedError(logical_id, resource_json.get("Type", "?"), error) from error

    parsing.parse_and_create_resource = parse_and_create_resource
    original_resources = cfn_models.Stack.create_resources

    def create_resources(self: cfn_models.Stack) -> None:
        try:
            original_resources(self)
        except ResourceCreateFailedError as failure:
            _resource_event(self, failure.logical_id, failure.resource_type, "CREATE_FAILED", str(failure.error))
            self.status = "ROLLBACK_IN_PROGRESS"
            self._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=f"{failure.logical_id} failed")
            try:
                self.resource_map.delete()
            except Exception as error:
                self.status = "ROLLBACK_FAILED"
                self._add_stack_event("ROLLBACK_FAILED", resource_status_reason=str(error))
            else:
                self.status = "ROLLBACK_COMPLETE"
                self._add_stack_event("ROLLBACK_COMPLETE")

    cfn_models.Stack.create_resources = create_resources


@addition(
    "failed delete keeps the stack",
    "engine",
    "moto drops a stack whose resource fails to delete and answers HTTP 500, leaving its resources orphaned; "
    "CloudFormation keeps it in DELETE_FAILED with the reason, so a failed destroy is visible and can be retried "
    "(and refuses to delete a stack with termination protection on)",
)
def _patch_delete_failure() -> None:
    original = cfn_models.CloudFormationBackend.delete_stack

    def delete_stack(self: cfn_models.CloudFormationBackend, name_or_stack_id: str) -> None:
        stack = self.stacks.get(name_or_stack_id) or next(
            (candidate for candidate in self.stacks.values() if candidate.name == name_or_stack_id), None
        )
        if stack is None:
            return original(self, name_or_stack_id)
        if stack.enable_termination_protection:
            raise ValidationError(
                message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
            )
        try:
            return original(self, stack.stack_id)
        except Exception as error:
            self.deleted_stacks.pop(stack.stack_id, None)
            self.stacks[stack.stack_id] = stack
            stack.status = "DELETE_FAILED"
            stack._add_stack_event("DELETE_FAILED", resource_status_reason=str(error))
            return None

    cfn_models.CloudFormationBackend.delete_stack = delete_stack


@addition(
    "stack resources are listed, never re-created",
    "engine",
    "moto lists a stack's resources by walking its lazy resource map, which creates any resource not created yet: "
    "listing a half-deleted stack re-created what the delete had removed",
)
def _patch_stack_resources() -> None:
    def stack_resources(self: cfn_models.Stack) -> list[Any]:
        created = self.resource_map._parsed_resources
        return [created[name] for name in self.resource_map._resource_json_map if name in created]

    cfn_models.Stack.stack_resources = property(stack_resources)


class ChangeSetNotFoundError(CloudFormationError):
    """What CloudFormation answers for a change set that does not exist."""

    def __init__(self, name: str) -> None:
        super().__init__("ChangeSetNotFound", f"ChangeSet [{name}] does not exist")


@addition(
    "change sets: outputs and DeleteChangeSet",
    "engine",
    "a stack created from a change set (how `cdk bootstrap` deploys) kept the empty template's outputs, so the CLI "
    "found no BootstrapVersion; and DeleteChangeSet of a missing change set crashed (HTTP 500, retried for ~50 s by "
    "`cdk diff`) where CloudFormation answers ChangeSetNotFound",
)
def _patch_change_sets() -> None:
    original_execute = cfn_models.CloudFormationBackend.execute_change_set

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        original_execute(self, change_set_name, stack_name)
        change_set = self.change_sets.get(change_set_name) or next(
            item for item in self.change_sets.values() if item.change_set_name == change_set_name
        )
        stack = self.stacks[change_set.stack_id]
        stack._parse_template()
        stack.description = stack.template_dict.get("Description")
        stack.output_map = stack._create_output_map()

    def delete_change_set(self: Any, change_set_name: str) -> None:
        key = (
            change_set_name
            if change_set_name in self.change_sets
            else next((arn for arn, item in self.change_sets.items() if item.change_set_name == change_set_name), None)
        )
        if key is None:
            raise ChangeSetNotFoundError(change_set_name)
        del self.change_sets[key]

    cfn_models.CloudFormationBackend.execute_change_set = execute_change_set
    cfn_models.CloudFormationBackend.delete_change_set = delete_change_set


_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def template_references(node: Any) -> set[str]:
    """Logical ids a template fragment refers to: Ref, Fn::GetAtt, and ${Name} inside Fn::Sub."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else str(value).split(".")[0])
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                found.update(_SUB_NAME.findall(text))
                if isinstance(value, list):
                    found.update(template_references(value[1]))
            else:
                found.update(template_references(value))
    elif isinstance(node, list):
        for item in node:
            found.update(template_references(item))
    return found


def deletion_order(resources: dict[str, Any]) -> list[str]:
    """Logical ids, every resource before the ones it depends on (CloudFormation's delete order)."""
    depends: dict[str, set[str]] = {}
    for name, body in resources.items():
        declared = body.get("DependsOn", [])
        declared = [declared] if isinstance(declared, str) else declared
        depends[name] = (template_references(body) | set(declared)) & set(resources) - {name}
    created: list[str] = []
    placed: set[str] = set()

    def place(name: str, path: tuple[str, ...] = ()) -> None:
        if name in placed or name in path:
            return
        for dependency in sorted(depends[name]):
            place(dependency, (*path, name))
        placed.add(name)
        created.append(name)

    for name in resources:
        place(name)
    return list(reversed(created))


def _already_gone(error: Exception) -> bool:
    """CloudFormation counts a resource whose delete says 'not found' as deleted."""
    code = getattr(error, "error_type", "") or getattr(error, "code", "") or type(error).__name__
    return "NotFound" in str(code)


@addition(
    "delete in dependency order",
    "engine",
    "moto deletes a stack's resources in arbitrary order and retries failures, so a route was deleted after its "
    "route table (NotFound, DELETE_FAILED); CloudFormation deletes each resource before the ones it references, "
    "keeps Retain resources and counts 'not found' as deleted",
)
def _patch_delete_order() -> None:
    def delete(self: Any) -> None:
        resources = self._resource_json_map
        retained = {"Retain", "RetainExceptOnCreate"}
        remaining = [
            name for name in deletion_order(resources) if resources[name].get("DeletionPolicy") not in retained
        ]
        dependents = {
            name: {other for other in resources if name in template_references(resources[other])} for name in resources
        }
        last_error: Exception | None = None
        while remaining:
            progressed = False
            for name in list(remaining):
                if dependents[name] & set(remaining):
                    continue
                created = self._parsed_resources.get(name)
                try:
                    if created is not None and not isinstance(created, str | int | float | list | dict):
                        self._delete_resource(created, resources[name])
                except Exception as error:
                    if not _already_gone(error):
                        last_error = error
                        continue
                self._parsed_resources.pop(name, None)
                remaining.remove(name)
                progressed = True
            if not progressed:
                raise last_error or ValidationError(message=f"cannot delete {remaining}")

    parsing.ResourceMap.delete = delete


@addition(
    "termination protection",
    "engine",
    "moto stores EnableTerminationProtection but never enforces it and has no UpdateTerminationProtection: a prod "
    "stack's protection against `cdk destroy` could not be shown, or switched off on purpose",
)
def _patch_termination_protection() -> None:
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import ActionResult

    def update_termination_protection(self: Any) -> Any:
        stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
        stack.enable_termination_protection = self._get_bool_param("EnableTerminationProtection", False)
        return ActionResult({"StackId": stack.stack_id})

    CloudFormationResponse.update_termination_protection = update_termination_protection


@addition(
    "UsePreviousValue of a defaulted parameter",
    "engine",
    "on an update moto looks up a UsePreviousValue parameter only among the values passed at create, so a parameter "
    "that took its Default (CDK's BootstrapVersion) raised KeyError (HTTP 500): every second `cdk deploy` of a "
    "changed stack failed; CloudFormation keeps the previous value, here the Default",
)
def _patch_previous_parameter_values() -> None:
    def resolve(self: Any, instance: Any, incoming_params: list[dict[str, Any]]) -> dict[str, Any]:
        declared = (getattr(instance, "template_dict", None) or {}).get("Parameters", {})
        resolved: dict[str, Any] = {}
        for parameter in incoming_params:
            key = parameter["ParameterKey"]
            if "ParameterValue" in parameter:
                resolved[key] = parameter["ParameterValue"]
            elif parameter.get("UsePreviousValue"):
                if key in instance.parameters:
                    resolved[key] = instance.parameters[key]
                elif "Default" in declared.get(key, {}):
                    resolved[key] = declared[key]["Default"]
        return resolved

    cfn_models.CloudFormationBackend._resolve_update_parameters = resolve


def updatable(resource_type: str) -> bool:
    """Whether the emulator can apply a changed definition of ``resource_type`` to a live resource."""
    resource_class = parsing.resource_class_from_type(resource_type)
    if resource_class is None:
        return True  # metadata-only types: nothing to update
    return not hasattr(resource_class.update_from_cloudformation_json, "__isabstractmethod__")


@addition(
    "updates it cannot apply are refused first",
    "engine",
    "moto 'updates' a changed resource whose model has no update by replacing it with nothing (every later GetAtt "
    "on it fails, after other resources were already changed); an update is now refused before anything changes, "
    "naming the resources (destroy and deploy again)",
)
def _patch_update_precheck() -> None:
    original = cfn_models.Stack.update

    def update(self: Any, template: str, *args: Any, **kwargs: Any) -> None:
        new_template = self.parse_template(template)
        modified = self.resource_map.build_resource_diff(new_template)["Modify"]
        resources = new_template.get("Resources", {})
        refused = sorted(
            f"{name} ({resources[name]['Type']})" for name in modified if not updatable(resources[name]["Type"])
        )
        if refused:
            raise ValidationError(
                message=f"the emulator cannot update in place: {', '.join(refused)}; destroy the stack and deploy again"
            )
        original(self, template, *args, **kwargs)

    cfn_models.Stack.update = update


def _resource_event(stack: Any, logical_id: str, resource_type: str, status: str, reason: str) -> None:
    stack.events.append(
        cfn_models.Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id="",
            resource_type=resource_type,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )
