"""IsolatedDataStore: what every database and cache here shares, written once.

The engine version is the policy's and is checked against a concrete stack region at synth; the store gets its own
customer-managed key and network unless given them, lives in isolated subnets, and has its own security group with
no ingress until :meth:`allow_from`. Subclasses add the engine-specific resources.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import jsii
from aws_cdk import Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_lib.cdk import network
from constructs_lib.cdk.deployment import deployment_settings
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.policy import compute, engines, naming, storage
from constructs_lib.policy.errors import ConfigurationError


@jsii.implements(ec2.IConnectable)
class IsolatedDataStore(Construct):
    """Base of PostgresInstance, AuroraServerlessCluster and RedisReplicationGroup (not used on its own)."""

    #: Policy engine kind (``policy.engines``), AWS name kind (``policy.naming``) and the label used in descriptions.
    ENGINE: ClassVar[str]
    NAME_KIND: ClassVar[str]
    LABEL: ClassVar[str]

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc | None,
        encryption_key: kms.IKey | None,
        name_prefix: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings = deployment_settings(self)
        self.profile = self.settings.profile
        self.engine = engines.engine(self.ENGINE)
        region = Stack.of(self).region
        if not Token.is_unresolved(region):
            self.engine.check_region(region)
        self.name_prefix = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        self.suffix = self.settings.environment_suffix
        #: The store's AWS name (instance, cluster or replication-group identifier).
        self.name = naming.resource_name(self.NAME_KIND, self.name_prefix, self.suffix)

        self.encryption_key: kms.IKey = encryption_key or EncryptionKey(
            self, "Key", description=f"{self.LABEL} {self.name}"
        )
        self.vpc: ec2.IVpc = vpc or network.Network(self, "Network", encryption_key=self.encryption_key)
        self.isolated_subnet_ids: list[str] = self.vpc.select_subnets(subnet_group_name=network.ISOLATED).subnet_ids
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=self.vpc,
            description=f"{self.LABEL} {self.name}: no ingress until allow_from",
            allow_all_outbound=False,
        )
        self._connections: ec2.Connections | None = None

    def _listen_on(self, port: int) -> None:
        """The port peers are allowed to; subclasses call this once they know it."""
        self._connections = ec2.Connections(security_groups=[self.security_group], default_port=ec2.Port.tcp(port))

    @property
    def connections(self) -> ec2.Connections:
        """The store's security group and port, so peers can be allowed with ``connections`` helpers."""
        return self._connections

    def allow_from(self, peer: ec2.IConnectable, description: str | None = None) -> None:
        """Open the store's port to ``peer`` (its security groups) and to nothing else."""
        self._connections.allow_default_port_from(peer, description or f"{self.LABEL} clients of {self.node.path}")


def refuse_literal_master_password(overrides: Mapping[str, Any]) -> None:
    """RDS generates, stores and rotates the master password; a password passed in would end up in the template."""
    if "master_user_password" in overrides and overrides.get("manage_master_user_password", True):
        raise ConfigurationError("master_user_password", "<hidden>", "nothing while RDS manages the master password")


def grant_secret_read(scope: Construct, grantee: iam.IGrantable, secret_arn: str, key: kms.IKey) -> iam.Grant:
    """Read one secret, and kms:Decrypt on its key only when Secrets Manager asks (``kms:ViaService``).

    Both statements go to the grantee's policy: the key policy is not widened per reader.
    """
    stack = Stack.of(scope)
    secret_grant = iam.Grant.add_to_principal(
        grantee=grantee, actions=list(compute.DATABASE_SECRET_READ_ACTIONS), resource_arns=[secret_arn]
    )
    key_grant = iam.Grant.add_to_principal(
        grantee=grantee,
        actions=["kms:Decrypt"],
        resource_arns=[key.key_arn],
        conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{stack.region}.{stack.url_suffix}"}},
    )
    return secret_grant.combine(key_grant)
