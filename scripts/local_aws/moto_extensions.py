"""Every addition this repository makes to moto 5.2.5, so the stacks deploy to it unchanged and read back true.

moto is the local AWS. Its CloudFormation skips resource types it has no model for, drops properties it does not
map, and a few of its services have bugs a real deployment would never show. None of that may be worked around in a
stack (a control switched off locally is a control never tested), so the emulator is taught instead, here, in one
place. :func:`register` applies everything before the server answers its first request; each addition is listed in
:data:`ADDITIONS` with the reason it exists, served at ``/moto-api/extensions``, and has its own test in
``tests/unit/emulator/``.

Kinds of addition:

- ``model``: a CloudFormation resource type moto lacks (a small class that calls moto's own backend, so the resource
  is exactly what the service API would have created).
- ``fix``: an existing model or backend that drops properties or misbehaves; wrapped, never edited in place.
- ``effect``: a CDK custom resource whose Lambda cannot run here; its effect on the account is applied directly.
- ``engine``: CloudFormation semantics moto lacks (AZs of the stack's region, dynamic references, rollback of a failed
  create, DELETE_FAILED, dependency-ordered deletes, termination protection, and loud failures where moto would
  silently skip a type, leak a resource on delete or half-apply an update).

The cdktf stacks reach moto through Terraform's API calls rather than CloudFormation; what they need is in the last
section (``fix`` additions to the services' backends and response classes: moto dispatches each API action to the
response-class method of the same snake_case name, so a missing action is a method added there).

Class attributes are what moto reads (``cloudformation_type`` and friends), so each model is a plain class deriving
from moto's ``CloudFormationModel``; moto finds models through ``__subclasses__``, which is why importing this module
defines them and :func:`register` then clears moto's cached model map.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from typing import Any, ClassVar

from botocore import xform_name
from botocore.session import get_session
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import CloudFormationError, UnformattedGetAttTemplateException, ValidationError
from moto.core.common_models import CloudFormationModel
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult

#: Path under which the running server lists :data:`ADDITIONS` (also the emulator's health check).
EXTENSIONS_PATH = "/moto-api/extensions"


@dataclass(frozen=True)
class Addition:
    """One thing this module adds to moto: what, which kind, and why our stacks need it."""

    name: str
    kind: str
    reason: str


ADDITIONS: list[Addition] = []
_PATCHES: list[Callable[[], None]] = []
_registered = False


def addition(name: str, kind: str, reason: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Declare a patch function: listed in :data:`ADDITIONS`, applied once by :func:`register`."""

    def declare(apply: Callable[[], None]) -> Callable[[], None]:
        ADDITIONS.append(Addition(name, kind, reason))
        _PATCHES.append(apply)
        return apply

    return declare


def model(cls: type[CloudFormationModel]) -> type[CloudFormationModel]:
    """Declare a new CloudFormation model: the class docstring's first line is its reason."""
    ADDITIONS.append(Addition(cls.cloudformation_type(), "model", (cls.__doc__ or "").strip().split("\n")[0]))
    return cls


def register() -> None:
    """Apply every addition (idempotent) and expose the list at :data:`EXTENSIONS_PATH`."""
    global _registered
    if _registered:
        return
    for apply in _PATCHES:
        apply()
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    _serve_extension_list()
    _registered = True


def describe() -> dict[str, Any]:
    """What ``/moto-api/extensions`` answers: moto's version and every addition."""
    return {"moto": metadata.version("moto"), "additions": [asdict(item) for item in ADDITIONS]}


def _serve_extension_list() -> None:
    from moto.moto_api._internal import urls

    def respond(_request: Any, _full_url: str, _headers: Any) -> tuple[int, dict[str, str], str]:
        return 200, {"Content-Type": "application/json"}, json.dumps(describe())

    urls.url_paths["{0}" + EXTENSIONS_PATH] = respond


# ---------------------------------------------------------------------------------------------------------------------
# Shared helpers: CloudFormation properties -> the keyword arguments of the same service API call.
# ---------------------------------------------------------------------------------------------------------------------


@functools.cache
def _input_shape(service: str, operation: str) -> Any:
    return get_session().get_service_model(service).operation_model(operation).input_shape


def _coerce(value: Any, shape: Any) -> Any:
    """A CloudFormation value typed as the API shape wants it (templates carry many numbers as strings)."""
    if value is None or shape is None:
        return value
    kind = shape.type_name
    if kind in ("integer", "long"):
        return int(value)
    if kind in ("double", "float"):
        return float(value)
    if kind == "boolean":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    if kind == "list" and isinstance(value, list):
        return [_coerce(item, shape.member) for item in value]
    if kind == "structure" and isinstance(value, dict):
        return {key: _coerce(item, shape.members.get(key)) for key, item in value.items()}
    return value


def api_kwargs(
    service: str, operation: str, properties: dict[str, Any], renames: dict[str, str] | None = None
) -> dict[str, Any]:
    """CloudFormation ``properties`` as moto's backend takes the API call ``operation``: snake_case, typed.

    ``renames`` maps CloudFormation names to the API's where they differ (``VPCSecurityGroups`` ->
    ``VpcSecurityGroupIds``). Nested structures keep their PascalCase keys, as moto's request parser leaves them.
    """
    shape = _input_shape(service, operation)
    kwargs: dict[str, Any] = {}
    for name, value in properties.items():
        api_name = (renames or {}).get(name, name)
        kwargs[xform_name(api_name)] = _coerce(value, shape.members.get(api_name))
    return kwargs


def physical_name(value: Any) -> Any:
    """What ``Ref`` to a moto object means when moto returns the object itself (subnet and parameter groups)."""
    if isinstance(value, str) or value is None:
        return value
    for attribute in ("physical_resource_id", "name"):
        found = getattr(value, attribute, None)
        if isinstance(found, str):
            return found
    return value


def tag_map(tags: Iterable[dict[str, str]] | None) -> dict[str, str]:
    """CloudFormation's ``[{"Key": k, "Value": v}]`` as ``{k: v}``."""
    return {tag["Key"]: tag["Value"] for tag in tags or []}


def random_id(length: int, alphabet: str = string.ascii_uppercase + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


class _Attributes:
    """GetAtt support for the wrapper models: a dict of attribute name -> callable."""

    ATTRIBUTES: ClassVar[dict[str, Callable[[Any], Any]]] = {}

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name not in self.ATTRIBUTES:
            raise UnformattedGetAttTemplateException()
        return self.ATTRIBUTES[attribute_name](self)


class WrapperModel(_Attributes):
    """Base of the models below: remembers its physical id and the resource's DeletionPolicy.

    Each model lists ``CloudFormationModel`` as a direct base too: moto finds models through
    ``CloudFormationModel.__subclasses__()``, which holds direct subclasses only.

    Models of resources that hold data have no update: the emulator refuses such an update up front rather than
    replace a database. Stateless ones (policies, alarms, rules) mix in :class:`Replaceable`.
    """

    def __init__(self, physical_resource_id: str, deletion_policy: str | None = None) -> None:
        self._physical_resource_id = physical_resource_id
        self.deletion_policy = deletion_policy or "Delete"

    @property
    def physical_resource_id(self) -> str:
        return self._physical_resource_id

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    def is_created(self) -> bool:
        return True


class Replaceable:
    """Update by replacement (delete, then create): right for stateless resources whose definition changed."""

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)


# ---------------------------------------------------------------------------------------------------------------------
# CloudFormation engine
# ---------------------------------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------------------------------
# Custom resources: the effect of CDK's provider Lambdas, which cannot run here
# ---------------------------------------------------------------------------------------------------------------------


