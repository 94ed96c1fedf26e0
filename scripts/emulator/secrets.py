"""Secrets Manager: secrets whose value CloudFormation generates, as a CloudFormation model."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar

from moto.core.common_models import CloudFormationModel

from scripts.emulator.cfn_resource import WrapperModel, api_kwargs
from scripts.emulator.registry import model


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
