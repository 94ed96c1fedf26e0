"""What the CloudFormation models share: a template's properties turned into the keyword arguments of the
service API call that makes the resource, and the base classes of a model that wraps such a call."""

from __future__ import annotations

import functools
import secrets
import string
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from botocore import xform_name
from botocore.session import get_session
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException


@functools.cache
def _input_shape(service: str, operation: str) -> Any:
    return get_session().get_service_model(service).operation_model(operation).input_shape


def coerce(value: Any, shape: Any) -> Any:
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
        return [coerce(item, shape.member) for item in value]
    if kind == "structure" and isinstance(value, dict):
        return {key: coerce(item, shape.members.get(key)) for key, item in value.items()}
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
        kwargs[xform_name(api_name)] = coerce(value, shape.members.get(api_name))
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