class RestrictDefaultSecurityGroup(Replaceable, WrapperModel, CloudFormationModel):
    """CDK's ``restrict_default_security_group``: every rule of the VPC's default security group is revoked.

    The CDK handler revokes the default group's ingress (from itself) and egress (to anywhere) rules on create and
    puts them back on delete; this does the same with moto's EC2 backend.
    """

    def __init__(self, group_id: str, account_id: str, region_name: str) -> None:
        super().__init__(f"{group_id}-restricted")
        self.group_id = group_id
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_type() -> str:
        return "Custom::VpcRestrictDefaultSG"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> RestrictDefaultSecurityGroup:
        from moto.ec2.models import ec2_backends

        group_id = cloudformation_json["Properties"]["DefaultSecurityGroupId"]
        backend = ec2_backends[account_id][region_name]
        group = backend.get_security_group_by_name_or_id(group_id)
        if group is None:
            raise ValidationError(message=f"default security group {group_id} not found")
        if group.ingress_rules:
            backend.revoke_security_group_ingress(
                group_id, None, None, None, [], security_rule_ids=[rule.id for rule in group.ingress_rules]
            )
        if group.egress_rules:
            backend.revoke_security_group_egress(
                group_id, None, None, None, [], security_rule_ids=[rule.id for rule in group.egress_rules]
            )
        return cls(group_id, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.ec2.models import ec2_backends

        backend = ec2_backends[account_id][region_name]
        if backend.get_security_group_by_name_or_id(self.group_id) is None:
            return
        backend.authorize_security_group_ingress(
            self.group_id, "-1", None, None, [], source_groups=[{"GroupId": self.group_id}]
        )
        backend.authorize_security_group_egress(self.group_id, "-1", None, None, [{"CidrIp": "0.0.0.0/0"}])


class UnemulatedCustomResource(WrapperModel, CloudFormationModel):
    """Any other custom resource: fails at once with the reason, instead of waiting for a Lambda that never runs."""

    @staticmethod
    def cloudformation_type() -> str:
        return "Custom::*"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> UnemulatedCustomResource:
        raise ValidationError(
            message=f"{kwargs.get('ResourceType')}: its provider Lambda cannot run in the local emulator and "
            "scripts/local_aws/moto_extensions.py registers no effect for it"
        )


#: Custom resource types whose effect the emulator applies itself.
CUSTOM_RESOURCE_EFFECTS: dict[str, type[WrapperModel]] = {
    RestrictDefaultSecurityGroup.cloudformation_type(): RestrictDefaultSecurityGroup,
}


@addition(
    "Custom::VpcRestrictDefaultSG",
    "effect",
    "the VPC's default security group must be left with no rules (CIS 5.4); CDK does it with a provider Lambda that "
    "cannot run here, so the effect is applied directly; any other custom resource fails fast with the reason",
)
def _patch_custom_resources() -> None:
    original = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> Any:
        if resource_type in CUSTOM_RESOURCE_EFFECTS:
            return CUSTOM_RESOURCE_EFFECTS[resource_type]
        if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource":
            return UnemulatedCustomResource
        return original(resource_type)

    parsing.resource_class_from_type = resource_class_from_type


@model
class CdkMetadata(Replaceable, WrapperModel, CloudFormationModel):
    """CDK's analytics metadata resource: no effect on the account, but CloudFormation lists it like any other."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CDK::Metadata"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> CdkMetadata:
        return cls(resource_name)

    def delete(self, account_id: str, region_name: str) -> None:
        """Nothing exists to delete."""


#: Resource types with no effect on the account that moto itself accepts without a model.
METADATA_ONLY_TYPES = frozenset(parsing.NULL_MODELS)


class UnsupportedResourceType(WrapperModel, CloudFormationModel):
    """A resource type neither moto nor this module models: its create fails and names it."""

    @staticmethod
    def cloudformation_type() -> str:
        return "Unsupported::*"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> UnsupportedResourceType:
        raise ValidationError(
            message=f"the emulator has no model for {kwargs.get('ResourceType')}: add one to "
            "scripts/local_aws/moto_extensions.py"
        )


@addition(
    "unknown resource types fail the create",
    "engine",
    "moto skips a resource type it has no model for, with a log line, and reports CREATE_COMPLETE: a stack could "
    "'deploy' without its egress rules or endpoints; now the create fails and names the type",
)
def _patch_unknown_types() -> None:
    original = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> Any:
        found = original(resource_type)
        if found is None and resource_type not in METADATA_ONLY_TYPES:
            return UnsupportedResourceType
        return found

    parsing.resource_class_from_type = resource_class_from_type


# ---------------------------------------------------------------------------------------------------------------------
# EC2
# ---------------------------------------------------------------------------------------------------------------------


@addition(
    "default security group rules",
    "fix",
    "moto creates a VPC's default security group without its ingress-from-itself rule, so removing the default "
    "rules could not be observed",
)
def _patch_default_security_group() -> None:
    from moto.ec2.models.security_groups import SecurityGroup, SecurityGroupRule

    original = SecurityGroup.__init__

    def init(
        self: Any, ec2_backend: Any, group_id: str, name: str, description: str, *args: Any, **kwargs: Any
    ) -> None:
        original(self, ec2_backend, group_id, name, description, *args, **kwargs)
        if self.is_default and self.vpc_id:
            account = ec2_backend.account_id
            source = {"GroupId": group_id, "UserId": account, "OwnerId": account}
            self.ingress_rules.append(
                SecurityGroupRule(ec2_backend, "-1", group_id, None, None, None, source_group=source, is_egress=False)
            )

    SecurityGroup.__init__ = init


def _security_group_rule(rule: dict[str, Any], *, egress: bool) -> dict[str, Any]:
    """A CloudFormation ingress/egress rule as moto's authorize_security_group_* keyword arguments."""
    ip_ranges: list[dict[str, str]] = []
    if "CidrIp" in rule:
        ip_ranges.append(
            {"CidrIp": rule["CidrIp"], **({"Description": rule["Description"]} if "Description" in rule else {})}
        )
    if "CidrIpv6" in rule:
        ip_ranges.append({"CidrIpv6": rule["CidrIpv6"]})
    peer = rule.get("DestinationSecurityGroupId" if egress else "SourceSecurityGroupId")
    return {
        "ip_protocol": str(rule["IpProtocol"]),
        "from_port": rule.get("FromPort"),
        "to_port": rule.get("ToPort"),
        "ip_ranges": ip_ranges,
        "source_groups": [{"GroupId": peer}] if peer else [],
    }


@addition(
    "AWS::EC2::SecurityGroup egress and ingress",
    "fix",
    "moto's model ignores SecurityGroupEgress (a group CDK closes to all outbound traffic keeps the allow-all rule) "
    "and mishandles CidrIp ingress",
)
def _patch_security_group_rules() -> None:
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.security_groups import SecurityGroup

    original = SecurityGroup.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        properties = dict(cloudformation_json["Properties"])
        ingress = properties.pop("SecurityGroupIngress", [])
        egress = properties.pop("SecurityGroupEgress", None)
        group = original(cls, resource_name, {**cloudformation_json, "Properties": properties}, account_id, region_name)
        backend = ec2_backends[account_id][region_name]
        for rule in ingress:
            backend.authorize_security_group_ingress(group.id, **_security_group_rule(rule, egress=False))
        if egress is not None:
            if group.egress_rules:
                backend.revoke_security_group_egress(
                    group.id, None, None, None, [], security_rule_ids=[rule.id for rule in group.egress_rules]
                )
            for rule in egress:
                backend.authorize_security_group_egress(group.id, **_security_group_rule(rule, egress=True))
        return group

    SecurityGroup.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


@model
class SecurityGroupEgressRule(Replaceable, WrapperModel, CloudFormationModel):
    """Stand-alone egress rules (CDK's 'disallow all' rule of a closed group): no model in moto, so the group kept
    its allow-all egress; as in CloudFormation, adding one strips the group's default allow-all rule."""

    def __init__(self, group_id: str, rule: dict[str, Any]) -> None:
        super().__init__(f"{group_id}-egress-{random_id(8).lower()}")
        self.group_id = group_id
        self.rule = rule

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::EC2::SecurityGroupEgress"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> SecurityGroupEgressRule:
        properties = cloudformation_json["Properties"]
        backend = _ec2_backend(account_id, region_name)
        group = backend.get_security_group_by_name_or_id(properties["GroupId"])
        if group is None:
            raise ValidationError(message=f"security group {properties['GroupId']} not found")
        defaults = [
            rule
            for rule in group.egress_rules
            if rule.ip_protocol == "-1" and rule.ip_range.get("CidrIp") == "0.0.0.0/0" and not rule.source_group
        ]
        if defaults and len(defaults) == len(group.egress_rules):
            default_ids = [default.id for default in defaults]
            backend.revoke_security_group_egress(group.id, None, None, None, [], security_rule_ids=default_ids)
        rule = _security_group_rule(properties, egress=True)
        backend.authorize_security_group_egress(group.id, **rule)
        return cls(group.id, rule)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _ec2_backend(account_id, region_name)
        if backend.get_security_group_by_name_or_id(self.group_id) is not None:
            backend.revoke_security_group_egress(self.group_id, **self.rule)


@addition(
    "AWS::EC2::SubnetRouteTableAssociation",
    "fix",
    "moto's model records the association where no route table sees it: DescribeRouteTables lists no subnets, so "
    "which tier reaches the internet (isolated subnets must not) could not be checked",
)
def _patch_route_table_association() -> None:
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.subnets import SubnetRouteTableAssociation

    def create_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        properties = cloudformation_json["Properties"]
        association = cls(properties["RouteTableId"], properties["SubnetId"])
        association.association_id = ec2_backends[account_id][region_name].associate_route_table(
            properties["RouteTableId"], subnet_id=properties["SubnetId"]
        )
        return association

    def delete(self: Any, account_id: str, region_name: str) -> None:
        ec2_backends[account_id][region_name].disassociate_route_table(self.association_id)

    SubnetRouteTableAssociation.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    SubnetRouteTableAssociation.physical_resource_id = property(
        lambda self: getattr(self, "association_id", self.route_table_id)
    )
    SubnetRouteTableAssociation.delete = delete


def _ec2_backend(account_id: str, region_name: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region_name]


@addition(
    "deletes for network resources",
    "fix",
    "moto's CloudFormation has no delete for EIPs, flow logs, internet gateways and their attachments, NAT gateways, "
    "routes, route tables, ingress rules and VPC endpoints: it forgot them and left them in EC2, so the VPC could "
    "never be deleted (DELETE_FAILED) and a destroyed stack left its network behind",
)
def _patch_network_deletes() -> None:
    from moto.ec2.models.elastic_ip_addresses import ElasticAddress
    from moto.ec2.models.flow_logs import FlowLogs
    from moto.ec2.models.internet_gateways import InternetGateway
    from moto.ec2.models.nat_gateways import NatGateway
    from moto.ec2.models.route_tables import Route, RouteTable
    from moto.ec2.models.security_groups import SecurityGroupIngress
    from moto.ec2.models.vpcs import VPCEndPoint
    from moto.ec2.models.vpn_gateway import VPCGatewayAttachment

    def release_address(self: Any, account_id: str, region_name: str) -> None:
        backend = _ec2_backend(account_id, region_name)
        if self in backend.addresses:
            backend.release_address(address=self.public_ip)

    def delete_flow_log(self: Any, account_id: str, region_name: str) -> None:
        _ec2_backend(account_id, region_name).delete_flow_logs([self.id])

    def delete_internet_gateway(self: Any, account_id: str, region_name: str) -> None:
        _ec2_backend(account_id, region_name).delete_internet_gateway(self.id)

    def detach_gateway(self: Any, account_id: str, region_name: str) -> None:
        backend = _ec2_backend(account_id, region_name)
        if self.gateway_id in backend.internet_gateways:
            backend.detach_internet_gateway(self.gateway_id, self.vpc_id)
            return
        # moto's VPN attachment does not record its gateway: find the gateway holding this attachment.
        for gateway in backend.vpn_gateways.values():
            if gateway.attachments.get(self.vpc_id) is self:
                backend.detach_vpn_gateway(gateway.id, self.vpc_id)

    def delete_nat_gateway(self: Any, account_id: str, region_name: str) -> None:
        backend = _ec2_backend(account_id, region_name)
        backend.delete_nat_gateway(self.id)
        for address in backend.addresses:
            if address.eni is self._eni:
                backend.disassociate_address(address=address.public_ip)
        backend.enis.pop(self._eni.id, None)

    def delete_route(self: Any, account_id: str, region_name: str) -> None:
        _ec2_backend(account_id, region_name).delete_route(
            self.route_table.id,
            self.destination_cidr_block,
            self.destination_ipv6_cidr_block,
            self.destination_prefix_list.id if self.destination_prefix_list else None,
        )

    def delete_route_table(self: Any, account_id: str, region_name: str) -> None:
        _ec2_backend(account_id, region_name).delete_route_table(self.id)

    def delete_endpoint(self: Any, account_id: str, region_name: str) -> None:
        _ec2_backend(account_id, region_name).delete_vpc_endpoints([self.id])

    def revoke_ingress(self: Any, account_id: str, region_name: str) -> None:
        rule = _security_group_rule(self.properties, egress=False)
        _ec2_backend(account_id, region_name).revoke_security_group_ingress(self.security_group.id, **rule)

    ElasticAddress.delete = release_address
    FlowLogs.delete = delete_flow_log
    InternetGateway.delete = delete_internet_gateway
    VPCGatewayAttachment.delete = detach_gateway
    NatGateway.delete = delete_nat_gateway
    Route.delete = delete_route
    RouteTable.delete = delete_route_table
    SecurityGroupIngress.delete = revoke_ingress
    VPCEndPoint.delete = delete_endpoint


@addition(
    "deletes for ECS resources",
    "fix",
    "moto's CloudFormation has no delete for ECS clusters and task definitions: a destroyed stack left both ACTIVE",
)
def _patch_ecs_deletes() -> None:
    from moto.ecs.models import Cluster, TaskDefinition, ecs_backends

    def delete_cluster(self: Any, account_id: str, region_name: str) -> None:
        ecs_backends[account_id][region_name].delete_cluster(self.arn)

    def deregister(self: Any, account_id: str, region_name: str) -> None:
        ecs_backends[account_id][region_name].deregister_task_definition(self.arn)

    Cluster.delete = delete_cluster
    TaskDefinition.delete = deregister


@addition(
    "no silent leak on delete",
    "engine",
    "moto treats a resource type without a delete as deleted and leaves it in the account; a stack delete now fails "
    "(DELETE_FAILED, naming the type) instead, so every leak gets a fix here",
)
def _patch_silent_delete() -> None:
    original = parsing.parse_and_delete_resource

    def parse_and_delete_resource(
        resource_name: str, resource_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        resource_class = parsing.resource_class_from_type(resource_json["Type"])
        if hasattr(resource_class.delete_from_cloudformation_json, "__isabstractmethod__"):
            raise ValidationError(
                message=f"the emulator cannot delete {resource_json['Type']} {resource_name}: add a delete to "
                "scripts/local_aws/moto_extensions.py"
            )
        original(resource_name, resource_json, account_id, region_name)

    parsing.parse_and_delete_resource = parse_and_delete_resource


# ---------------------------------------------------------------------------------------------------------------------
# IAM
# ---------------------------------------------------------------------------------------------------------------------


def _iam_backend(account_id: str, region_name: str) -> Any:
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    return iam_backends[account_id][get_partition(region_name)]


@addition(
    "IAM roles and managed policies in stacks",
    "fix",
    "moto's Role model drops ManagedPolicyArns (the RDS monitoring role had no policy) and never detaches managed "
    "policies on delete, and its ManagedPolicy model cannot be deleted at all: every stack with a customer-managed "
    "policy ended DELETE_FAILED",
)
def _patch_iam() -> None:
    from moto.iam.models import ManagedPolicy, Role

    original_create = Role.create_from_cloudformation_json.__func__
    original_delete = Role.delete_from_cloudformation_json.__func__

    def create_role(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        role = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
        backend = _iam_backend(account_id, region_name)
        for policy_arn in cloudformation_json["Properties"].get("ManagedPolicyArns", []):
            backend.attach_role_policy(policy_arn, role.name)
        return role

    def delete_role(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        backend = _iam_backend(account_id, region_name)
        role = next((role for role in backend.get_roles() if role.name == resource_name), None)
        if role is not None:
            for policy_arn in list(role.managed_policies):
                backend.detach_role_policy(policy_arn, resource_name)
        original_delete(cls, resource_name, cloudformation_json, account_id, region_name)

    def delete_policy(self: Any, account_id: str, region_name: str) -> None:
        backend = _iam_backend(account_id, region_name)
        for role in list(backend.get_roles()):
            if self.arn in role.managed_policies:
                backend.detach_role_policy(self.arn, role.name)
        for user in list(backend.users.values()):
            if self.arn in user.managed_policies:
                backend.detach_user_policy(self.arn, user.name)
        for group in list(backend.groups.values()):
            if self.arn in group.managed_policies:
                backend.detach_group_policy(self.arn, group.name)
        backend.delete_policy(self.arn)

    Role.create_from_cloudformation_json = classmethod(create_role)
    Role.delete_from_cloudformation_json = classmethod(delete_role)
    ManagedPolicy.delete = delete_policy


# ---------------------------------------------------------------------------------------------------------------------
# RDS
# ---------------------------------------------------------------------------------------------------------------------


def _rds_backend(account_id: str, region_name: str) -> Any:
    from moto.rds.models import rds_backends

    return rds_backends[account_id][region_name]


def _final_snapshot_name(identifier: str) -> str:
    """What CloudFormation calls the snapshot it takes under DeletionPolicy Snapshot (shape, not exact text)."""
    return f"{identifier}-final-snapshot-{random_id(8).lower()}"


@addition(
    "RDS instance identity and managed secret",
    "fix",
    "moto gives every DB instance the same DbiResourceId (Terraform then confuses two instances), reports no "
    "Performance Insights settings and no Multi-AZ secondary zone, and fills every RDS-managed master secret with "
    "the same fixed username and password whatever MasterUsername says",
)
def _patch_rds_instance_backend() -> None:
    from moto.rds import models as rds

    original_init = rds.DBInstance.__init__

    def init(self: Any, backend: Any, **kwargs: Any) -> None:
        original_init(self, backend, **kwargs)
        self.dbi_resource_id = f"db-{random_id(26)}"
        self.performance_insights_enabled = bool(kwargs.get("enable_performance_insights"))
        if self.performance_insights_enabled:
            self.performance_insights_kms_key_id = kwargs.get("performance_insights_kms_key_id")
            self.performance_insights_retention_period = kwargs.get("performance_insights_retention_period") or 7
        if self.multi_az and self.db_cluster_identifier is None:
            zones = availability_zones(backend.account_id, backend.region_name)
            others = [zone for zone in zones if zone != self.availability_zone]
            self.secondary_availability_zone = others[0] if others else None

    rds.DBInstance.__init__ = init

    def secret_string(self: Any) -> str:
        password = "".join(secrets.choice(string.ascii_letters + string.digits + "-_.") for _ in range(32))
        return json.dumps({"username": self.resource.master_username, "password": password})

    rds.MasterUserSecret._generate_secret_string = secret_string


_DB_INSTANCE_ATTRIBUTES: dict[str, Callable[[Any], Any]] = {
    "Endpoint.Address": lambda db: db.address,
    "Endpoint.Port": lambda db: str(db.port),
    "DBInstanceArn": lambda db: db.arn,
    "DbiResourceId": lambda db: db.dbi_resource_id,
    "MasterUserSecret.SecretArn": lambda db: db.master_user_secret.secret_arn,
}


@addition(
    "AWS::RDS::DBInstance properties",
    "fix",
    "moto's model maps a dozen properties and drops the rest (DBClusterIdentifier, ManageMasterUserPassword, "
    "monitoring, Performance Insights, IAM auth, log exports, deletion protection; Port defaults to 3306), offers "
    "only the Endpoint GetAtts (not MasterUserSecret.SecretArn) and ignores DeletionPolicy Snapshot",
)
def _patch_rds_instance_model() -> None:
    from moto.rds import models as rds

    def create_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        properties = dict(cloudformation_json["Properties"])
        master_secret = properties.pop("MasterUserSecret", None) or {}
        source = properties.pop("SourceDBInstanceIdentifier", None)
        kwargs = api_kwargs("rds", "CreateDBInstance", properties, {"VPCSecurityGroups": "VpcSecurityGroupIds"})
        kwargs["db_instance_identifier"] = resource_name.lower()
        for key in ("db_subnet_group_name", "db_parameter_group_name", "db_cluster_identifier", "option_group_name"):
            if key in kwargs:
                kwargs[key] = physical_name(kwargs[key])
        if master_secret.get("KmsKeyId"):
            kwargs["master_user_secret_kms_key_id"] = master_secret["KmsKeyId"]
        backend = _rds_backend(account_id, region_name)
        if source:
            kwargs["source_db_instance_identifier"] = source
            database = backend.create_db_instance_read_replica(kwargs)
        else:
            database = backend.create_db_instance(kwargs)
        database.deletion_policy = cloudformation_json.get("DeletionPolicy", "Delete")
        return database

    def delete(self: Any, account_id: str, region_name: str) -> None:
        snapshot = getattr(self, "deletion_policy", None) == "Snapshot" and self.db_cluster_identifier is None
        _rds_backend(account_id, region_name).delete_db_instance(
            self.db_instance_identifier,
            final_db_snapshot_identifier=_final_snapshot_name(self.db_instance_identifier) if snapshot else None,
        )

    def get_cfn_attribute(self: Any, attribute_name: str) -> Any:
        if attribute_name not in _DB_INSTANCE_ATTRIBUTES:
            raise UnformattedGetAttTemplateException()
        return _DB_INSTANCE_ATTRIBUTES[attribute_name](self)

    rds.DBInstance.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    rds.DBInstance.delete = delete
    rds.DBInstance.has_cfn_attr = classmethod(lambda cls, attr: attr in _DB_INSTANCE_ATTRIBUTES)
    rds.DBInstance.get_cfn_attribute = get_cfn_attribute


@addition(
    "RDS cluster scaling configuration",
    "fix",
    "moto reports an all-empty ScalingConfigurationInfo for every cluster, which a serverless v2 cluster does not "
    "have (Terraform then plans a change on every run)",
)
def _patch_rds_cluster_scaling() -> None:
    from moto.rds import models as rds

    original = rds.DBCluster.scaling_configuration_info.fget

    def scaling_configuration_info(self: Any) -> dict[str, Any] | None:
        return original(self) if self.scaling_configuration else None

    rds.DBCluster.scaling_configuration_info = property(scaling_configuration_info)


@addition(
    "automated cluster snapshots go with their cluster",
    "fix",
    "moto keeps a deleted Aurora cluster's automated snapshot; AWS deletes automated backups with the cluster (only "
    "a final snapshot stays), so a destroyed dev stack looked like it leaked a snapshot",
)
def _patch_cluster_snapshots() -> None:
    from moto.rds.models import RDSBackend

    original = RDSBackend.delete_db_cluster

    def delete_db_cluster(self: Any, cluster_identifier: str, snapshot_name: str | None = None) -> Any:
        cluster = original(self, cluster_identifier, snapshot_name)
        for name, snapshot in list(self.cluster_snapshots.items()):
            if snapshot.snapshot_type == "automated" and snapshot.cluster.db_cluster_identifier == cluster_identifier:
                del self.cluster_snapshots[name]
        return cluster

    RDSBackend.delete_db_cluster = delete_db_cluster


@model
class AuroraDBCluster(WrapperModel, CloudFormationModel):
    """Aurora clusters: moto has the RDS API but no CloudFormation model (Outputs vanish, GetAtt fails)."""

    ATTRIBUTES: ClassVar[dict[str, Callable[[Any], Any]]] = {
        "Endpoint.Address": lambda self: self.cluster.endpoint,
        "Endpoint.Port": lambda self: str(self.cluster.port),
        "ReadEndpoint.Address": lambda self: self.cluster.reader_endpoint,
        "DBClusterArn": lambda self: self.cluster.db_cluster_arn,
        "DBClusterResourceId": lambda self: self.cluster.db_cluster_resource_id,
        "MasterUserSecret.SecretArn": lambda self: self.cluster.master_user_secret.secret_arn,
    }

    def __init__(self, identifier: str, deletion_policy: str | None, account_id: str, region_name: str) -> None:
        super().__init__(identifier, deletion_policy)
        self.account_id = account_id
        self.region_name = region_name

    @property
    def cluster(self) -> Any:
        return _rds_backend(self.account_id, self.region_name).clusters[self.physical_resource_id]

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::RDS::DBCluster"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "DBClusterIdentifier"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> AuroraDBCluster:
        properties = dict(cloudformation_json["Properties"])
        master_secret = properties.pop("MasterUserSecret", None) or {}
        cluster_kwargs = api_kwargs("rds", "CreateDBCluster", properties)
        cluster_kwargs["db_cluster_identifier"] = resource_name.lower()
        for key in ("db_subnet_group_name", "db_cluster_parameter_group_name"):
            if key in cluster_kwargs:
                cluster_kwargs[key] = physical_name(cluster_kwargs[key])
        if master_secret.get("KmsKeyId"):
            cluster_kwargs["master_user_secret_kms_key_id"] = master_secret["KmsKeyId"]
        cluster = _rds_backend(account_id, region_name).create_db_cluster(cluster_kwargs)
        return cls(cluster.db_cluster_identifier, cloudformation_json.get("DeletionPolicy"), account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        snapshot = _final_snapshot_name(self.physical_resource_id) if self.deletion_policy == "Snapshot" else None
        _rds_backend(account_id, region_name).delete_db_cluster(self.physical_resource_id, snapshot)


@model
class AuroraClusterParameterGroup(WrapperModel, CloudFormationModel):
    """Cluster parameter groups (``rds.force_ssl`` lives here): moto has the API but no CloudFormation model."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::RDS::DBClusterParameterGroup"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "DBClusterParameterGroupName"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> AuroraClusterParameterGroup:
        properties = cloudformation_json["Properties"]
        name = resource_name.lower()
        backend = _rds_backend(account_id, region_name)
        backend.create_db_cluster_parameter_group(
            db_cluster_parameter_group_name=name,
            db_parameter_group_family=properties["Family"],
            description=properties["Description"],
            tags=properties.get("Tags"),
        )
        parameters = [
            {"ParameterName": key, "ParameterValue": str(value), "ApplyMethod": "pending-reboot"}
            for key, value in (properties.get("Parameters") or {}).items()
        ]
        if parameters:
            backend.modify_db_cluster_parameter_group(name, parameters)
        return cls(name)

    def delete(self, account_id: str, region_name: str) -> None:
        _rds_backend(account_id, region_name).delete_db_cluster_parameter_group(self.physical_resource_id)


# ---------------------------------------------------------------------------------------------------------------------
# ElastiCache
# ---------------------------------------------------------------------------------------------------------------------


def _elasticache_backend(account_id: str, region_name: str) -> Any:
    from moto.elasticache.models import elasticache_backends

    return elasticache_backends[account_id][region_name]


@addition(
    "ElastiCache replication group members",
    "fix",
    "moto ignores NumCacheClusters (one node whatever was asked), creates no member cache clusters (Terraform waits "
    "for <id>-001 for ever), places nodes in us-east-1 zones in every region, keeps a deleted group listed as "
    "'deleting' for ever, and has no DeleteCacheSubnetGroup",
)
def _patch_elasticache() -> None:
    from moto.elasticache import models as elasticache
    from moto.elasticache import responses as elasticache_responses

    def set_members(
        self: Any,
        member_clusters: list[str],
        replication_group_id: str,
        replication_group_domain: str,
        node_group: dict[str, Any],
        preferred_cache_cluster_azs: list[str],
        num_cache_clusters: int,
        replicas_per_node_group: int,
    ) -> None:
        count = replicas_per_node_group + 1 if replicas_per_node_group else (num_cache_clusters or 1)
        zones = preferred_cache_cluster_azs or availability_zones(self._account_id, self._region_name)
        for index in range(count):
            member_id = f"{replication_group_id}-{index + 1:0>3}"
            node_group["node_group_members"].append(
                {
                    "cache_cluster_id": member_id,
                    "cache_node_id": node_group["node_group_id"],
                    "read_endpoint": {"address": f"{member_id}.{replication_group_domain}", "port": self.port},
                    "preferred_availability_zone": zones[index % len(zones)],
                    "current_role": "primary" if index == 0 else "replica",
                }
            )
            member_clusters.append(member_id)

    original_group_init = elasticache.ReplicationGroup.__init__

    def group_init(self: Any, account_id: str, region_name: str, *args: Any, **kwargs: Any) -> None:
        self._account_id, self._region_name = account_id, region_name
        original_group_init(self, account_id, region_name, *args, **kwargs)

    elasticache.ReplicationGroup.__init__ = group_init
    elasticache.ReplicationGroup._set_node_members_clusters_disabled = set_members

    _replication_group_parameters()
    original_create = elasticache.ElastiCacheBackend.create_replication_group

    def create_replication_group(self: Any, **kwargs: Any) -> Any:
        group = original_create(self, **kwargs)
        for node_group in group.node_groups:
            for member in node_group["node_group_members"]:
                self.cache_clusters[member["cache_cluster_id"]] = _member_cache_cluster(self, group, member, kwargs)
        return group

    original_delete = elasticache.ElastiCacheBackend.delete_replication_group

    def delete_replication_group(self: Any, replication_group_id: str, retain_primary_cluster: bool | None) -> Any:
        group = original_delete(self, replication_group_id, retain_primary_cluster)
        self.replication_groups.pop(replication_group_id, None)
        for member_id in [*group.member_clusters, f"{replication_group_id}-001"]:
            self.cache_clusters.pop(member_id, None)
        return group

    def delete_cache_subnet_group(self: Any, cache_subnet_group_name: str) -> None:
        if cache_subnet_group_name not in self.cache_subnet_groups:
            raise elasticache.CacheSubnetGroupNotFound(cache_subnet_group_name)
        del self.cache_subnet_groups[cache_subnet_group_name]

    def delete_cache_subnet_group_response(self: Any) -> Any:
        from moto.core.responses import EmptyResult

        self.elasticache_backend.delete_cache_subnet_group(self._get_param("CacheSubnetGroupName"))
        return EmptyResult()

    elasticache.ElastiCacheBackend.create_replication_group = create_replication_group
    elasticache.ElastiCacheBackend.delete_replication_group = delete_replication_group
    elasticache.ElastiCacheBackend.delete_cache_subnet_group = delete_cache_subnet_group
    elasticache_responses.ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group_response


def _member_cache_cluster(backend: Any, group: Any, member: dict[str, Any], kwargs: dict[str, Any]) -> Any:
    """The cache cluster (node) a replication group member is, as DescribeCacheClusters shows it."""
    from moto.elasticache.models import CacheCluster

    names = list(inspect.signature(CacheCluster.__init__).parameters)[1:]
    fields = {name: kwargs.get(name) for name in names}
    fields.update(
        account_id=backend.account_id,
        region_name=backend.region_name,
        cache_cluster_id=member["cache_cluster_id"],
        replication_group_id=group.replication_group_id,
        engine=group.engine,
        cache_node_type=group.cache_node_type,
        num_cache_nodes=1,
        az_mode="single-az",
        preferred_availability_zone=member["preferred_availability_zone"],
        port=group.port,
        log_delivery_configurations=kwargs.get("log_delivery_configurations") or [],
    )
    fields = {key: value for key, value in fields.items() if key in names}
    cluster = CacheCluster(**fields)
    cluster.at_rest_encryption_enabled = group.at_rest_encryption_enabled
    cluster.transit_encryption_mode = group.transit_encryption_mode
    return cluster


@functools.cache
def _replication_group_parameters() -> tuple[str, ...]:
    """Keyword arguments of moto's own CreateReplicationGroup (read before :func:`register` wraps it)."""
    from moto.elasticache.models import ElastiCacheBackend

    return tuple(inspect.signature(ElastiCacheBackend.create_replication_group).parameters)[1:]


@model
class CacheSubnetGroupModel(WrapperModel, CloudFormationModel):
    """ElastiCache subnet groups: moto has the API but no CloudFormation model."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ElastiCache::SubnetGroup"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "CacheSubnetGroupName"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> CacheSubnetGroupModel:
        properties = cloudformation_json["Properties"]
        name = resource_name.lower()
        _elasticache_backend(account_id, region_name).create_cache_subnet_group(
            cache_subnet_group_name=name,
            cache_subnet_group_description=properties["Description"],
            subnet_ids=properties["SubnetIds"],
            tags=properties.get("Tags"),
        )
        return cls(name)

    def delete(self, account_id: str, region_name: str) -> None:
        _elasticache_backend(account_id, region_name).delete_cache_subnet_group(self.physical_resource_id)


@model
class CacheReplicationGroup(WrapperModel, CloudFormationModel):
    """Redis replication groups: moto has the API but no CloudFormation model (Outputs vanish, GetAtt fails)."""

    ATTRIBUTES: ClassVar[dict[str, Callable[[Any], Any]]] = {
        "PrimaryEndPoint.Address": lambda self: self.group.node_groups[0]["primary_endpoint_address"],
        "PrimaryEndPoint.Port": lambda self: str(self.group.port),
        "ReaderEndPoint.Address": lambda self: self.group.node_groups[0]["reader_endpoint_address"],
        "ReaderEndPoint.Port": lambda self: str(self.group.port),
        "ReadEndPoint.Addresses": lambda self: ",".join(
            member["read_endpoint"]["address"] for member in self.group.node_groups[0]["node_group_members"]
        ),
    }

    def __init__(self, group_id: str, deletion_policy: str | None, account_id: str, region_name: str) -> None:
        super().__init__(group_id, deletion_policy)
        self.account_id = account_id
        self.region_name = region_name

    @property
    def group(self) -> Any:
        return _elasticache_backend(self.account_id, self.region_name).replication_groups[self.physical_resource_id]

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ElastiCache::ReplicationGroup"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ReplicationGroupId"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> CacheReplicationGroup:
        backend = _elasticache_backend(account_id, region_name)
        parameters = _replication_group_parameters()
        given = api_kwargs("elasticache", "CreateReplicationGroup", cloudformation_json["Properties"])
        given["replication_group_id"] = resource_name.lower()
        if "cache_subnet_group_name" in given:
            given["cache_subnet_group_name"] = physical_name(given["cache_subnet_group_name"])
        unknown = set(given) - set(parameters)
        if unknown:
            raise ValidationError(message=f"ReplicationGroup properties not emulated: {sorted(unknown)}")
        call = {name: given.get(name) for name in parameters}
        group = backend.create_replication_group(**call)
        return cls(group.replication_group_id, cloudformation_json.get("DeletionPolicy"), account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _elasticache_backend(account_id, region_name)
        if self.deletion_policy == "Snapshot":
            backend.create_snapshot(
                snapshot_name=_final_snapshot_name(self.physical_resource_id),
                replication_group_id=self.physical_resource_id,
                cache_cluster_id=None,
                kms_key_id=self.group.kms_key_id,
                tags=None,
            )
        backend.delete_replication_group(self.physical_resource_id, retain_primary_cluster=False)


# ---------------------------------------------------------------------------------------------------------------------
# CloudWatch, Secrets Manager, resource policies
# ---------------------------------------------------------------------------------------------------------------------


@model
class MetricAlarm(Replaceable, WrapperModel, CloudFormationModel):
    """Metric alarms: moto has PutMetricAlarm but no CloudFormation model, so no alarm of a stack existed."""

    ATTRIBUTES: ClassVar[dict[str, Callable[[Any], Any]]] = {"Arn": lambda self: self.arn}

    def __init__(self, name: str, arn: str) -> None:
        super().__init__(name)
        self.arn = arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> MetricAlarm:
        from moto.cloudwatch.models import cloudwatch_backends

        properties = dict(cloudformation_json["Properties"])
        if "Metrics" in properties:
            raise ValidationError(message="metric-math alarms (Metrics) are not emulated")
        given = api_kwargs("cloudwatch", "PutMetricAlarm", properties)
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=resource_name,
            namespace=given.get("namespace"),
            metric_name=given.get("metric_name"),
            comparison_operator=given.get("comparison_operator"),
            evaluation_periods=given.get("evaluation_periods"),
            period=given.get("period"),
            threshold=given.get("threshold"),
            statistic=given.get("statistic"),
            description=given.get("alarm_description"),
            dimensions=given.get("dimensions") or [],
            alarm_actions=given.get("alarm_actions") or [],
            ok_actions=given.get("ok_actions") or [],
            insufficient_data_actions=given.get("insufficient_data_actions") or [],
            datapoints_to_alarm=given.get("datapoints_to_alarm"),
            extended_statistic=given.get("extended_statistic"),
            unit=given.get("unit"),
            actions_enabled=given.get("actions_enabled", True),
            treat_missing_data=given.get("treat_missing_data"),
            evaluate_low_sample_count_percentile=given.get("evaluate_low_sample_count_percentile"),
            threshold_metric_id=given.get("threshold_metric_id"),
            tags=properties.get("Tags"),
        )
        return cls(alarm.name, alarm.alarm_arn)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.cloudwatch.models import cloudwatch_backends

        cloudwatch_backends[account_id][region_name].delete_alarms([self.physical_resource_id])


def generate_secret_string(options: dict[str, Any], account_id: str, region_name: str) -> str:
    """The value Secrets Manager generates for a ``GenerateSecretString`` block (template and key included)."""
    from moto.secretsmanager.models import secretsmanager_backends

    given = api_kwargs("secretsmanager", "GetRandomPassword", {k: v for k, v in options.items() if "String" not in k})
    password = json.loads(
        secretsmanager_backends[account_id][region_name].get_random_password(
            password_length=given.get("password_length", 32),
            exclude_characters=given.get("exclude_characters", ""),
            exclude_numbers=given.get("exclude_numbers", False),
            exclude_punctuation=given.get("exclude_punctuation", False),
            exclude_uppercase=given.get("exclude_uppercase", False),
            exclude_lowercase=given.get("exclude_lowercase", False),
            include_space=given.get("include_space", False),
            require_each_included_type=given.get("require_each_included_type", True),
        )
    )["RandomPassword"]
    if "SecretStringTemplate" not in options:
        return password
    document = json.loads(options["SecretStringTemplate"])
    document[options["GenerateStringKey"]] = password
    return json.dumps(document)


@model
class GeneratedSecret(WrapperModel, CloudFormationModel):
    """Secrets (with GenerateSecretString): moto has the API but no CloudFormation model, so the secret was missing."""

    ATTRIBUTES: ClassVar[dict[str, Callable[[Any], Any]]] = {"Id": lambda self: self.physical_resource_id}

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> GeneratedSecret:
        from moto.secretsmanager.models import secretsmanager_backends

        properties = cloudformation_json["Properties"]
        value = properties.get("SecretString")
        if value is None:
            value = generate_secret_string(properties.get("GenerateSecretString") or {}, account_id, region_name)
        created = secretsmanager_backends[account_id][region_name].create_secret(
            name=resource_name,
            secret_string=value,
            secret_binary=None,
            description=properties.get("Description"),
            tags=properties.get("Tags"),
            kms_key_id=properties.get("KmsKeyId"),
            client_request_token=None,
            replica_regions=properties.get("ReplicaRegions") or [],
            force_overwrite=False,
        )
        return cls(json.loads(created)["ARN"], cloudformation_json.get("DeletionPolicy"))

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.secretsmanager.models import secretsmanager_backends

        secretsmanager_backends[account_id][region_name].delete_secret(
            self.physical_resource_id, recovery_window_in_days=None, force_delete_without_recovery=True
        )


def _policy_text(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


@model
class TopicPolicy(Replaceable, WrapperModel, CloudFormationModel):
    """SNS topic policies (TLS-only publishing, CloudWatch alarms only): no model in moto, so never applied."""

    def __init__(self, name: str, topic_arns: list[str]) -> None:
        super().__init__(name)
        self.topic_arns = topic_arns

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::TopicPolicy"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> TopicPolicy:
        from moto.sns.models import sns_backends

        properties = cloudformation_json["Properties"]
        for topic_arn in properties["Topics"]:
            sns_backends[account_id][region_name].set_topic_attribute(
                topic_arn, "policy", _policy_text(properties["PolicyDocument"])
            )
        return cls(resource_name, list(properties["Topics"]))

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.sns.models import sns_backends

        backend = sns_backends[account_id][region_name]
        for topic_arn in self.topic_arns:
            topic = backend.topics.get(topic_arn)
            if topic is not None:
                topic._policy_json = topic._create_default_topic_policy(region_name, account_id, topic.name)


@model
class QueuePolicy(Replaceable, WrapperModel, CloudFormationModel):
    """SQS queue policies (deny requests without TLS): no model in moto, so never applied."""

    def __init__(self, name: str, queue_urls: list[str]) -> None:
        super().__init__(name)
        self.queue_urls = queue_urls

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> QueuePolicy:
        from moto.sqs.models import sqs_backends

        properties = cloudformation_json["Properties"]
        for queue_url in properties["Queues"]:
            sqs_backends[account_id][region_name].set_queue_attributes(
                queue_url.rsplit("/", 1)[-1], {"Policy": _policy_text(properties["PolicyDocument"])}
            )
        return cls(resource_name, list(properties["Queues"]))

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.sqs.models import sqs_backends

        backend = sqs_backends[account_id][region_name]
        for queue_url in self.queue_urls:
            name = queue_url.rsplit("/", 1)[-1]
            if name in backend.queues:
                backend.set_queue_attributes(name, {"Policy": ""})


@model
class BucketPolicy(Replaceable, WrapperModel, CloudFormationModel):
    """S3 bucket policies: no model in moto, so the CDK bootstrap bucket (and any stack bucket) had none."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> BucketPolicy:
        from moto.s3.models import s3_backends

        properties = cloudformation_json["Properties"]
        bucket = physical_name(properties["Bucket"])
        s3_backends[account_id]["aws"].put_bucket_policy(bucket, _policy_text(properties["PolicyDocument"]).encode())
        return cls(bucket)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.s3.models import s3_backends

        backend = s3_backends[account_id]["aws"]
        if self.physical_resource_id in backend.buckets:
            backend.delete_bucket_policy(self.physical_resource_id)


@addition(
    "aws:SecureTransport in bucket policies",
    "fix",
    "moto evaluates bucket policies without request context, ignores Bool conditions and treats a Deny whose "
    "condition does not match as a Deny, so the standard TLS-only Deny (aws:SecureTransport = false) denied every "
    "object request; the emulator's endpoint stands in for the TLS one",
)
def _patch_bucket_policy_transport() -> None:
    from moto.iam import policy_conditions
    from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult
    from moto.s3.models import FakeBucket

    def bool_operation(expected: list[str] | str, actual: str) -> bool:
        wanted = [expected] if isinstance(expected, str) else expected
        return str(actual).lower() in [str(value).lower() for value in wanted]

    policy_conditions.CONDITION_OPERATIONS.setdefault("Bool", bool_operation)
    original_statement = IAMPolicyStatement.is_action_permitted

    def statement_permits(
        self: Any,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> Any:
        result = original_statement(self, action, resource, principal, incoming_condition_values)
        conditional_deny = self._statement.get("Effect") == "Deny" and self._statement.get("Condition")
        if (
            result == PermissionResult.DENIED
            and conditional_deny
            and not self._check_conditions(incoming_condition_values)
        ):
            return PermissionResult.NEUTRAL
        return result

    IAMPolicyStatement.is_action_permitted = statement_permits

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        return IAMPolicy(self.policy.decode()).is_action_permitted(
            action, resource, incoming_condition_values={"aws:SecureTransport": "true"}
        )

    FakeBucket.get_permission = get_permission


# ---------------------------------------------------------------------------------------------------------------------
# ECS, Kinesis, CloudWatch Logs, KMS, Lambda: models moto has, properties it drops
# ---------------------------------------------------------------------------------------------------------------------


def _camel(value: Any) -> Any:
    """CloudFormation's PascalCase keys as the ECS JSON API's camelCase (nested)."""
    from moto.ecs.models import pascal_to_camelcase, remap_nested_keys

    return remap_nested_keys(value, pascal_to_camelcase)


def _ecs_tags(tags: list[dict[str, str]] | None) -> list[dict[str, str]]:
    return [{"key": tag["Key"], "value": tag["Value"]} for tag in tags or []]


@addition(
    "AWS::ECS::Cluster and TaskDefinition properties",
    "fix",
    "moto's models keep only the cluster name and the container definitions: Container Insights, ECS Exec "
    "encryption and logging, Fargate CPU/memory/platform, network mode and the task and execution roles were lost",
)
def _patch_ecs() -> None:
    from moto.ecs.models import Cluster, TaskDefinition, ecs_backends

    def create_cluster(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        properties = cloudformation_json["Properties"]
        return ecs_backends[account_id][region_name].create_cluster(
            cluster_name=resource_name,
            tags=_ecs_tags(properties.get("Tags")),
            cluster_settings=_camel(properties.get("ClusterSettings")),
            configuration=_camel(properties.get("Configuration")),
            capacity_providers=properties.get("CapacityProviders"),
            default_capacity_provider_strategy=_camel(properties.get("DefaultCapacityProviderStrategy")),
            service_connect_defaults=_camel(properties.get("ServiceConnectDefaults")),
        )

    def create_task_definition(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        properties = cloudformation_json["Properties"]
        return ecs_backends[account_id][region_name].register_task_definition(
            family=properties.get("Family") or resource_name,
            container_definitions=_camel(properties.get("ContainerDefinitions", [])),
            volumes=_camel(properties.get("Volumes")),
            network_mode=properties.get("NetworkMode"),
            tags=_ecs_tags(properties.get("Tags")),
            placement_constraints=_camel(properties.get("PlacementConstraints")),
            requires_compatibilities=properties.get("RequiresCompatibilities"),
            cpu=properties.get("Cpu"),
            memory=properties.get("Memory"),
            task_role_arn=properties.get("TaskRoleArn"),
            execution_role_arn=properties.get("ExecutionRoleArn"),
            runtime_platform=_camel(properties.get("RuntimePlatform")),
            ephemeral_storage=_camel(properties.get("EphemeralStorage")),
        )

    Cluster.create_from_cloudformation_json = classmethod(create_cluster)
    TaskDefinition.create_from_cloudformation_json = classmethod(create_task_definition)


@model
class ClusterCapacityProviders(Replaceable, WrapperModel, CloudFormationModel):
    """Fargate capacity providers of a cluster: no model in moto."""

    def __init__(self, cluster: str) -> None:
        super().__init__(cluster)

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ECS::ClusterCapacityProviderAssociations"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> ClusterCapacityProviders:
        from moto.ecs.models import ecs_backends

        properties = cloudformation_json["Properties"]
        cluster = physical_name(properties["Cluster"])
        ecs_backends[account_id][region_name].put_cluster_capacity_providers(
            cluster, properties["CapacityProviders"], _camel(properties.get("DefaultCapacityProviderStrategy") or [])
        )
        return cls(cluster)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.ecs.models import ecs_backends

        backend = ecs_backends[account_id][region_name]
        if self.physical_resource_id in backend.clusters:
            backend.put_cluster_capacity_providers(self.physical_resource_id, [], [])


@addition(
    "AWS::Kinesis::Stream encryption and mode",
    "fix",
    "moto's model drops StreamEncryption and StreamModeDetails: a stream declared KMS-encrypted came up unencrypted",
)
def _patch_kinesis() -> None:
    from moto.kinesis.models import Stream, kinesis_backends

    original = Stream.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        stream = original(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
        properties = cloudformation_json["Properties"]
        backend = kinesis_backends[account_id][region_name]
        encryption = properties.get("StreamEncryption")
        if encryption:
            backend.start_stream_encryption(
                stream.arn, stream.stream_name, encryption["EncryptionType"], encryption["KeyId"]
            )
        if properties.get("StreamModeDetails"):
            backend.update_stream_mode(stream.arn, properties["StreamModeDetails"])
        return stream

    Stream.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


@addition(
    "AWS::Logs::LogGroup KmsKeyId",
    "fix",
    "moto's model reads the key from 'kmsKeyId' (the API's spelling), not CloudFormation's 'KmsKeyId': every "
    "encrypted log group came up unencrypted",
)
def _patch_logs() -> None:
    from moto.logs.models import LogGroup

    original = LogGroup.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        properties = dict(cloudformation_json["Properties"])
        if "KmsKeyId" in properties:
            properties["kmsKeyId"] = properties.pop("KmsKeyId")
        return original(cls, resource_name, {**cloudformation_json, "Properties": properties}, account_id, region_name)

    LogGroup.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


@addition(
    "AWS::KMS::Key policy, tags and deletion",
    "fix",
    "moto's model stores KeyPolicy as a dict (DescribeKey and GetKeyPolicy then fail with HTTP 500), drops tags "
    "(wrong shape), KeySpec/KeyUsage and PendingWindowInDays, and deletes a key at once where CloudFormation "
    "schedules its deletion",
)
def _patch_kms() -> None:
    from moto.kms.models import Key, kms_backends

    def create_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        properties = cloudformation_json["Properties"]
        key = kms_backends[account_id][region_name].create_key(
            policy=_policy_text(properties["KeyPolicy"]) if "KeyPolicy" in properties else None,
            key_usage=properties.get("KeyUsage", "ENCRYPT_DECRYPT"),
            key_spec=properties.get("KeySpec", "SYMMETRIC_DEFAULT"),
            description=properties.get("Description", ""),
            tags=[{"TagKey": tag["Key"], "TagValue": tag["Value"]} for tag in properties.get("Tags", [])],
            multi_region=bool(properties.get("MultiRegion", False)),
        )
        key.key_rotation_status = str(properties.get("EnableKeyRotation", False)).lower() == "true"
        key.enabled = str(properties.get("Enabled", True)).lower() == "true"
        key.pending_window_in_days = int(properties.get("PendingWindowInDays", 30))
        return key

    def delete(self: Any, account_id: str, region_name: str) -> None:
        kms_backends[account_id][region_name].schedule_key_deletion(
            self.id, getattr(self, "pending_window_in_days", 30)
        )

    Key.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    Key.delete = delete


@addition(
    "SQS encryption attributes",
    "fix",
    "moto reports SqsManagedSseEnabled=true next to a KmsMasterKeyId; the two are exclusive in AWS (a KMS key turns "
    "SQS-managed SSE off), so 'encrypted with our key, not an SQS-owned one' could not pass",
)
def _patch_sqs_encryption() -> None:
    from moto.sqs.models import Queue

    original = Queue._set_attributes

    def _set_attributes(self: Any, attributes: dict[str, Any], now: float | None = None) -> None:
        original(self, attributes, now)
        if getattr(self, "kms_master_key_id", None):
            self.sqs_managed_sse_enabled = False

    Queue._set_attributes = _set_attributes


#: Lambda CreateFunction parameters whose CloudFormation property has the same name and shape.
_LAMBDA_PASSTHROUGH = (
    "Architectures",
    "DeadLetterConfig",
    "EphemeralStorage",
    "FileSystemConfigs",
    "KmsKeyArn",
    "Layers",
    "LoggingConfig",
    "PackageType",
    "SnapStart",
    "TracingConfig",
)


@addition(
    "AWS::Lambda::Function properties",
    "fix",
    "moto's model drops KmsKeyArn, TracingConfig, LoggingConfig, DeadLetterConfig, Architectures and tags, and its "
    "GetFunctionConfiguration never reports LoggingConfig or DeadLetterConfig and names a made-up VPC: the "
    "function's environment encryption, X-Ray tracing, JSON logs, dead-letter queue and network could not be "
    "checked",
)
def _patch_lambda() -> None:
    from moto.awslambda.models import LambdaFunction

    original = LambdaFunction.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        function = original(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
        properties = cloudformation_json["Properties"]
        extra = {name: properties[name] for name in _LAMBDA_PASSTHROUGH if name in properties}
        if extra or properties.get("Tags"):
            _apply_lambda_properties(function, extra, tag_map(properties.get("Tags")))
        return function

    LambdaFunction.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    original_init = LambdaFunction.__init__

    def init(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.logging_config = spec.get("LoggingConfig")
        self.dead_letter_config = spec.get("DeadLetterConfig")

    original_configuration = LambdaFunction.get_configuration

    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        configuration = original_configuration(self, on_create)
        if getattr(self, "logging_config", None):
            configuration["LoggingConfig"] = self.logging_config
        if getattr(self, "dead_letter_config", None):
            configuration["DeadLetterConfig"] = self.dead_letter_config
        return configuration

    LambdaFunction.__init__ = init
    LambdaFunction.get_configuration = get_configuration

    def vpc_config(self: Any) -> dict[str, Any] | None:
        from moto.ec2.models import ec2_backends

        if not self._vpc_config:
            return None
        config = dict(self._vpc_config)
        subnets = config.get("SubnetIds") or []
        if subnets:
            config["VpcId"] = ec2_backends[self.account_id][self.region].get_subnet(subnets[0]).vpc_id
        return config

    LambdaFunction.vpc_config = property(vpc_config)


def _apply_lambda_properties(function: Any, extra: dict[str, Any], tags: dict[str, str]) -> None:
    """Set what CreateFunction would have set from the same parameters (moto keeps them as attributes)."""
    if "KmsKeyArn" in extra:
        function.kms_key_arn = extra["KmsKeyArn"]
    if "TracingConfig" in extra:
        function.tracing_config = extra["TracingConfig"]
    if "LoggingConfig" in extra:
        function.logging_config = extra["LoggingConfig"]
    if "DeadLetterConfig" in extra:
        function.dead_letter_config = extra["DeadLetterConfig"]
    if "Architectures" in extra:
        function.architectures = extra["Architectures"]
    if "EphemeralStorage" in extra:
        function.ephemeral_storage = extra["EphemeralStorage"]["Size"]
    if "Layers" in extra:
        function.layers = function._get_layers_data(extra["Layers"])
    if tags:
        function.tags = {**(function.tags or {}), **tags}


# ---------------------------------------------------------------------------------------------------------------------
# Terraform's API calls (the cdktf stacks): Network Firewall, SQS attributes, S3 access logging, VPC flow logs
# ---------------------------------------------------------------------------------------------------------------------


class FirewallNotFoundError(JsonRESTError):
    """What Network Firewall answers for a firewall, firewall policy or rule group that does not exist."""

    def __init__(self, kind: str, name: str) -> None:
        super().__init__("ResourceNotFoundException", f"{kind} not found: {name}")


class FirewallInvalidOperationError(JsonRESTError):
    """What Network Firewall answers for a delete it refuses: protection on, or the object still in use."""

    def __init__(self, message: str) -> None:
        super().__init__("InvalidOperationException", message)


class FirewallDocument:
    """A rule group or a firewall policy: the configuration as given, echoed back by Describe as AWS does."""

    def __init__(self, backend: Any, kind: str, name: str, params: dict[str, Any]) -> None:
        self.kind = kind
        self.name = name
        self.arn = f"arn:aws:network-firewall:{backend.region_name}:{backend.account_id}:{kind}/{name}"
        self.resource_id = str(uuid.uuid4())
        self.update_token = str(uuid.uuid4())
        self.params = params
        self.modified = datetime.now(UTC)

    @property
    def tags(self) -> list[dict[str, str]]:
        return self.params.get("Tags") or []

    @tags.setter
    def tags(self, tags: list[dict[str, str]]) -> None:
        self.params["Tags"] = tags

    def update(self, params: dict[str, Any]) -> None:
        self.params.update(params)
        self.update_token = str(uuid.uuid4())
        self.modified = datetime.now(UTC)

    def rule_group_response(self, status: str = "ACTIVE") -> dict[str, Any]:
        return {
            "RuleGroupArn": self.arn,
            "RuleGroupName": self.name,
            "RuleGroupId": self.resource_id,
            "Description": self.params.get("Description"),
            "Type": self.params.get("Type"),
            "Capacity": self.params.get("Capacity"),
            "RuleGroupStatus": status,
            "Tags": self.tags,
            "ConsumedCapacity": 0,
            "NumberOfAssociations": 0,
            "EncryptionConfiguration": self.params.get("EncryptionConfiguration"),
            "LastModifiedTime": self.modified,
        }

    def policy_response(self, status: str = "ACTIVE") -> dict[str, Any]:
        return {
            "FirewallPolicyName": self.name,
            "FirewallPolicyArn": self.arn,
            "FirewallPolicyId": self.resource_id,
            "Description": self.params.get("Description"),
            "FirewallPolicyStatus": status,
            "Tags": self.tags,
            "ConsumedStatelessRuleCapacity": 0,
            "ConsumedStatefulRuleCapacity": 0,
            "NumberOfAssociations": 0,
            "EncryptionConfiguration": self.params.get("EncryptionConfiguration"),
            "LastModifiedTime": self.modified,
        }

    def referenced_rule_groups(self) -> set[str]:
        """ARNs of the rule groups a firewall policy references (none for a rule group)."""
        document = self.params.get("FirewallPolicy") or {}
        references = [
            *(document.get("StatefulRuleGroupReferences") or []),
            *(document.get("StatelessRuleGroupReferences") or []),
        ]
        return {reference["ResourceArn"] for reference in references}


#: Request fields each kind of document keeps (what Describe and Update read back).
_RULE_GROUP_FIELDS = ("RuleGroup", "Rules", "Type", "Description", "Capacity", "Tags", "EncryptionConfiguration")
_FIREWALL_POLICY_FIELDS = ("FirewallPolicy", "Description", "Tags", "EncryptionConfiguration")


def _find_document(response: Any, documents: dict[str, FirewallDocument], kind: str) -> Any:
    """The rule group or firewall policy a request names by ``<kind>Arn`` or, without one, by ``<kind>Name``."""
    arn, name = response._get_param(f"{kind}Arn"), response._get_param(f"{kind}Name")
    for document in documents.values():
        if document.arn == arn or (arn is None and document.name == name):
            return document
    raise FirewallNotFoundError(kind, str(arn or name))


def _request_fields(response: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: response._get_param(name) for name in names if response._get_param(name) is not None}


def _retagged(tags: list[dict[str, str]], added: list[dict[str, str]], removed: list[str]) -> list[dict[str, str]]:
    merged = {tag["Key"]: tag["Value"] for tag in tags or []}
    merged.update({tag["Key"]: tag["Value"] for tag in added})
    return [{"Key": key, "Value": value} for key, value in merged.items() if key not in removed]


class _NetworkFirewallActions:
    """The actions moto's Network Firewall lacks; each becomes the response-class method of the same name."""

    @staticmethod
    def create_rule_group(self: Any) -> Any:
        backend = self.networkfirewall_backend
        kind = "stateful-rulegroup" if self._get_param("Type") == "STATEFUL" else "stateless-rulegroup"
        group = FirewallDocument(
            backend, kind, self._get_param("RuleGroupName"), _request_fields(self, _RULE_GROUP_FIELDS)
        )
        backend.rule_groups[group.arn] = group
        return ActionResult({"UpdateToken": group.update_token, "RuleGroupResponse": group.rule_group_response()})

    @staticmethod
    def describe_rule_group(self: Any) -> Any:
        group = _find_document(self, self.networkfirewall_backend.rule_groups, "RuleGroup")
        return ActionResult(
            {
                "UpdateToken": group.update_token,
                "RuleGroup": group.params.get("RuleGroup"),
                "RuleGroupResponse": group.rule_group_response(),
            }
        )

    @staticmethod
    def update_rule_group(self: Any) -> Any:
        group = _find_document(self, self.networkfirewall_backend.rule_groups, "RuleGroup")
        group.update(_request_fields(self, _RULE_GROUP_FIELDS))
        return ActionResult({"UpdateToken": group.update_token, "RuleGroupResponse": group.rule_group_response()})

    @staticmethod
    def delete_rule_group(self: Any) -> Any:
        backend = self.networkfirewall_backend
        group = _find_document(self, backend.rule_groups, "RuleGroup")
        users = sorted(
            policy.name for policy in backend.firewall_policies.values() if group.arn in policy.referenced_rule_groups()
        )
        if users:
            raise FirewallInvalidOperationError(f"Unable to delete the object because it is still in use by {users}")
        del backend.rule_groups[group.arn]
        return ActionResult({"RuleGroupResponse": group.rule_group_response("DELETING")})

    @staticmethod
    def list_rule_groups(self: Any) -> Any:
        groups = self.networkfirewall_backend.rule_groups.values()
        return ActionResult({"RuleGroups": [{"Name": group.name, "Arn": group.arn} for group in groups]})

    @staticmethod
    def create_firewall_policy(self: Any) -> Any:
        backend = self.networkfirewall_backend
        policy = FirewallDocument(
            backend,
            "firewall-policy",
            self._get_param("FirewallPolicyName"),
            _request_fields(self, _FIREWALL_POLICY_FIELDS),
        )
        missing = sorted(policy.referenced_rule_groups() - set(backend.rule_groups))
        if missing:
            raise FirewallNotFoundError("RuleGroup", ", ".join(missing))
        backend.firewall_policies[policy.arn] = policy
        return ActionResult({"UpdateToken": policy.update_token, "FirewallPolicyResponse": policy.policy_response()})

    @staticmethod
    def describe_firewall_policy(self: Any) -> Any:
        policy = _find_document(self, self.networkfirewall_backend.firewall_policies, "FirewallPolicy")
        return ActionResult(
            {
                "UpdateToken": policy.update_token,
                "FirewallPolicyResponse": policy.policy_response(),
                "FirewallPolicy": policy.params.get("FirewallPolicy"),
            }
        )

    @staticmethod
    def update_firewall_policy(self: Any) -> Any:
        policy = _find_document(self, self.networkfirewall_backend.firewall_policies, "FirewallPolicy")
        policy.update(_request_fields(self, _FIREWALL_POLICY_FIELDS))
        return ActionResult({"UpdateToken": policy.update_token, "FirewallPolicyResponse": policy.policy_response()})

    @staticmethod
    def delete_firewall_policy(self: Any) -> Any:
        backend = self.networkfirewall_backend
        policy = _find_document(self, backend.firewall_policies, "FirewallPolicy")
        users = sorted(fw.firewall_name for fw in backend.firewalls.values() if fw.firewall_policy_arn == policy.arn)
        if users:
            raise FirewallInvalidOperationError(f"Unable to delete the object because it is still in use by {users}")
        del backend.firewall_policies[policy.arn]
        return ActionResult({"FirewallPolicyResponse": policy.policy_response("DELETING")})

    @staticmethod
    def list_firewall_policies(self: Any) -> Any:
        policies = self.networkfirewall_backend.firewall_policies.values()
        return ActionResult({"FirewallPolicies": [{"Name": policy.name, "Arn": policy.arn} for policy in policies]})

    @staticmethod
    def delete_firewall(self: Any) -> Any:
        from moto.networkfirewall.responses import _firewall

        backend = self.networkfirewall_backend
        firewall = backend._get_firewall(self._get_param("FirewallArn"), self._get_param("FirewallName"))
        if firewall.delete_protection:
            raise FirewallInvalidOperationError(
                f"Firewall {firewall.firewall_name} has delete protection enabled; disable it before deleting"
            )
        endpoints = [state["Attachment"]["EndpointId"] for state in firewall.sync_states.values()]
        _ec2_backend(backend.account_id, backend.region_name).delete_vpc_endpoints(endpoints)
        del backend.firewalls[firewall.arn]
        return ActionResult(
            {"Firewall": _firewall(firewall), "FirewallStatus": {**firewall.firewall_status, "Status": "DELETING"}}
        )

    @staticmethod
    def update_firewall_delete_protection(self: Any) -> Any:
        return _update_firewall_flag(self, "DeleteProtection")

    @staticmethod
    def update_firewall_policy_change_protection(self: Any) -> Any:
        return _update_firewall_flag(self, "FirewallPolicyChangeProtection")

    @staticmethod
    def update_subnet_change_protection(self: Any) -> Any:
        return _update_firewall_flag(self, "SubnetChangeProtection")

    @staticmethod
    def list_tags_for_resource(self: Any) -> Any:
        return ActionResult({"Tags": _tagged_firewall_resource(self).tags or []})

    @staticmethod
    def tag_resource(self: Any) -> Any:
        resource = _tagged_firewall_resource(self)
        resource.tags = _retagged(resource.tags, self._get_param("Tags") or [], [])
        return ActionResult({})

    @staticmethod
    def untag_resource(self: Any) -> Any:
        resource = _tagged_firewall_resource(self)
        resource.tags = _retagged(resource.tags, [], self._get_param("TagKeys") or [])
        return ActionResult({})


def _update_firewall_flag(response: Any, flag: str) -> Any:
    """Switch one protection flag of a firewall (how a prod firewall's delete protection is turned off first)."""
    firewall = response.networkfirewall_backend._get_firewall(
        response._get_param("FirewallArn"), response._get_param("FirewallName")
    )
    value = bool(response._get_bool_param(flag, False))
    setattr(firewall, xform_name(flag), value)
    firewall.update_token = str(uuid.uuid4())
    return ActionResult(
        {
            "FirewallArn": firewall.arn,
            "FirewallName": firewall.firewall_name,
            flag: value,
            "UpdateToken": firewall.update_token,
        }
    )


def _tagged_firewall_resource(response: Any) -> Any:
    """The firewall, policy or rule group a tagging call names by ARN."""
    arn = response._get_param("ResourceArn")
    backend = response.networkfirewall_backend
    found = backend.firewalls.get(arn) or backend.rule_groups.get(arn) or backend.firewall_policies.get(arn)
    if found is None:
        raise FirewallNotFoundError("Resource", arn)
    return found


#: Service name of the Gateway Load Balancer endpoints a firewall's subnets get (the shape AWS uses).
_FIREWALL_ENDPOINT_SERVICE = "com.amazonaws.vpce.{region}.vpce-svc-{suffix}"


@addition(
    "Network Firewall rule groups, policies, endpoints and delete",
    "fix",
    "moto models firewalls only: no CreateRuleGroup, no firewall policies, no DeleteFirewall (a destroy never "
    "finished), no endpoint per firewall subnet (so no route could send egress through the firewall), no tagging "
    "or protection-update calls, and it turns protection flags the provider leaves out (false) into true where AWS "
    "defaults them to false",
)
def _patch_network_firewall() -> None:
    from moto.networkfirewall.models import NetworkFirewallBackend, NetworkFirewallModel
    from moto.networkfirewall.responses import NetworkFirewallResponse

    original_init = NetworkFirewallBackend.__init__

    def init(self: Any, region_name: str, account_id: str) -> None:
        original_init(self, region_name, account_id)
        self.rule_groups: dict[str, FirewallDocument] = {}
        self.firewall_policies: dict[str, FirewallDocument] = {}

    NetworkFirewallBackend.__init__ = init
    for name, action in vars(_NetworkFirewallActions).items():
        if isinstance(action, staticmethod):
            setattr(NetworkFirewallResponse, name, action.__func__)

    original_model_init = NetworkFirewallModel.__init__

    def model_init(self: Any, account_id: str, region_name: str, *args: Any, **kwargs: Any) -> None:
        for flag in ("delete_protection", "subnet_change_protection", "firewall_policy_change_protection"):
            kwargs[flag] = bool(kwargs.get(flag))
        original_model_init(self, account_id, region_name, *args, **kwargs)
        self.sync_states: dict[str, dict[str, Any]] = {}

    NetworkFirewallModel.__init__ = model_init
    original_create = NetworkFirewallBackend.create_firewall

    def create_firewall(self: Any, **kwargs: Any) -> Any:
        policy = self.firewall_policies.get(kwargs["firewall_policy_arn"])
        if policy is None:
            raise FirewallNotFoundError("FirewallPolicy", kwargs["firewall_policy_arn"])
        ec2 = _ec2_backend(self.account_id, self.region_name)
        subnets = [ec2.get_subnet(mapping["SubnetId"]) for mapping in kwargs.get("subnet_mappings") or []]
        firewall = original_create(self, **kwargs)
        service = _FIREWALL_ENDPOINT_SERVICE.format(region=self.region_name, suffix=random_id(17).lower())
        for subnet in subnets:
            endpoint = ec2.create_vpc_endpoint(
                vpc_id=subnet.vpc_id,
                service_name=service,
                endpoint_type="GatewayLoadBalancer",
                policy_document=None,
                route_table_ids=[],
                subnet_ids=[subnet.id],
            )
            firewall.sync_states[subnet.availability_zone] = {
                "Attachment": {"SubnetId": subnet.id, "EndpointId": endpoint.id, "Status": "READY"},
                "Config": {policy.arn: {"SyncStatus": "IN_SYNC", "UpdateToken": policy.update_token}},
            }
        firewall.firewall_status = {**firewall.firewall_status, "SyncStates": firewall.sync_states}
        return firewall

    NetworkFirewallBackend.create_firewall = create_firewall


@addition(
    "SQS attributes a call does not name are kept; RedriveAllowPolicy",
    "fix",
    "moto's SetQueueAttributes drops the queue policy whenever a call does not repeat it (setting a dead-letter "
    "queue's RedriveAllowPolicy silently removed its TLS-only policy), never reports RedriveAllowPolicy (Terraform "
    "waited for it for ever), and spaces out RedrivePolicy where AWS returns compact JSON (a diff on every plan)",
)
def _patch_sqs_attributes() -> None:
    from moto.sqs.models import Queue

    original = Queue._set_attributes

    def _set_attributes(self: Any, attributes: dict[str, Any], now: float | None = None) -> None:
        kept = getattr(self, "policy", None)
        original(self, attributes, now)
        if "Policy" not in attributes:
            self.policy = kept
        elif not attributes["Policy"]:
            self.policy = None
        if attributes.get("RedriveAllowPolicy") == "":
            self.redrive_allow_policy = None

    Queue._set_attributes = _set_attributes
    Queue.redrive_allow_policy = None
    if "RedriveAllowPolicy" not in Queue.BASE_ATTRIBUTES:
        Queue.BASE_ATTRIBUTES = [*Queue.BASE_ATTRIBUTES, "RedriveAllowPolicy"]
    original_attributes = Queue.attributes.fget

    def attributes(self: Any) -> dict[str, Any]:
        result = original_attributes(self)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    Queue.attributes = property(attributes)


@addition(
    "S3 access logging into a bucket with ACLs disabled",
    "fix",
    "moto refuses PutBucketLogging unless the target bucket's policy already allows logging.s3.amazonaws.com; for a "
    "target with ACLs disabled (BucketOwnerEnforced, the default for new buckets) AWS checks no grants and applies "
    "the policy when it delivers, so a bucket and its log bucket's policy may be created in either order",
)
def _patch_s3_logging() -> None:
    from moto.s3.models import FakeBucket

    original = FakeBucket._log_permissions_enabled_policy

    def _log_permissions_enabled_policy(target_bucket: Any, target_prefix: str | None) -> bool:
        if getattr(target_bucket, "ownership_rule", None) in (None, "BucketOwnerEnforced"):
            return True
        return original(target_bucket, target_prefix)

    FakeBucket._log_permissions_enabled_policy = staticmethod(_log_permissions_enabled_policy)


def flow_log_group_name(log_destination: str | None) -> str | None:
    """The log group an ``arn:...:logs:...:log-group:<name>[:*]`` destination names (None for anything else)."""
    if not log_destination or ":log-group:" not in log_destination:
        return None
    return log_destination.split(":log-group:", 1)[1].removesuffix(":*")


@addition(
    "VPC flow logs: log group by ARN, destination options",
    "fix",
    "moto finds a flow log's CloudWatch log group by LogGroupName only, so given the group's ARN as LogDestination "
    "(how Terraform sends it) it reported delivery FAILED for a group that exists; and it drops DestinationOptions "
    "(Parquet, hourly partitions), so Terraform planned to replace the S3 flow log after every apply",
)
def _patch_flow_logs() -> None:
    from moto.ec2.models.flow_logs import FlowLogsBackend
    from moto.ec2.responses.flow_logs import FlowLogs as FlowLogsResponse

    original = FlowLogsBackend.create_flow_logs
    parameters = list(inspect.signature(original).parameters)[1:]

    def create_flow_logs(self: Any, *args: Any, **kwargs: Any) -> Any:
        call = dict(zip(parameters, args, strict=False)) | kwargs
        if (call.get("log_destination_type") or "cloud-watch-logs") == "cloud-watch-logs" and not call.get(
            "log_group_name"
        ):
            call["log_group_name"] = flow_log_group_name(call.get("log_destination"))
        return original(self, **call)

    FlowLogsBackend.create_flow_logs = create_flow_logs
    original_response = FlowLogsResponse.create_flow_logs
    options_shape = get_session().get_service_model("ec2").shape_for("DestinationOptionsResponse")

    def create_flow_logs_response(self: Any) -> Any:
        result = original_response(self)
        options = self._get_param("DestinationOptions")
        if options:
            for flow_log_id in result.result["FlowLogIds"]:
                self.ec2_backend.flow_logs[flow_log_id].destination_options = _coerce(options, options_shape)
        return result

    FlowLogsResponse.create_flow_logs = create_flow_logs_response


@addition(
    "SNS topic attributes SignatureVersion and TracingConfig",
    "fix",
    "moto stores SignatureVersion and TracingConfig but GetTopicAttributes never reports them: a topic set to sign "
    "with SHA256 (version 2) read back unset, and Terraform planned a change after every apply",
)
def _patch_sns_attributes() -> None:
    from moto.sns.responses import SNSResponse

    original = SNSResponse.get_topic_attributes

    def get_topic_attributes(self: Any) -> Any:
        result = original(self)
        topic = self.backend.get_topic(self._get_param("TopicArn"))
        attributes = result.result["Attributes"]
        attributes["SignatureVersion"] = str(getattr(topic, "signature_version", None) or "1")
        if getattr(topic, "tracing_config", None):
            attributes["TracingConfig"] = topic.tracing_config
        return result

    SNSResponse.get_topic_attributes = get_topic_attributes


@addition(
    "Kinesis CreateStream tags",
    "fix",
    "moto's CreateStream ignores its Tags parameter (tags at creation, how Terraform sends the provider's default "
    "tags): the stream had no tags and Terraform planned to add them after every apply",
)
def _patch_kinesis_create_tags() -> None:
    from moto.kinesis.responses import KinesisResponse

    original = KinesisResponse.create_stream

    def create_stream(self: Any) -> Any:
        result = original(self)
        tags = self._get_param("Tags")
        if tags:
            self.kinesis_backend.add_tags_to_stream(None, self._get_param("StreamName"), tags)
        return result

    KinesisResponse.create_stream = create_stream


@addition(
    "description of a security group rule that references a group",
    "fix",
    "moto reports a rule's description from its CIDR range only, so a rule whose peer is another security group "
    "(the database's ingress from the tasks' group) read back without its description",
)
def _patch_security_group_rule_description() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    original = SecurityGroupRule.description.fget

    def description(self: Any) -> str | None:
        return original(self) or (self.source_group or {}).get("Description")

    SecurityGroupRule.description = property(description)


def condition_holds(operator: str, key: str, expected: Any, context: dict[str, str]) -> bool:
    """One ``operator: {key: expected}`` policy condition against a request's context keys, as IAM evaluates it.

    A key the request does not carry makes the condition false, except under a ``...IfExists`` operator (true) and
    ``Null`` (true when it expects the key to be absent). An operator moto does not implement keeps moto's answer
    (the condition holds).
    """
    from moto.iam.policy_conditions import CONDITION_OPERATIONS

    wanted = expected if isinstance(expected, list) else [expected]
    if key not in context:
        if operator == "Null":
            return "true" in [str(value).lower() for value in wanted]
        return operator.endswith("IfExists")
    if operator == "Null":
        return "false" in [str(value).lower() for value in wanted]
    verify = CONDITION_OPERATIONS.get(operator.removesuffix("IfExists"))
    return True if verify is None else bool(verify(expected, context[key]))


@addition(
    "policy conditions on keys a request does not carry",
    "fix",
    "moto counts a condition on a context key the request lacks as met, so a bucket's standard Deny of TLS older "
    "than 1.2 (NumericLessThan s3:TlsVersion) denied every request to it; IAM counts such a condition as not met "
    "(unless ...IfExists, or Null), and the emulator's requests carry no TLS version. A statement whose conditions "
    "are not met does not apply, whatever its effect (moto answered Deny for a conditional Allow)",
)
def _patch_policy_conditions() -> None:
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    def _check_conditions(self: Any, incoming_condition_values: dict[str, str] | None) -> bool:
        context = incoming_condition_values or {}
        for operator, block in (self._statement.get("Condition") or {}).items():
            for key, expected in block.items():
                if not condition_holds(operator, key, expected, context):
                    return False
        return True

    original = IAMPolicyStatement.is_action_permitted

    def is_action_permitted(
        self: Any,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> Any:
        result = original(self, action, resource, principal, incoming_condition_values)
        if (
            result == PermissionResult.DENIED
            and self._statement.get("Condition")
            and not self._check_conditions(incoming_condition_values)
        ):
            return PermissionResult.NEUTRAL
        return result

    IAMPolicyStatement._check_conditions = _check_conditions
    IAMPolicyStatement.is_action_permitted = is_action_permitted


# ---------------------------------------------------------------------------------------------------------------------
# Teardown: what AWS removes together with a deleted resource (dev destroy leaves nothing)
# ---------------------------------------------------------------------------------------------------------------------


@addition(
    "a deleted NAT gateway's network interface",
    "fix",
    "moto's DeleteNatGateway marks the gateway 'deleted' but keeps the network interface it made for it, with the "
    "Elastic IP still associated: each Terraform destroy left one interface per NAT gateway in a VPC that no longer "
    "exists (the CloudFormation delete above already dropped it). AWS deletes that requester-managed interface with "
    "the gateway and disassociates the address, which the stack then releases",
)
def _patch_nat_gateway_interface() -> None:
    from moto.ec2.models.nat_gateways import NatGatewayBackend

    original = NatGatewayBackend.delete_nat_gateway

    def delete_nat_gateway(self: Any, nat_gateway_id: str) -> Any:
        gateway = original(self, nat_gateway_id)
        interface = getattr(gateway, "_eni", None)
        if interface is not None and interface.id in self.enis:
            for address in self.addresses:
                if address.eni is interface:
                    address.eni = None
                    address.association_id = None
            self.delete_network_interface(interface.id)
        return gateway

    NatGatewayBackend.delete_nat_gateway = delete_nat_gateway


@addition(
    "a NAT gateway whose Elastic IP is taken is created failed",
    "fix",
    "AWS accepts CreateNatGateway for an Elastic IP already associated and the gateway goes to 'failed' with "
    "FailureCode Resource.AlreadyAssociated (what a re-run meets after an interrupted apply created a gateway it never "
    "recorded). moto refused the call instead, after making the gateway's network interface, which it then left "
    "behind. Now the gateway is created 'failed', with AWS's failure code and message, and no interface",
)
def _patch_nat_gateway_create_failure() -> None:
    from moto.ec2.models.nat_gateways import NatGatewayBackend

    original = NatGatewayBackend.create_nat_gateway

    def create_nat_gateway(
        self: Any,
        subnet_id: str,
        allocation_id: str,
        tags: dict[str, str] | None = None,
        connectivity_type: str = "public",
    ) -> Any:
        addresses = self.address_by_allocation([allocation_id]) if allocation_id else []
        taken = connectivity_type != "private" and any(address.eni or address.instance for address in addresses)
        if not taken:
            return original(self, subnet_id, allocation_id, tags, connectivity_type)
        gateway = original(self, subnet_id, None, tags, connectivity_type)
        self.delete_network_interface(gateway._eni.id)
        gateway.address_set = [{"allocationId": allocation_id, "status": "failed"}]
        gateway.state = "failed"
        gateway.failure_code = "Resource.AlreadyAssociated"
        gateway.failure_message = f"Elastic IP address {allocation_id} is already associated"
        return gateway

    NatGatewayBackend.create_nat_gateway = create_nat_gateway


# ---------------------------------------------------------------------------------------------------------------------
# Asynchronous stack creation (converge checks): CreateStack returns at once, resources appear over time
# ---------------------------------------------------------------------------------------------------------------------


@dataclass
class StackCreation:
    """How CreateStack runs: inside the request (moto's way, kept for in-process tests) or, as on AWS, in the
    background while the stack shows CREATE_IN_PROGRESS; ``seconds_per_resource`` is CloudFormation's time per
    resource (0: as fast as moto goes), so an interrupted deploy can be caught part-way."""

    background: bool = False
    seconds_per_resource: float = 0.0

    def update(self, settings: dict[str, Any]) -> None:
        """Apply ``{"background": bool, "seconds_per_resource": number >= 0}`` (either key); bad input raises."""
        unknown = sorted(set(settings) - {"background", "seconds_per_resource"})
        if unknown:
            raise ValueError(f"unknown stack-creation setting(s) {unknown}: allowed background, seconds_per_resource")
        if "background" in settings:
            if not isinstance(settings["background"], bool):
                raise ValueError(f"background must be true or false, not {settings['background']!r}")
            self.background = settings["background"]
        if "seconds_per_resource" in settings:
            seconds = settings["seconds_per_resource"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= 60:
                raise ValueError(f"seconds_per_resource must be a number from 0 to 60, not {seconds!r}")
            self.seconds_per_resource = float(seconds)


#: The emulator's one stack-creation setting; the server turns ``background`` on, in-process tests leave it off.
STACK_CREATION = StackCreation()
#: Path that reads (GET) and changes (POST JSON) :data:`STACK_CREATION` on the running server.
STACK_CREATION_PATH = "/moto-api/extensions/stack-creation"
_creating = threading.local()
#: Seconds DeleteStack waits for a background creation to end before deleting what it created.
CREATION_JOIN_SECONDS = 600.0


@addition(
    "stack creation in the background",
    "engine",
    "moto creates every resource inside the CreateStack request, so a deploy interrupted part-way could not be "
    "shown; CloudFormation answers at once and creates resources over time (CREATE_IN_PROGRESS, no outputs yet, "
    "updates refused until it settles, a delete waits for it), and carries on when the client is killed",
)
def _patch_background_creation() -> None:
    original_create_resources = cfn_models.Stack.create_resources
    original_parse = parsing.parse_and_create_resource
    original_outputs = cfn_models.Stack.outputs.fget
    original_update = cfn_models.Stack.update
    original_delete = cfn_models.CloudFormationBackend.delete_stack

    def create_in_background(stack: cfn_models.Stack) -> None:
        _creating.active = True
        try:
            original_create_resources(stack)
        except Exception as error:  # the request that started it is long gone: the stack carries the failure
            stack.status = "CREATE_FAILED"
            stack._add_stack_event("CREATE_FAILED", resource_status_reason=str(error))
        finally:
            _creating.active = False

    def create_resources(self: cfn_models.Stack) -> None:
        if not STACK_CREATION.background:
            return original_create_resources(self)
        self.status = "CREATE_IN_PROGRESS"
        self.creation_thread = threading.Thread(target=create_in_background, args=(self,), daemon=True)
        self.creation_thread.start()
        return None

    def parse_and_create_resource(*args: Any, **kwargs: Any) -> Any:
        if getattr(_creating, "active", False) and STACK_CREATION.seconds_per_resource:
            time.sleep(STACK_CREATION.seconds_per_resource)
        return original_parse(*args, **kwargs)

    def outputs(self: cfn_models.Stack) -> Any:
        return None if self.status == "CREATE_IN_PROGRESS" else original_outputs(self)

    def update(self: cfn_models.Stack, *args: Any, **kwargs: Any) -> None:
        if self.status.endswith("_IN_PROGRESS"):
            raise ValidationError(message=f"Stack:{self.stack_id} is in {self.status} state and can not be updated.")
        original_update(self, *args, **kwargs)

    def delete_stack(self: cfn_models.CloudFormationBackend, name_or_stack_id: str) -> None:
        stack = self.stacks.get(name_or_stack_id) or next(
            (candidate for candidate in self.stacks.values() if candidate.name == name_or_stack_id), None
        )
        creation = getattr(stack, "creation_thread", None)
        if creation is not None:
            creation.join(CREATION_JOIN_SECONDS)
        return original_delete(self, name_or_stack_id)

    cfn_models.Stack.create_resources = create_resources
    parsing.parse_and_create_resource = parse_and_create_resource
    cfn_models.Stack.outputs = property(outputs)
    cfn_models.Stack.update = update
    cfn_models.CloudFormationBackend.delete_stack = delete_stack
    _serve_stack_creation_setting()


def _serve_stack_creation_setting() -> None:
    from moto.moto_api._internal import urls

    def respond(request: Any, _full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
        if request.method == "POST":
            try:
                # The raw body, whatever its content type (werkzeug would parse a form-encoded one away).
                length = int(headers.get("Content-Length") or 0)
                STACK_CREATION.update(json.loads(request.environ["wsgi.input"].read(length) or b"{}"))
            except (ValueError, TypeError) as error:
                return 400, {"Content-Type": "application/json"}, json.dumps({"error": str(error)})
        return 200, {"Content-Type": "application/json"}, json.dumps(asdict(STACK_CREATION))

    urls.url_paths["{0}" + STACK_CREATION_PATH] = respond


# ---------------------------------------------------------------------------------------------------------------------
# What Terraform's waiters poll for: answers shaped as AWS gives them, so no waiter polls longer than its own design
# ---------------------------------------------------------------------------------------------------------------------

#: The certificate authority AWS gives a new DB instance whose create call names none (the RDS default since 2024).
DEFAULT_DB_CA_CERTIFICATE = "rds-ca-rsa2048-g1"


@addition(
    "default CA certificate of a new DB instance",
    "fix",
    "moto gives a DB instance created without CACertificateIdentifier the made-up 'rds-ca-default'; AWS gives it the "
    "region's default CA, rds-ca-rsa2048-g1. The provider creates an Aurora cluster instance without the CA and, when "
    "the instance then reports another CA than the configured one, modifies it, waits, reboots it and waits again "
    "(streamflix's writer took 3m10s instead of the create waiter's 30 s)",
)
def _patch_rds_default_ca() -> None:
    from moto.rds import models as rds

    original_init = rds.DBInstance.__init__

    def init(self: Any, backend: Any, **kwargs: Any) -> None:
        if not kwargs.get("ca_certificate_identifier"):
            kwargs["ca_certificate_identifier"] = DEFAULT_DB_CA_CERTIFICATE
        original_init(self, backend, **kwargs)

    rds.DBInstance.__init__ = init
